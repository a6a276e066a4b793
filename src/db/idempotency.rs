//! Idempotency keys (see `app::idempotency` for the protocol). Every statement here is checked
//! against the schema at build time (`sqlx::query!`, offline data in `.sqlx/`). A request owns a key while
//! `claim` is its own and `locked_until` is in the future; every write after the first checks
//! the claim, so a request whose key was taken over (it was too slow, or it died) can no longer
//! change anything.

use crate::domain::idempotency::{Outcome, RecoveryPoint};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct KeyRow {
    pub fingerprint: Vec<u8>,
    pub recovery_point: RecoveryPoint,
    pub locked_until: Option<DateTime<Utc>>,
    pub order_id: Option<Uuid>,
    pub outcome: Option<Outcome>,
    pub response_body: Option<Vec<u8>>,
}

/// Inserts the key claimed by `claim`; `false` when it exists already.
#[allow(clippy::too_many_arguments)]
pub async fn try_insert(
    conn: &mut PgConnection,
    organization_id: Uuid,
    key: Uuid,
    fingerprint: &[u8],
    claim: Uuid,
    now: DateTime<Utc>,
    locked_until: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "INSERT INTO idempotency_keys (organization_id, key, fingerprint, recovery_point, claim, locked_until,
                                       created_at, updated_at, expires_at)
         VALUES ($1, $2, $3, 'started', $4, $5, $6, $6, $7)
         ON CONFLICT (organization_id, key) DO NOTHING",
        organization_id,
        key,
        fingerprint,
        claim,
        locked_until,
        now,
        expires_at,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn lock(conn: &mut PgConnection, organization_id: Uuid, key: Uuid) -> sqlx::Result<Option<KeyRow>> {
    sqlx::query_as!(
        KeyRow,
        r#"SELECT fingerprint, recovery_point AS "recovery_point: RecoveryPoint", locked_until, order_id,
                  outcome AS "outcome: Outcome", response_body
           FROM idempotency_keys WHERE organization_id = $1 AND key = $2 FOR UPDATE"#,
        organization_id,
        key,
    )
    .fetch_optional(conn)
    .await
}

pub async fn take_over(
    conn: &mut PgConnection,
    organization_id: Uuid,
    key: Uuid,
    claim: Uuid,
    now: DateTime<Utc>,
    locked_until: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE idempotency_keys SET claim = $3, locked_until = $4, updated_at = $5
         WHERE organization_id = $1 AND key = $2",
        organization_id,
        key,
        claim,
        locked_until,
        now,
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// Records a step reached, with the resource it made.
pub async fn record_point(
    conn: &mut PgConnection,
    organization_id: Uuid,
    key: Uuid,
    point: RecoveryPoint,
    order_id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE idempotency_keys SET recovery_point = $3, order_id = $4, updated_at = $5
         WHERE organization_id = $1 AND key = $2",
        organization_id,
        key,
        point as RecoveryPoint,
        order_id,
        now,
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// Keeps the final answer for replays. `false` when `claim` no longer owns the key.
pub async fn finish(
    conn: &mut PgConnection,
    organization_id: Uuid,
    key: Uuid,
    claim: Uuid,
    outcome: Outcome,
    body: &[u8],
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE idempotency_keys SET recovery_point = 'finished', claim = NULL, locked_until = NULL,
             outcome = $4, response_body = $5, updated_at = $6
         WHERE organization_id = $1 AND key = $2 AND claim = $3",
        organization_id,
        key,
        claim,
        outcome as Outcome,
        body,
        now,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Lets go of the key without an answer (a retryable failure): the next request with it
/// carries on from its recovery point. `false` when `claim` no longer owns the key.
pub async fn release(
    conn: &mut PgConnection,
    organization_id: Uuid,
    key: Uuid,
    claim: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE idempotency_keys SET claim = NULL, locked_until = NULL, updated_at = $4
         WHERE organization_id = $1 AND key = $2 AND claim = $3",
        organization_id,
        key,
        claim,
        now,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets the key, so the next request with it runs from the start.
pub async fn delete(conn: &mut PgConnection, organization_id: Uuid, key: Uuid, claim: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "DELETE FROM idempotency_keys WHERE organization_id = $1 AND key = $2 AND claim = $3",
        organization_id,
        key,
        claim
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Claims up to `limit` keys whose request was abandoned mid-way: not finished, and either
/// locked by a lease that has run out or released and left alone since `idle_before`.
pub async fn claim_abandoned(
    db: impl sqlx::PgExecutor<'_>,
    now: DateTime<Utc>,
    idle_before: DateTime<Utc>,
    claim: Uuid,
    locked_until: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<(Uuid, Uuid, Option<Uuid>)>> {
    let rows = sqlx::query!(
        "UPDATE idempotency_keys k SET claim = $3, locked_until = $4, updated_at = $1
         FROM (SELECT organization_id, key FROM idempotency_keys
               WHERE recovery_point <> 'finished'
                 AND ((locked_until IS NULL AND updated_at < $2) OR locked_until < $1)
               ORDER BY updated_at LIMIT $5 FOR UPDATE SKIP LOCKED) stale
         WHERE k.organization_id = stale.organization_id AND k.key = stale.key
         RETURNING k.organization_id, k.key, k.order_id",
        now,
        idle_before,
        claim,
        locked_until,
        limit,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|row| (row.organization_id, row.key, row.order_id)).collect())
}

/// Deletes up to `batch` finished keys past their retention (oldest first, through the
/// partial index of finished keys, skipping rows another reaper holds); returns how many.
pub async fn reap_expired(db: impl sqlx::PgExecutor<'_>, now: DateTime<Utc>, batch: i64) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "DELETE FROM idempotency_keys WHERE (organization_id, key) IN (
             SELECT organization_id, key FROM idempotency_keys
             WHERE expires_at < $1 AND recovery_point = 'finished'
             ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
        now,
        batch,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
