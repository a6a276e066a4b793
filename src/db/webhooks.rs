//! Webhook endpoints and deliveries, every statement checked against the schema at build time.

use crate::domain::page::{COUNT_UP_TO, Page};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgPool;
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct EndpointRow {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub url: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub consecutive_failures: i32,
    pub circuit_open_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

// Every read of an endpoint repeats its column list: a checked query is one literal.

/// How many endpoints the organisation has, with its row locked until the transaction ends, so
/// that concurrent registrations cannot both pass a cap.
pub async fn count_endpoints_locked(conn: &mut sqlx::PgConnection, organization_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query!("SELECT 1 AS locked FROM organizations WHERE id = $1 FOR UPDATE", organization_id)
        .fetch_all(&mut *conn)
        .await?;
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM webhook_endpoints WHERE organization_id = $1"#,
        organization_id
    )
    .fetch_one(&mut *conn)
    .await
}

/// Deletes an endpoint and every delivery to it; `false` if the organisation has no such
/// endpoint.
pub async fn delete_endpoint(db: impl sqlx::PgExecutor<'_>, organization_id: Uuid, id: Uuid) -> sqlx::Result<bool> {
    let done =
        sqlx::query!("DELETE FROM webhook_endpoints WHERE id = $1 AND organization_id = $2", id, organization_id)
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn insert_endpoint<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    id: Uuid,
    organization_id: Uuid,
    url: &str,
    event_types: &[String],
    secret: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<EndpointRow> {
    sqlx::query_as!(
        EndpointRow,
        "INSERT INTO webhook_endpoints (id, organization_id, url, event_types, secret, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         RETURNING id, organization_id, url, event_types, enabled, disabled_reason, previous_secret_expires_at,
             consecutive_failures, circuit_open_until, created_at",
        id,
        organization_id,
        url,
        event_types,
        secret,
        now,
    )
    .fetch_one(executor)
    .await
}

/// The organisation's endpoint at exactly `url`, if it has one.
pub async fn find_endpoint_by_url(
    conn: &mut sqlx::PgConnection,
    organization_id: Uuid,
    url: &str,
) -> sqlx::Result<Option<EndpointRow>> {
    sqlx::query_as!(
        EndpointRow,
        "SELECT id, organization_id, url, event_types, enabled, disabled_reason, previous_secret_expires_at,
             consecutive_failures, circuit_open_until, created_at
         FROM webhook_endpoints WHERE organization_id = $1 AND url = $2 ORDER BY created_at, id LIMIT 1",
        organization_id,
        url,
    )
    .fetch_optional(conn)
    .await
}

pub async fn list_endpoints(db: impl sqlx::PgExecutor<'_>, organization_id: Uuid) -> sqlx::Result<Vec<EndpointRow>> {
    sqlx::query_as!(
        EndpointRow,
        "SELECT id, organization_id, url, event_types, enabled, disabled_reason, previous_secret_expires_at,
             consecutive_failures, circuit_open_until, created_at
         FROM webhook_endpoints WHERE organization_id = $1 ORDER BY created_at, id",
        organization_id,
    )
    .fetch_all(db)
    .await
}

/// Replaces the secret; the old one keeps signing until `overlap_until`.
pub async fn rotate_secret(
    db: impl sqlx::PgExecutor<'_>,
    organization_id: Uuid,
    id: Uuid,
    secret: &str,
    overlap_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<EndpointRow>> {
    sqlx::query_as!(
        EndpointRow,
        "UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = $4, secret = $3,
             updated_at = $5
         WHERE organization_id = $1 AND id = $2
         RETURNING id, organization_id, url, event_types, enabled, disabled_reason, previous_secret_expires_at,
             consecutive_failures, circuit_open_until, created_at",
        organization_id,
        id,
        secret,
        overlap_until,
        now,
    )
    .fetch_optional(db)
    .await
}

pub async fn set_enabled(
    db: impl sqlx::PgExecutor<'_>,
    organization_id: Option<Uuid>,
    id: Uuid,
    enabled: bool,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<EndpointRow>> {
    sqlx::query_as!(
        EndpointRow,
        "UPDATE webhook_endpoints SET enabled = $3, disabled_reason = $4, updated_at = $5,
             consecutive_failures = CASE WHEN $3 THEN 0 ELSE consecutive_failures END,
             circuit_open_until = CASE WHEN $3 THEN NULL ELSE circuit_open_until END
         WHERE id = $2 AND ($1::uuid IS NULL OR organization_id = $1)
         RETURNING id, organization_id, url, event_types, enabled, disabled_reason, previous_secret_expires_at,
             consecutive_failures, circuit_open_until, created_at",
        organization_id,
        id,
        enabled,
        reason,
        now,
    )
    .fetch_optional(db)
    .await
}

/// A delivery claimed for one attempt, with what it takes to send it.
#[derive(Debug, Clone)]
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
    /// The endpoint's failures in a row when claimed: a success need not touch a healthy one.
    pub consecutive_failures: i32,
}

/// How much one claim may take: in all, and with what is already in flight, per endpoint and
/// per organisation.
#[derive(Debug, Clone, Copy)]
pub struct ClaimLimits {
    pub total: i64,
    pub per_endpoint: i64,
    pub per_organization: i64,
    /// Failures in a row from which an endpoint whose circuit has rested gets one probe only.
    pub probe_after_failures: i32,
}

/// Claims due deliveries for one attempt each, fairly: each endpoint's oldest first, no more
/// per endpoint and per organisation than their in-flight limits allow, and organisations in
/// turn (every organisation's first delivery before anyone's second), so a partner whose
/// receivers hang can hold only its own share. Endpoints that are disabled, or whose circuit is
/// open, are passed over. Any number of dispatchers can run; SKIP LOCKED gives each different
/// rows, and a dispatcher that dies mid-attempt loses its claim at `locked_until`. Two
/// dispatchers claiming at the same instant may together exceed a limit by one round: the
/// limits bound a partner's share, they are not a promise to its receiver.
pub async fn claim_due(
    db: impl sqlx::PgExecutor<'_>,
    now: DateTime<Utc>,
    locked_until: DateTime<Utc>,
    limits: ClaimLimits,
) -> sqlx::Result<Vec<Due>> {
    sqlx::query_as!(
        Due,
        r#"WITH in_flight AS (
             SELECT endpoint_id, count(*) AS busy FROM webhook_deliveries
             WHERE locked_until IS NOT NULL AND locked_until > $1 AND state = 'pending'
             GROUP BY endpoint_id),
         endpoints AS (
             SELECT e.id, e.organization_id, coalesce(f.busy, 0) AS busy,
                    sum(coalesce(f.busy, 0)) OVER (PARTITION BY e.organization_id) AS organization_busy,
                    CASE WHEN e.consecutive_failures >= $6 THEN 1 ELSE $4::int8 END AS cap
             FROM webhook_endpoints e LEFT JOIN in_flight f ON f.endpoint_id = e.id
             WHERE e.enabled AND (e.circuit_open_until IS NULL OR e.circuit_open_until <= $1)),
         -- Materialised: computed once per claim. Inlined, a generic plan made while the
         -- table was small can rerun it for every due delivery (bench/faults.sh noisy-neighbour).
         candidates AS MATERIALIZED (
             SELECT c.id, c.next_attempt_at, ep.organization_busy,
                    row_number() OVER (PARTITION BY ep.organization_id ORDER BY c.next_attempt_at, c.id) AS turn
             FROM endpoints ep CROSS JOIN LATERAL (
                 SELECT d.id, d.next_attempt_at FROM webhook_deliveries d
                 WHERE d.endpoint_id = ep.id AND d.state = 'pending' AND d.next_attempt_at <= $1
                   AND (d.locked_until IS NULL OR d.locked_until < $1)
                 ORDER BY d.next_attempt_at LIMIT greatest(ep.cap - ep.busy, 0)) c),
         due AS (
             -- The state and lock are checked again here, on the row as locked, so a delivery
             -- another dispatcher claimed a moment ago is not claimed twice.
             SELECT d.id FROM webhook_deliveries d JOIN candidates c ON c.id = d.id
             WHERE c.turn + c.organization_busy <= $5::int8
               AND d.state = 'pending' AND (d.locked_until IS NULL OR d.locked_until < $1)
             ORDER BY c.turn, c.next_attempt_at LIMIT $3 FOR UPDATE OF d SKIP LOCKED),
         claimed AS (
             UPDATE webhook_deliveries d SET locked_until = $2, attempts = d.attempts + 1, last_attempt_at = $1
             FROM due WHERE d.id = due.id
             RETURNING d.id, d.attempts, d.event_id, d.endpoint_id)
         SELECT c.id AS "id!", c.attempts AS "attempts!", c.event_id AS "event_id!", o.event_type,
                o.payload AS "payload: Json<Value>", c.endpoint_id AS "endpoint_id!", e.url, e.secret,
                e.previous_secret, e.previous_secret_expires_at, e.consecutive_failures
         FROM claimed c JOIN outbox_events o ON o.id = c.event_id JOIN webhook_endpoints e ON e.id = c.endpoint_id"#,
        now,
        locked_until,
        limits.total,
        limits.per_endpoint,
        limits.per_organization,
        limits.probe_after_failures,
    )
    .fetch_all(db)
    .await
}

/// Counts an endpoint's attempt for its circuit: a success closes it; a failure adds one to
/// the failures in a row, and `pause(failures)` says until when the circuit then stays open.
pub async fn record_endpoint_health(
    pool: &PgPool,
    endpoint_id: Uuid,
    succeeded: bool,
    now: DateTime<Utc>,
    pause: impl Fn(i32) -> Option<chrono::Duration>,
) -> sqlx::Result<()> {
    if succeeded {
        sqlx::query!(
            "UPDATE webhook_endpoints SET consecutive_failures = 0, circuit_open_until = NULL
             WHERE id = $1 AND (consecutive_failures > 0 OR circuit_open_until IS NOT NULL)",
            endpoint_id,
        )
        .execute(pool)
        .await?;
        return Ok(());
    }
    let failures = sqlx::query_scalar!(
        "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1 WHERE id = $1
         RETURNING consecutive_failures",
        endpoint_id,
    )
    .fetch_optional(pool)
    .await?;
    if let Some(until) = failures.and_then(pause).map(|rest| now + rest) {
        sqlx::query!("UPDATE webhook_endpoints SET circuit_open_until = $2 WHERE id = $1", endpoint_id, until)
            .execute(pool)
            .await?;
    }
    Ok(())
}

/// What one attempt came to.
pub enum Attempt {
    Delivered { status: u16 },
    Retry { status: Option<u16>, error: String, at: DateTime<Utc> },
    Dead { status: Option<u16>, error: String },
}

pub async fn record_attempt(
    db: impl sqlx::PgExecutor<'_>,
    id: Uuid,
    attempt: Attempt,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let (state, status, error, next): (&str, Option<u16>, Option<String>, Option<DateTime<Utc>>) = match attempt {
        Attempt::Delivered { status } => ("delivered", Some(status), None, None),
        Attempt::Retry { status, error, at } => ("pending", status, Some(error), Some(at)),
        Attempt::Dead { status, error } => ("dead", status, Some(error), None),
    };
    sqlx::query!(
        "UPDATE webhook_deliveries SET state = $2, last_status = $3, last_error = $4,
             next_attempt_at = coalesce($5, next_attempt_at), locked_until = NULL,
             delivered_at = CASE WHEN $2 = 'delivered' THEN $6 ELSE delivered_at END
         WHERE id = $1",
        id,
        state,
        status.map(i32::from),
        error,
        next,
        now,
    )
    .execute(db)
    .await
    .map(|_| ())
}

#[derive(Debug, Clone)]
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

/// A page of an organisation's deliveries, newest first, optionally of one state: up to
/// `page.fetch()` after the page's cursor, or from its offset. With their count, capped.
///
/// With and without the state filter are separate statements, so each keeps its index in a
/// cached generic plan.
pub async fn list_deliveries(
    pool: &PgPool,
    organization_id: Uuid,
    state: Option<&str>,
    page: &Page,
) -> sqlx::Result<(Vec<DeliveryRow>, i64)> {
    let (at, id) = page.newest_first_below();
    let (rows, total) = match state {
        None => {
            let rows = sqlx::query_as!(
                DeliveryRow,
                "SELECT d.id, d.event_id, o.event_type, o.order_id, d.endpoint_id, d.state, d.attempts, d.last_status,
                d.last_error, d.last_attempt_at, d.next_attempt_at, d.delivered_at, d.created_at
         FROM webhook_deliveries d JOIN outbox_events o ON o.id = d.event_id
         WHERE d.organization_id = $1 AND (d.created_at, d.id) < ($2, $3)
         ORDER BY d.created_at DESC, d.id DESC LIMIT $4 OFFSET $5",
                organization_id,
                at,
                id,
                page.fetch(),
                page.offset,
            )
            .fetch_all(pool)
            .await?;
            let total = sqlx::query_scalar!(
                r#"SELECT count(*) AS "count!" FROM (SELECT 1 FROM webhook_deliveries
                   WHERE organization_id = $1 LIMIT $2) counted"#,
                organization_id,
                COUNT_UP_TO,
            )
            .fetch_one(pool)
            .await?;
            (rows, total)
        }
        Some(state) => {
            let rows = sqlx::query_as!(
                DeliveryRow,
                "SELECT d.id, d.event_id, o.event_type, o.order_id, d.endpoint_id, d.state, d.attempts, d.last_status,
                d.last_error, d.last_attempt_at, d.next_attempt_at, d.delivered_at, d.created_at
         FROM webhook_deliveries d JOIN outbox_events o ON o.id = d.event_id
         WHERE d.organization_id = $1 AND d.state = $2 AND (d.created_at, d.id) < ($3, $4)
         ORDER BY d.created_at DESC, d.id DESC LIMIT $5 OFFSET $6",
                organization_id,
                state,
                at,
                id,
                page.fetch(),
                page.offset,
            )
            .fetch_all(pool)
            .await?;
            let total = sqlx::query_scalar!(
                r#"SELECT count(*) AS "count!" FROM (SELECT 1 FROM webhook_deliveries
                   WHERE organization_id = $1 AND state = $2 LIMIT $3) counted"#,
                organization_id,
                state,
                COUNT_UP_TO,
            )
            .fetch_one(pool)
            .await?;
            (rows, total)
        }
    };
    Ok((rows, total))
}

/// Sends deliveries again now: one (`id`), or every dead one of the organisation. Returns how
/// many were queued.
pub async fn replay(
    db: impl sqlx::PgExecutor<'_>,
    organization_id: Uuid,
    id: Option<Uuid>,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "UPDATE webhook_deliveries d SET state = 'pending', next_attempt_at = $3, locked_until = NULL
         FROM webhook_endpoints e
         WHERE e.id = d.endpoint_id AND e.organization_id = $1
           AND (($2::uuid IS NOT NULL AND d.id = $2) OR ($2::uuid IS NULL AND d.state = 'dead'))",
        organization_id,
        id,
        now,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Deliveries still to make (for the metrics and the benchmark).
pub async fn backlog(pool: &PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM webhook_deliveries WHERE state = 'pending'"#)
        .fetch_one(pool)
        .await
}

/// Endpoints with a secret not sealed yet (rows from before secrets were sealed at rest).
pub async fn unsealed_secrets(
    db: impl sqlx::PgExecutor<'_>,
    limit: i64,
) -> sqlx::Result<Vec<(Uuid, String, Option<String>)>> {
    let rows = sqlx::query!(
        "SELECT id, secret, previous_secret FROM webhook_endpoints
         WHERE secret NOT LIKE 'mfenc1:%' OR previous_secret NOT LIKE 'mfenc1:%' LIMIT $1",
        limit,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|row| (row.id, row.secret, row.previous_secret)).collect())
}

/// Replaces an endpoint's secrets by their sealed form, unless they changed meanwhile.
pub async fn reseal_secrets(
    db: impl sqlx::PgExecutor<'_>,
    id: Uuid,
    was: (&str, Option<&str>),
    sealed: (&str, Option<&str>),
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE webhook_endpoints SET secret = $4, previous_secret = $5
         WHERE id = $1 AND secret = $2 AND previous_secret IS NOT DISTINCT FROM $3",
        id,
        was.0,
        was.1,
        sealed.0,
        sealed.1,
    )
    .execute(db)
    .await
    .map(|_| ())
}
