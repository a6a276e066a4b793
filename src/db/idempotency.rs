//! Idempotency keys (see `app::idempotency` for the protocol). A request owns a key while
//! `claim` is its own and `locked_until` is in the future; every write after the first checks
//! the claim, so a request whose key was taken over (it was too slow, or it died) can no longer
//! change anything.

use crate::domain::idempotency::{Outcome, RecoveryPoint};
use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

#[derive(Debug, Clone, FromRow)]
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
    let done = sqlx::query(
        "INSERT INTO idempotency_keys (organization_id, key, fingerprint, recovery_point, claim, locked_until,
                                       created_at, updated_at, expires_at)
         VALUES ($1, $2, $3, 'started', $4, $5, $6, $6, $7)
         ON CONFLICT (organization_id, key) DO NOTHING",
    )
    .bind(organization_id)
    .bind(key)
    .bind(fingerprint)
    .bind(claim)
    .bind(locked_until)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn lock(conn: &mut PgConnection, organization_id: Uuid, key: Uuid) -> sqlx::Result<Option<KeyRow>> {
    sqlx::query_as(
        "SELECT fingerprint, recovery_point, locked_until, order_id, outcome, response_body
         FROM idempotency_keys WHERE organization_id = $1 AND key = $2 FOR UPDATE",
    )
    .bind(organization_id)
    .bind(key)
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
    sqlx::query(
        "UPDATE idempotency_keys SET claim = $3, locked_until = $4, updated_at = $5
         WHERE organization_id = $1 AND key = $2",
    )
    .bind(organization_id)
    .bind(key)
    .bind(claim)
    .bind(locked_until)
    .bind(now)
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
    sqlx::query(
        "UPDATE idempotency_keys SET recovery_point = $3, order_id = $4, updated_at = $5
         WHERE organization_id = $1 AND key = $2",
    )
    .bind(organization_id)
    .bind(key)
    .bind(point)
    .bind(order_id)
    .bind(now)
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
    let done = sqlx::query(
        "UPDATE idempotency_keys SET recovery_point = 'finished', claim = NULL, locked_until = NULL,
             outcome = $4, response_body = $5, updated_at = $6
         WHERE organization_id = $1 AND key = $2 AND claim = $3",
    )
    .bind(organization_id)
    .bind(key)
    .bind(claim)
    .bind(outcome)
    .bind(body)
    .bind(now)
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
    let done = sqlx::query(
        "UPDATE idempotency_keys SET claim = NULL, locked_until = NULL, updated_at = $4
         WHERE organization_id = $1 AND key = $2 AND claim = $3",
    )
    .bind(organization_id)
    .bind(key)
    .bind(claim)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets the key, so the next request with it runs from the start.
pub async fn delete(conn: &mut PgConnection, organization_id: Uuid, key: Uuid, claim: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM idempotency_keys WHERE organization_id = $1 AND key = $2 AND claim = $3")
        .bind(organization_id)
        .bind(key)
        .bind(claim)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Claims up to `limit` keys whose request was abandoned mid-way: not finished, and either
/// locked by a lease that has run out or released and left alone since `idle_before`.
pub async fn claim_abandoned(
    pool: &PgPool,
    now: DateTime<Utc>,
    idle_before: DateTime<Utc>,
    claim: Uuid,
    locked_until: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<(Uuid, Uuid, Option<Uuid>)>> {
    sqlx::query_as(
        "UPDATE idempotency_keys k SET claim = $3, locked_until = $4, updated_at = $1
         FROM (SELECT organization_id, key FROM idempotency_keys
               WHERE recovery_point <> 'finished'
                 AND ((locked_until IS NULL AND updated_at < $2) OR locked_until < $1)
               ORDER BY updated_at LIMIT $5 FOR UPDATE SKIP LOCKED) stale
         WHERE k.organization_id = stale.organization_id AND k.key = stale.key
         RETURNING k.organization_id, k.key, k.order_id",
    )
    .bind(now)
    .bind(idle_before)
    .bind(claim)
    .bind(locked_until)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Deletes finished keys past their retention; returns how many.
pub async fn reap_expired(pool: &PgPool, now: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "DELETE FROM idempotency_keys WHERE (organization_id, key) IN (
             SELECT organization_id, key FROM idempotency_keys
             WHERE expires_at < $1 AND recovery_point = 'finished' LIMIT 10000)",
    )
    .bind(now)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}
