//! Catalog sets: the atomic replace and the reads.

use crate::domain::catalog::{CatalogSet, StoredCatalogSet};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

pub enum Replaced {
    /// The set is live; `true` when its id is new for the store.
    Done(Box<StoredCatalogSet>, bool),
    /// The catalogSetId is already another store's.
    IdTaken,
}

/// Makes `set` the store's live catalog set, in the caller's transaction (which must hold the
/// store's row lock). A different previous set is removed in the same transaction, so readers
/// see the old set or the new one, never a mix.
pub async fn replace(
    conn: &mut PgConnection,
    store_id: Uuid,
    set: &CatalogSet,
    now: DateTime<Utc>,
) -> sqlx::Result<Replaced> {
    let owner = owner_of(&mut *conn, set.catalog_set_id).await?;
    if owner.is_some_and(|owner| owner != store_id) {
        return Ok(Replaced::IdTaken);
    }
    sqlx::query("DELETE FROM catalog_sets WHERE store_id = $1 AND id <> $2")
        .bind(store_id)
        .bind(set.catalog_set_id)
        .execute(&mut *conn)
        .await?;
    let row: StoredCatalogSet = sqlx::query_as(
        "INSERT INTO catalog_sets (id, store_id, document, search_text, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (id) DO UPDATE SET document = EXCLUDED.document, search_text = EXCLUDED.search_text,
             version = catalog_sets.version + 1, updated_at = EXCLUDED.updated_at
         RETURNING id, store_id, document, version, created_at, updated_at",
    )
    .bind(set.catalog_set_id)
    .bind(store_id)
    .bind(Json(set))
    .bind(set.search_text())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let created = owner.is_none();
    Ok(Replaced::Done(Box::new(row), created))
}

/// The store whose live catalog set has this id, if any.
pub async fn owner_of<'e>(executor: impl sqlx::PgExecutor<'e>, id: Uuid) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("SELECT store_id FROM catalog_sets WHERE id = $1").bind(id).fetch_optional(executor).await
}

pub async fn get<'e>(executor: impl sqlx::PgExecutor<'e>, id: Uuid) -> sqlx::Result<Option<StoredCatalogSet>> {
    sqlx::query_as("SELECT id, store_id, document, version, created_at, updated_at FROM catalog_sets WHERE id = $1")
        .bind(id)
        .fetch_optional(executor)
        .await
}

pub async fn get_for_store(pool: &PgPool, store_id: Uuid) -> sqlx::Result<Option<StoredCatalogSet>> {
    sqlx::query_as(
        "SELECT id, store_id, document, version, created_at, updated_at FROM catalog_sets WHERE store_id = $1",
    )
    .bind(store_id)
    .fetch_optional(pool)
    .await
}
