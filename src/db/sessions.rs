//! SDK sessions: one row per session minted, so that revoking one is a fact every instance
//! can read.

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub struct NewSessionRow<'a> {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub partner_user_id: &'a str,
    pub has_user: bool,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(db: impl sqlx::PgExecutor<'_>, row: &NewSessionRow<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO sessions (id, organization_id, partner_user_id, has_user, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        row.id,
        row.organization_id,
        row.partner_user_id,
        row.has_user,
        row.created_at,
        row.expires_at,
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// What a request needs to know of a session beyond its token.
#[derive(Debug, Clone, Copy)]
pub struct SessionState {
    pub organization_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub async fn get(db: impl sqlx::PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<SessionState>> {
    sqlx::query_as!(SessionState, "SELECT organization_id, expires_at, revoked_at FROM sessions WHERE id = $1", id)
        .fetch_optional(db)
        .await
}

/// Marks the organisation's session revoked (the first revocation's time stays); whether the
/// organisation has such a session.
pub async fn revoke(
    db: impl sqlx::PgExecutor<'_>,
    organization_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE sessions SET revoked_at = coalesce(revoked_at, $3) WHERE id = $1 AND organization_id = $2",
        id,
        organization_id,
        now,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes up to `batch` sessions that expired before `before`, oldest first; how many.
pub async fn reap_expired(db: impl sqlx::PgExecutor<'_>, before: DateTime<Utc>, batch: i64) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "DELETE FROM sessions WHERE id IN (
             SELECT id FROM sessions WHERE expires_at < $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
        before,
        batch,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
