//! Stores: upsert, reads and pause state. Each write also writes the store's discovery entry
//! (`db::discovery`), in the same transaction.

use crate::domain::page::{COUNT_UP_TO, Page};
use crate::domain::store::{PauseState, Store, StoreDetails, StoreStatus};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

#[derive(Debug, Clone, FromRow)]
pub(super) struct StoreRow {
    id: Uuid,
    organization_id: Uuid,
    details: Json<StoreDetails>,
    status: StoreStatus,
    pause_reason: Option<String>,
    resume_at: Option<DateTime<Utc>>,
    extra_preparation_minutes: Option<i32>,
    catalog_set_id: Option<Uuid>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<StoreRow> for Store {
    fn from(row: StoreRow) -> Self {
        Store {
            id: row.id,
            organization_id: row.organization_id,
            details: row.details.0,
            pause: PauseState {
                status: row.status,
                reason: row.pause_reason,
                resume_at: row.resume_at,
                extra_preparation_minutes: row.extra_preparation_minutes.and_then(|m| u32::try_from(m).ok()),
            },
            catalog_set_id: row.catalog_set_id,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// Inserts or replaces a store's description, in the caller's transaction (onboarding creates
/// the store with its menu), and reads it back. `None` when the id belongs to another
/// organisation (the caller answers 404, as for any store it cannot see).
pub async fn upsert(
    tx: &mut PgConnection,
    organization_id: Uuid,
    id: Uuid,
    details: &StoreDetails,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<(Store, bool)>> {
    let created = sqlx::query_scalar!(
        r#"INSERT INTO stores (id, organization_id, details, latitude, longitude, delivery_allowed, pickup_allowed,
                             delivery_radius_km, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
         ON CONFLICT (id) DO UPDATE SET
             details = EXCLUDED.details, latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude,
             delivery_allowed = EXCLUDED.delivery_allowed, pickup_allowed = EXCLUDED.pickup_allowed,
             delivery_radius_km = EXCLUDED.delivery_radius_km,
             version = stores.version + 1, updated_at = EXCLUDED.updated_at
         WHERE stores.organization_id = EXCLUDED.organization_id
         RETURNING (xmax = 0) AS "created!""#,
        id,
        organization_id,
        Json(details) as _,
        details.address.latitude,
        details.address.longitude,
        details.delivery_allowed,
        details.pickup_allowed,
        f64::try_from(details.delivery_radius_km).unwrap_or(0.0),
        now,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(created) = created else { return Ok(None) };
    let row = fetch_in(tx, organization_id, id).await?.expect("row just written");
    super::discovery::index_store(tx, &row).await?;
    Ok(Some((row, created)))
}

async fn fetch_in(conn: &mut PgConnection, organization_id: Uuid, id: Uuid) -> sqlx::Result<Option<Store>> {
    let row = sqlx::query_as!(
        StoreRow,
        r#"SELECT s.id, s.organization_id, s.details AS "details: Json<StoreDetails>", s.status AS "status: StoreStatus",
                  s.pause_reason, s.resume_at, s.extra_preparation_minutes, c.id AS "catalog_set_id?", s.version, s.created_at, s.updated_at
           FROM stores s LEFT JOIN catalog_sets c ON c.store_id = s.id
           WHERE s.id = $1 AND s.organization_id = $2"#,
        id,
        organization_id,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Store::from))
}

/// A store as its owner sees it; `None` for an unknown id or another organisation's store.
pub async fn get_owned(pool: &PgPool, organization_id: Uuid, id: Uuid) -> sqlx::Result<Option<Store>> {
    let mut conn = pool.acquire().await?;
    fetch_in(&mut conn, organization_id, id).await
}

/// Locks an owned store row for the rest of the transaction, serialising writers of one store,
/// and returns its description.
pub async fn lock_owned(
    conn: &mut PgConnection,
    organization_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<StoreDetails>> {
    let found = sqlx::query_scalar!(
        r#"SELECT details AS "details: Json<StoreDetails>" FROM stores WHERE id = $1 AND organization_id = $2 FOR UPDATE"#,
        id,
        organization_id,
    )
    .fetch_optional(conn)
    .await?;
    Ok(found.map(|details| details.0))
}

/// Any store, as a distribution partner sees it.
pub async fn get<'e>(executor: impl sqlx::PgExecutor<'e>, id: Uuid) -> sqlx::Result<Option<Store>> {
    let row = sqlx::query_as!(
        StoreRow,
        r#"SELECT s.id, s.organization_id, s.details AS "details: Json<StoreDetails>", s.status AS "status: StoreStatus",
                  s.pause_reason, s.resume_at, s.extra_preparation_minutes, c.id AS "catalog_set_id?", s.version, s.created_at, s.updated_at
           FROM stores s LEFT JOIN catalog_sets c ON c.store_id = s.id WHERE s.id = $1"#,
        id,
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(Store::from))
}

/// A page of the organisation's stores by id: up to `page.fetch()` after the page's cursor, or
/// from its offset. With their count, capped.
pub async fn list_owned(pool: &PgPool, organization_id: Uuid, page: &Page) -> sqlx::Result<(Vec<Store>, i64)> {
    let rows = sqlx::query_as!(
        StoreRow,
        r#"SELECT s.id, s.organization_id, s.details AS "details: Json<StoreDetails>", s.status AS "status: StoreStatus",
                  s.pause_reason, s.resume_at, s.extra_preparation_minutes, c.id AS "catalog_set_id?", s.version, s.created_at, s.updated_at
           FROM stores s LEFT JOIN catalog_sets c ON c.store_id = s.id
           WHERE s.organization_id = $1 AND s.id > $2 ORDER BY s.id LIMIT $3 OFFSET $4"#,
        organization_id,
        page.by_id_above(),
        page.fetch(),
        page.offset,
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM (SELECT 1 FROM stores WHERE organization_id = $1 LIMIT $2) counted"#,
        organization_id,
        COUNT_UP_TO,
    )
    .fetch_one(pool)
    .await?;
    Ok((rows.into_iter().map(Store::from).collect(), total))
}

/// Sets an owned store's pause state, in the caller's transaction, and reads it back.
pub async fn set_pause(
    tx: &mut PgConnection,
    organization_id: Uuid,
    id: Uuid,
    state: &PauseState,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<Store>> {
    let updated = sqlx::query!(
        "UPDATE stores SET status = $3, pause_reason = $4, resume_at = $5, extra_preparation_minutes = $7,
                           version = version + 1, updated_at = $6
         WHERE id = $1 AND organization_id = $2",
        id,
        organization_id,
        state.status as StoreStatus,
        state.reason,
        state.resume_at,
        now,
        state.extra_preparation_minutes.map(|m| m as i32),
    )
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Ok(None);
    }
    let row = fetch_in(tx, organization_id, id).await?;
    if let Some(store) = &row {
        super::discovery::index_store(tx, store).await?;
    }
    Ok(row)
}

/// Brings back online every store whose pause has run out; returns how many.
pub async fn resume_due(db: impl sqlx::PgExecutor<'_>, now: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "UPDATE stores SET status = 'online', pause_reason = NULL, resume_at = NULL, extra_preparation_minutes = NULL,
                           version = version + 1, updated_at = $1
         WHERE status IN ('paused', 'busy') AND resume_at IS NOT NULL AND resume_at <= $1",
        now,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
