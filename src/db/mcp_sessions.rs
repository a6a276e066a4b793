//! MCP conversations and the confirmations they wait on (see migration 0022).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

/// Who a conversation belongs to: the SDK session whose token opened it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub organization_id: Uuid,
    pub session_id: Option<Uuid>,
    pub partner_user_id: String,
}

/// Records the client's `initialize` (rmcp's session store: written once the handshake is
/// answered, read to restore the session on another instance).
pub async fn save_handshake(
    db: impl sqlx::PgExecutor<'_>,
    id: &str,
    params: &Value,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO mcp_sessions (id, initialize_params, created_at, last_used_at) VALUES ($1, $2, $3, $3)
         ON CONFLICT (id) DO UPDATE SET initialize_params = EXCLUDED.initialize_params",
        id,
        params,
        now,
    )
    .execute(db)
    .await
    .map(|_| ())
}

pub async fn handshake(db: impl sqlx::PgExecutor<'_>, id: &str) -> sqlx::Result<Option<Value>> {
    let row = sqlx::query!("SELECT initialize_params FROM mcp_sessions WHERE id = $1", id).fetch_optional(db).await?;
    Ok(row.and_then(|row| row.initialize_params))
}

/// Gives a new conversation its owner. Only a conversation without one can be given one.
pub async fn bind(db: impl sqlx::PgExecutor<'_>, id: &str, owner: &Owner, now: DateTime<Utc>) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "INSERT INTO mcp_sessions (id, organization_id, session_id, partner_user_id, created_at, last_used_at)
         VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (id) DO UPDATE SET organization_id = EXCLUDED.organization_id,
             session_id = EXCLUDED.session_id, partner_user_id = EXCLUDED.partner_user_id
         WHERE mcp_sessions.organization_id IS NULL",
        id,
        owner.organization_id,
        owner.session_id,
        owner.partner_user_id,
        now,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A conversation as a request needs it: its owner and when it was last used.
pub struct Found {
    pub owner: Option<Owner>,
    pub last_used_at: DateTime<Utc>,
}

pub async fn find(db: impl sqlx::PgExecutor<'_>, id: &str) -> sqlx::Result<Option<Found>> {
    let row = sqlx::query!(
        "SELECT organization_id, session_id, partner_user_id, last_used_at FROM mcp_sessions WHERE id = $1",
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| Found {
        owner: match (row.organization_id, row.partner_user_id) {
            (Some(organization_id), Some(partner_user_id)) => {
                Some(Owner { organization_id, session_id: row.session_id, partner_user_id })
            }
            _ => None,
        },
        last_used_at: row.last_used_at,
    }))
}

pub async fn touch(db: impl sqlx::PgExecutor<'_>, id: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query!("UPDATE mcp_sessions SET last_used_at = $2 WHERE id = $1 AND last_used_at < $2", id, now)
        .execute(db)
        .await
        .map(|_| ())
}

pub async fn delete(db: impl sqlx::PgExecutor<'_>, id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query!("DELETE FROM mcp_sessions WHERE id = $1", id).execute(db).await?;
    Ok(done.rows_affected() > 0)
}

/// The conversation's cart (None: no cart yet) and its version, for `swap_cart`.
pub struct StoredCart {
    pub cart: Option<Value>,
    pub version: i64,
    pub fulfillment_confirmed_at: Option<DateTime<Utc>>,
}

pub async fn cart(db: impl sqlx::PgExecutor<'_>, id: &str) -> sqlx::Result<Option<StoredCart>> {
    sqlx::query_as!(
        StoredCart,
        r#"SELECT cart AS "cart: Value", cart_version AS version, fulfillment_confirmed_at
           FROM mcp_sessions WHERE id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// Replaces the cart only if it is still at `version`; whether it was.
pub async fn swap_cart(
    db: impl sqlx::PgExecutor<'_>,
    id: &str,
    version: i64,
    cart: Option<&Value>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE mcp_sessions SET cart = $3, cart_version = cart_version + 1 WHERE id = $1 AND cart_version = $2",
        id,
        version,
        cart,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn confirm_fulfillment(db: impl sqlx::PgExecutor<'_>, id: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query!("UPDATE mcp_sessions SET fulfillment_confirmed_at = $2 WHERE id = $1", id, now)
        .execute(db)
        .await
        .map(|_| ())
}

/// Deletes up to `batch` conversations last used before `before`, oldest first; how many.
pub async fn reap_idle(db: impl sqlx::PgExecutor<'_>, before: DateTime<Utc>, batch: i64) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "DELETE FROM mcp_sessions WHERE id IN (
             SELECT id FROM mcp_sessions WHERE last_used_at < $1 ORDER BY last_used_at LIMIT $2
             FOR UPDATE SKIP LOCKED)",
        before,
        batch,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

pub struct NewConfirmation<'a> {
    pub id_hash: &'a [u8],
    pub mcp_session_id: &'a str,
    pub token_hash: &'a [u8],
    pub payment: &'a Value,
    pub total: Decimal,
    pub currency: &'a str,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_confirmation(db: impl sqlx::PgExecutor<'_>, row: &NewConfirmation<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO mcp_confirmations (id_hash, mcp_session_id, token_hash, payment, total, currency,
                                        created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        row.id_hash,
        row.mcp_session_id,
        row.token_hash,
        row.payment,
        row.total,
        row.currency,
        row.created_at,
        row.expires_at,
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// A confirmation as stored.
pub struct Confirmation {
    pub mcp_session_id: String,
    pub token_hash: Vec<u8>,
    pub payment: Json<Value>,
    pub total: Decimal,
    pub currency: String,
    pub expires_at: DateTime<Utc>,
}

pub async fn confirmation(db: impl sqlx::PgExecutor<'_>, id_hash: &[u8]) -> sqlx::Result<Option<Confirmation>> {
    sqlx::query_as!(
        Confirmation,
        r#"SELECT mcp_session_id, token_hash, payment AS "payment: Json<Value>", total, currency, expires_at
           FROM mcp_confirmations WHERE id_hash = $1"#,
        id_hash
    )
    .fetch_optional(db)
    .await
}

/// Deletes up to `batch` confirmations that expired before `before`; how many.
pub async fn reap_confirmations(db: impl sqlx::PgExecutor<'_>, before: DateTime<Utc>, batch: i64) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "DELETE FROM mcp_confirmations WHERE id_hash IN (
             SELECT id_hash FROM mcp_confirmations WHERE expires_at < $1 ORDER BY expires_at LIMIT $2
             FOR UPDATE SKIP LOCKED)",
        before,
        batch,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
