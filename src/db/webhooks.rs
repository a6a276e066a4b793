//! Webhook endpoints and deliveries.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{FromRow, PgPool};
use uuid::Uuid;

#[derive(Debug, Clone, FromRow)]
pub struct EndpointRow {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub url: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

const ENDPOINT_COLUMNS: &str =
    "id, organization_id, url, event_types, enabled, disabled_reason, previous_secret_expires_at, created_at";

pub async fn insert_endpoint<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    id: Uuid,
    organization_id: Uuid,
    url: &str,
    event_types: &[String],
    secret: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<EndpointRow> {
    sqlx::query_as(&format!(
        "INSERT INTO webhook_endpoints (id, organization_id, url, event_types, secret, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {ENDPOINT_COLUMNS}"
    ))
    .bind(id)
    .bind(organization_id)
    .bind(url)
    .bind(event_types)
    .bind(secret)
    .bind(now)
    .fetch_one(executor)
    .await
}

/// The organisation's endpoint at exactly `url`, if it has one.
pub async fn find_endpoint_by_url(
    conn: &mut sqlx::PgConnection,
    organization_id: Uuid,
    url: &str,
) -> sqlx::Result<Option<EndpointRow>> {
    sqlx::query_as(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE organization_id = $1 AND url = $2
         ORDER BY created_at, id LIMIT 1"
    ))
    .bind(organization_id)
    .bind(url)
    .fetch_optional(conn)
    .await
}

pub async fn list_endpoints(pool: &PgPool, organization_id: Uuid) -> sqlx::Result<Vec<EndpointRow>> {
    sqlx::query_as(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE organization_id = $1 ORDER BY created_at, id"
    ))
    .bind(organization_id)
    .fetch_all(pool)
    .await
}

/// Replaces the secret; the old one keeps signing until `overlap_until`.
pub async fn rotate_secret(
    pool: &PgPool,
    organization_id: Uuid,
    id: Uuid,
    secret: &str,
    overlap_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<EndpointRow>> {
    sqlx::query_as(&format!(
        "UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = $4, secret = $3,
             updated_at = $5
         WHERE organization_id = $1 AND id = $2 RETURNING {ENDPOINT_COLUMNS}"
    ))
    .bind(organization_id)
    .bind(id)
    .bind(secret)
    .bind(overlap_until)
    .bind(now)
    .fetch_optional(pool)
    .await
}

pub async fn set_enabled(
    pool: &PgPool,
    organization_id: Option<Uuid>,
    id: Uuid,
    enabled: bool,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<EndpointRow>> {
    sqlx::query_as(&format!(
        "UPDATE webhook_endpoints SET enabled = $3, disabled_reason = $4, updated_at = $5
         WHERE id = $2 AND ($1::uuid IS NULL OR organization_id = $1) RETURNING {ENDPOINT_COLUMNS}"
    ))
    .bind(organization_id)
    .bind(id)
    .bind(enabled)
    .bind(reason)
    .bind(now)
    .fetch_optional(pool)
    .await
}

/// A delivery claimed for one attempt, with what it takes to send it.
#[derive(Debug, Clone, FromRow)]
pub struct Due {
    pub id: Uuid,
    pub attempts: i32,
    pub event_id: Uuid,
    pub event_type: String,
    pub payload: Json<Value>,
    pub endpoint_id: Uuid,
    pub url: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
}

/// Claims up to `limit` due deliveries to enabled endpoints for one attempt each: any number
/// of dispatchers can run, each gets different rows, and a dispatcher that dies mid-attempt
/// loses its claim at `locked_until`.
pub async fn claim_due(
    pool: &PgPool,
    now: DateTime<Utc>,
    locked_until: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<Due>> {
    sqlx::query_as(
        "WITH due AS (
             SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
             WHERE d.state = 'pending' AND d.next_attempt_at <= $1 AND (d.locked_until IS NULL OR d.locked_until < $1)
               AND e.enabled
             ORDER BY d.next_attempt_at LIMIT $3 FOR UPDATE OF d SKIP LOCKED),
         claimed AS (
             UPDATE webhook_deliveries d SET locked_until = $2, attempts = d.attempts + 1, last_attempt_at = $1
             FROM due WHERE d.id = due.id
             RETURNING d.id, d.attempts, d.event_id, d.endpoint_id)
         SELECT c.id, c.attempts, c.event_id, o.event_type, o.payload, c.endpoint_id, e.url, e.secret,
                e.previous_secret, e.previous_secret_expires_at
         FROM claimed c JOIN outbox_events o ON o.id = c.event_id JOIN webhook_endpoints e ON e.id = c.endpoint_id",
    )
    .bind(now)
    .bind(locked_until)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// What one attempt came to.
pub enum Attempt {
    Delivered { status: u16 },
    Retry { status: Option<u16>, error: String, at: DateTime<Utc> },
    Dead { status: Option<u16>, error: String },
}

pub async fn record_attempt(pool: &PgPool, id: Uuid, attempt: Attempt, now: DateTime<Utc>) -> sqlx::Result<()> {
    let (state, status, error, next): (&str, Option<u16>, Option<String>, Option<DateTime<Utc>>) = match attempt {
        Attempt::Delivered { status } => ("delivered", Some(status), None, None),
        Attempt::Retry { status, error, at } => ("pending", status, Some(error), Some(at)),
        Attempt::Dead { status, error } => ("dead", status, Some(error), None),
    };
    sqlx::query(
        "UPDATE webhook_deliveries SET state = $2, last_status = $3, last_error = $4,
             next_attempt_at = coalesce($5, next_attempt_at), locked_until = NULL,
             delivered_at = CASE WHEN $2 = 'delivered' THEN $6 ELSE delivered_at END
         WHERE id = $1",
    )
    .bind(id)
    .bind(state)
    .bind(status.map(i32::from))
    .bind(error)
    .bind(next)
    .bind(now)
    .execute(pool)
    .await
    .map(|_| ())
}

#[derive(Debug, Clone, FromRow)]
pub struct DeliveryRow {
    pub id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub order_id: Option<Uuid>,
    pub endpoint_id: Uuid,
    pub state: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// An organisation's deliveries, newest first, optionally of one state.
pub async fn list_deliveries(
    pool: &PgPool,
    organization_id: Uuid,
    state: Option<&str>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<DeliveryRow>, i64)> {
    let filter = "e.organization_id = $1 AND ($2::text IS NULL OR d.state = $2)";
    let rows = sqlx::query_as(&format!(
        "SELECT d.id, d.event_id, o.event_type, o.order_id, d.endpoint_id, d.state, d.attempts, d.last_status,
                d.last_error, d.last_attempt_at, d.next_attempt_at, d.delivered_at, d.created_at
         FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
              JOIN outbox_events o ON o.id = d.event_id
         WHERE {filter} ORDER BY d.created_at DESC, d.id DESC LIMIT $3 OFFSET $4"
    ))
    .bind(organization_id)
    .bind(state)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE {filter}"
    ))
    .bind(organization_id)
    .bind(state)
    .fetch_one(pool)
    .await?;
    Ok((rows, total))
}

/// Sends deliveries again now: one (`id`), or every dead one of the organisation. Returns how
/// many were queued.
pub async fn replay(pool: &PgPool, organization_id: Uuid, id: Option<Uuid>, now: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries d SET state = 'pending', next_attempt_at = $3, locked_until = NULL
         FROM webhook_endpoints e
         WHERE e.id = d.endpoint_id AND e.organization_id = $1
           AND (($2::uuid IS NOT NULL AND d.id = $2) OR ($2::uuid IS NULL AND d.state = 'dead'))",
    )
    .bind(organization_id)
    .bind(id)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Deliveries still to make (for the metrics and the benchmark).
pub async fn backlog(pool: &PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'").fetch_one(pool).await
}
