//! The items a store has marked unavailable (see migration 0023).

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// An item held back, until when (`None`: until the restaurant says otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldBack {
    pub item_id: String,
    pub until: Option<DateTime<Utc>>,
}

/// The store's held-back items (those whose `until` has passed included: readers compare it
/// with their own clock).
pub async fn held_back(db: impl sqlx::PgExecutor<'_>, store_id: Uuid) -> sqlx::Result<Vec<HeldBack>> {
    sqlx::query_as!(
        HeldBack,
        "SELECT item_id, until FROM item_availability WHERE store_id = $1 ORDER BY item_id",
        store_id
    )
    .fetch_all(db)
    .await
}

/// Holds `item_id` back until `until`, or (`None`) until told otherwise.
pub async fn hold_back(
    db: impl sqlx::PgExecutor<'_>,
    store_id: Uuid,
    item_id: &str,
    until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO item_availability (store_id, item_id, until, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (store_id, item_id) DO UPDATE SET until = EXCLUDED.until, updated_at = EXCLUDED.updated_at",
        store_id,
        item_id,
        until,
        now,
    )
    .execute(db)
    .await
    .map(|_| ())
}

pub async fn release(db: impl sqlx::PgExecutor<'_>, store_id: Uuid, item_id: &str) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM item_availability WHERE store_id = $1 AND item_id = $2", store_id, item_id)
        .execute(db)
        .await
        .map(|_| ())
}

/// Deletes up to `batch` marks whose `until` passed before `before`; how many.
pub async fn reap_expired(db: impl sqlx::PgExecutor<'_>, before: DateTime<Utc>, batch: i64) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "DELETE FROM item_availability WHERE (store_id, item_id) IN (
             SELECT store_id, item_id FROM item_availability WHERE until < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
        before,
        batch,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
