//! Catalog sets: the atomic replace and the reads, checked against the schema at build time.

use super::item_availability::HeldBack;
use crate::domain::catalog::{CatalogSet, StoredCatalogSet};
use crate::domain::discovery::MenuEntry;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

/// A catalog set's row, as the checked queries read it.
struct CatalogSetRow {
    id: Uuid,
    store_id: Uuid,
    document: Json<CatalogSet>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<CatalogSetRow> for StoredCatalogSet {
    fn from(row: CatalogSetRow) -> Self {
        StoredCatalogSet {
            id: row.id,
            store_id: row.store_id,
            document: row.document.0,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

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
    sqlx::query!("DELETE FROM catalog_sets WHERE store_id = $1 AND id <> $2", store_id, set.catalog_set_id)
        .execute(&mut *conn)
        .await?;
    let row = sqlx::query_as!(
        CatalogSetRow,
        r#"INSERT INTO catalog_sets (id, store_id, document, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $4)
           ON CONFLICT (id) DO UPDATE SET document = EXCLUDED.document,
               version = catalog_sets.version + 1, updated_at = EXCLUDED.updated_at
           RETURNING id, store_id, document AS "document: Json<CatalogSet>", version, created_at, updated_at"#,
        set.catalog_set_id,
        store_id,
        Json(set) as _,
        now,
    )
    .fetch_one(&mut *conn)
    .await?;
    super::discovery::index_menu(conn, store_id, &MenuEntry::of(set)).await?;
    let created = owner.is_none();
    Ok(Replaced::Done(Box::new(row.into()), created))
}

/// The store whose live catalog set has this id, if any.
pub async fn owner_of<'e>(executor: impl sqlx::PgExecutor<'e>, id: Uuid) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!("SELECT store_id FROM catalog_sets WHERE id = $1", id).fetch_optional(executor).await
}

/// A catalog set with its store's held-back items (`item_availability`), in one round trip:
/// what validate's menu is made of.
pub async fn get_with_held_back<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    id: Uuid,
) -> sqlx::Result<Option<(StoredCatalogSet, Vec<HeldBack>)>> {
    let row = sqlx::query!(
        r#"SELECT c.id, c.store_id, c.document AS "document: Json<CatalogSet>", c.version, c.created_at, c.updated_at,
                  coalesce(array_agg(a.item_id) FILTER (WHERE a.item_id IS NOT NULL), '{}') AS "held_ids!: Vec<String>",
                  coalesce(array_agg(a.until) FILTER (WHERE a.item_id IS NOT NULL), '{}') AS "held_until!: Vec<Option<DateTime<Utc>>>"
           FROM catalog_sets c LEFT JOIN item_availability a ON a.store_id = c.store_id
           WHERE c.id = $1
           GROUP BY c.id"#,
        id,
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|row| {
        let held = row.held_ids.into_iter().zip(row.held_until).map(|(item_id, until)| HeldBack { item_id, until });
        let set = CatalogSetRow {
            id: row.id,
            store_id: row.store_id,
            document: row.document,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        };
        (StoredCatalogSet::from(set), held.collect())
    }))
}

pub async fn get<'e>(executor: impl sqlx::PgExecutor<'e>, id: Uuid) -> sqlx::Result<Option<StoredCatalogSet>> {
    let row = sqlx::query_as!(
        CatalogSetRow,
        r#"SELECT id, store_id, document AS "document: Json<CatalogSet>", version, created_at, updated_at
           FROM catalog_sets WHERE id = $1"#,
        id,
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(StoredCatalogSet::from))
}

pub async fn get_for_store(db: impl sqlx::PgExecutor<'_>, store_id: Uuid) -> sqlx::Result<Option<StoredCatalogSet>> {
    let row = sqlx::query_as!(
        CatalogSetRow,
        r#"SELECT id, store_id, document AS "document: Json<CatalogSet>", version, created_at, updated_at
           FROM catalog_sets WHERE store_id = $1"#,
        store_id,
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(StoredCatalogSet::from))
}
