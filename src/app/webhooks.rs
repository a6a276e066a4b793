//! Webhooks: partners register endpoints, and the dispatcher delivers the outbox to them,
//! signed (see `domain::webhooks`), retried with back-off until about three days have passed.

use crate::app::Listed;
use crate::app::error::{AppError, AppResult};
use crate::app::queue::{Lease, Queue};
use crate::auth::{Caller, OrgKind};
use crate::db::webhooks::{self as webhook_db, Attempt, ClaimLimits, DeliveryRow, Due, EndpointRow};
use crate::domain::cursor::{ListKind, Position};
use crate::domain::error_code::ErrorCode;
use crate::domain::page::Page;
use crate::domain::problem::Problem;
use crate::domain::queue::{self, Failure, Settled};
use crate::domain::webhooks::{self, API_VERSION, COMMERCE_EVENTS, DISTRIBUTION_EVENTS};
use crate::outbound::{self, FetchError, Limits};
use crate::secret_box::Purpose;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewEndpoint {
    pub url: String,
    /// Defaults to every event the organisation's kind receives.
    #[serde(default)]
    pub event_types: Option<Vec<String>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointView {
    pub endpoint_id: Uuid,
    pub url: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// Shown once, when created or rotated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// Failed attempts in a row; from `CIRCUIT_THRESHOLD` on, the endpoint rests between probes.
    pub consecutive_failures: i32,
    /// While set and in the future, nothing is sent to this endpoint (its deliveries wait).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub circuit_open_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl EndpointView {
    pub fn of(row: EndpointRow, secret: Option<String>) -> Self {
        EndpointView {
            endpoint_id: row.id,
            url: row.url,
            event_types: row.event_types,
            enabled: row.enabled,
            disabled_reason: row.disabled_reason,
            secret,
            previous_secret_expires_at: row.previous_secret_expires_at,
            consecutive_failures: row.consecutive_failures,
            circuit_open_until: row.circuit_open_until,
            created_at: row.created_at,
        }
    }
}

pub fn events_for(kind: OrgKind) -> &'static [&'static str] {
    match kind {
        OrgKind::Distribution => DISTRIBUTION_EVENTS,
        OrgKind::Commerce => COMMERCE_EVENTS,
    }
}

pub fn new_secret() -> String {
    let mut random = [0u8; 32];
    rand::rng().fill(&mut random);
    webhooks::new_secret(random)
}

fn limits(state: &AppState) -> Limits {
    Limits { allow_private: state.config.allow_private_urls, timeout: state.config.webhook_timeout, max_bytes: 0 }
}

pub async fn register(state: &AppState, caller: &Caller, new: NewEndpoint) -> AppResult<EndpointView> {
    let allowed = events_for(caller.kind);
    let mut problems = Vec::new();
    if let Err(why) = outbound::check_partner_url(&new.url, state.config.allow_private_urls).await {
        problems.push(Problem::at("INVALID_URL", "$.url", why));
    }
    let event_types = new.event_types.unwrap_or_else(|| allowed.iter().map(ToString::to_string).collect());
    if event_types.is_empty() {
        problems.push(Problem::at("INVALID_VALUE", "$.eventTypes", "subscribe to at least one event type"));
    }
    for (i, event) in event_types.iter().enumerate() {
        if !allowed.contains(&event.as_str()) {
            problems.push(Problem::at(
                "INVALID_VALUE",
                format!("$.eventTypes[{i}]"),
                format!("{event:?} is not an event for this partner; choose from {}", allowed.join(", ")),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(AppError::validation("The endpoint has problems.", problems));
    }
    let mut tx = state.db.begin().await?;
    ensure_room_for_endpoint(state, &mut tx, caller.organization_id).await?;
    let secret = new_secret();
    let row = webhook_db::insert_endpoint(
        &mut *tx,
        Uuid::now_v7(),
        caller.organization_id,
        &new.url,
        &event_types,
        &state.secrets.seal(Purpose::WebhookSecret, &secret),
        state.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(EndpointView::of(row, Some(secret)))
}

/// Refuses a new endpoint once the organisation has as many as it may have: each endpoint is a
/// share of the dispatcher, so their number is what bounds one partner's share. Holds the
/// organisation's row until the transaction ends, so concurrent registrations cannot both pass.
pub async fn ensure_room_for_endpoint(
    state: &AppState,
    conn: &mut sqlx::PgConnection,
    organization_id: Uuid,
) -> AppResult<()> {
    let cap = state.config.webhook_max_endpoints;
    if webhook_db::count_endpoints_locked(conn, organization_id).await? >= i64::from(cap) {
        return Err(AppError::validation(
            format!("Your organisation has {cap} webhook endpoints, the most it may have; delete one first."),
            vec![Problem::new(
                "TOO_MANY_ENDPOINTS",
                format!(
                    "at most {cap} webhook endpoints per organisation; DELETE /v1/webhooks/endpoints/{{id}} frees one"
                ),
            )],
        ));
    }
    Ok(())
}

/// Deletes an endpoint; its deliveries, pending or done, go with it.
pub async fn delete(state: &AppState, caller: &Caller, id: Uuid) -> AppResult<()> {
    if webhook_db::delete_endpoint(&state.db, caller.organization_id, id).await? {
        Ok(())
    } else {
        Err(endpoint_missing(id))
    }
}

pub async fn list(state: &AppState, caller: &Caller) -> AppResult<Vec<EndpointView>> {
    let rows = webhook_db::list_endpoints(&state.db, caller.organization_id).await?;
    Ok(rows.into_iter().map(|row| EndpointView::of(row, None)).collect())
}

fn endpoint_missing(id: Uuid) -> AppError {
    AppError::new(ErrorCode::NotFound, format!("No webhook endpoint with id {id}."))
}

/// A new secret; the old one keeps signing (alongside) for `overlap_hours`.
pub async fn rotate(state: &AppState, caller: &Caller, id: Uuid, overlap_hours: i64) -> AppResult<EndpointView> {
    if !(0..=168).contains(&overlap_hours) {
        return Err(AppError::validation(
            "The overlap is out of range.",
            vec![Problem::at("INVALID_VALUE", "$.overlapHours", "overlapHours is between 0 and 168")],
        ));
    }
    let now = state.now();
    let secret = new_secret();
    let until = now + chrono::Duration::hours(overlap_hours);
    let sealed = state.secrets.seal(Purpose::WebhookSecret, &secret);
    let row = webhook_db::rotate_secret(&state.db, caller.organization_id, id, &sealed, until, now)
        .await?
        .ok_or_else(|| endpoint_missing(id))?;
    Ok(EndpointView::of(row, Some(secret)))
}

/// Turns an endpoint back on (after a 410, say): its waiting deliveries go out again.
pub async fn enable(state: &AppState, caller: &Caller, id: Uuid) -> AppResult<EndpointView> {
    let row = webhook_db::set_enabled(&state.db, Some(caller.organization_id), id, true, None, state.now())
        .await?
        .ok_or_else(|| endpoint_missing(id))?;
    Ok(EndpointView::of(row, None))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    pub delivery_id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<Uuid>,
    pub endpoint_id: Uuid,
    pub state: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// When the next attempt is due (pending deliveries).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<DeliveryRow> for DeliveryView {
    fn from(row: DeliveryRow) -> Self {
        DeliveryView {
            next_attempt_at: (row.state == "pending").then_some(row.next_attempt_at),
            delivery_id: row.id,
            event_id: row.event_id,
            event_type: row.event_type,
            order_id: row.order_id,
            endpoint_id: row.endpoint_id,
            state: row.state,
            attempts: row.attempts,
            last_status: row.last_status,
            last_error: row.last_error,
            last_attempt_at: row.last_attempt_at,
            delivered_at: row.delivered_at,
            created_at: row.created_at,
        }
    }
}

pub async fn deliveries(
    state: &AppState,
    caller: &Caller,
    filter: Option<&str>,
    page: Page,
) -> AppResult<Listed<DeliveryView>> {
    if let Some(wanted) = filter
        && !["pending", "delivered", "dead"].contains(&wanted)
    {
        return Err(AppError::invalid_request("state is pending, delivered or dead.").with_errors(vec![Problem::at(
            "INVALID_PARAMETER",
            "$.state",
            "state is pending, delivered or dead",
        )]));
    }
    let (rows, counted) = webhook_db::list_deliveries(&state.db, caller.organization_id, filter, &page).await?;
    let key = |row: &DeliveryRow| Position { at: Some(row.created_at), id: row.id };
    Ok(Listed::keyset(rows, counted, page, ListKind::Deliveries, key).map(DeliveryView::from))
}

/// Queues one delivery (any state) or every dead one to be sent again now.
pub async fn replay(state: &AppState, caller: &Caller, id: Option<Uuid>) -> AppResult<u64> {
    let count = webhook_db::replay(&state.db, caller.organization_id, id, state.now()).await?;
    if let (Some(id), 0) = (id, count) {
        return Err(AppError::new(ErrorCode::NotFound, format!("No webhook delivery with id {id}.")));
    }
    Ok(count)
}

/// The outbox's deliveries to partners' endpoints, as a queue: claimed fairly across endpoints
/// and organisations (see `db::webhooks::claim_due`), each for one attempt.
pub struct Deliveries;

impl Queue for Deliveries {
    type Job = Due;
    const NAME: &'static str = "webhook deliveries";

    fn concurrency(&self, state: &AppState) -> usize {
        state.config.webhook_concurrency
    }

    fn lease(&self, state: &AppState) -> chrono::Duration {
        chrono::Duration::from_std(state.config.webhook_timeout).unwrap_or(chrono::Duration::seconds(10))
            + chrono::Duration::seconds(5)
    }

    fn poll_interval(&self, state: &AppState) -> std::time::Duration {
        state.config.webhook_poll_interval
    }

    async fn claim(&self, state: &AppState, lease: Lease, room: usize) -> AppResult<Vec<Due>> {
        let limits = ClaimLimits {
            total: room as i64,
            per_endpoint: i64::from(state.config.webhook_endpoint_concurrency),
            per_organization: i64::from(state.config.webhook_organization_concurrency),
            probe_after_failures: webhooks::CIRCUIT_THRESHOLD,
        };
        Ok(webhook_db::claim_due(&state.db, lease.now, lease.until, limits).await?)
    }

    async fn run(&self, state: &AppState, delivery: Due) -> AppResult<()> {
        attempt(state, delivery).await
    }
}

/// Sends one claimed delivery and records how it went, for the delivery and for its endpoint's
/// circuit.
pub async fn attempt(state: &AppState, delivery: Due) -> AppResult<()> {
    let now = state.now();
    let body = serde_json::to_vec(&delivery.payload.0).map_err(AppError::internal)?;
    let open = |sealed: &str| state.secrets.open(Purpose::WebhookSecret, sealed);
    let mut opened = vec![open(&delivery.secret).map_err(AppError::internal)?];
    if let (Some(previous), Some(until)) = (&delivery.previous_secret, delivery.previous_secret_expires_at)
        && until > now
    {
        opened.push(open(previous).map_err(AppError::internal)?);
    }
    let secrets: Vec<&str> = opened.iter().map(String::as_str).collect();
    let message_id = delivery.event_id.to_string();
    let timestamp = now.timestamp();
    let signed = webhooks::sign(&secrets, &message_id, timestamp, &body);
    let headers = [
        ("signature", signed.signature),
        ("timestamp", timestamp.to_string()),
        ("api-version", API_VERSION.to_string()),
        ("webhook-id", message_id),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signed.webhook_signature),
        ("x-marketfront-event", delivery.event_type.clone()),
        ("x-marketfront-delivery", delivery.id.to_string()),
    ];
    let answer = outbound::post(&state.outbound, &delivery.url, &headers, body, limits(state)).await;
    let now = state.now();
    // A failure is tried again after the back-off (or the receiver's Retry-After, if longer)
    // until the attempts run out.
    let failed = |status: Option<u16>, failure: Failure| {
        let jitter = rand::rng().random_range(-1.0..=1.0);
        match queue::settle(&webhooks::RETRIES, delivery.attempts as u32, failure, now, jitter) {
            Settled::RetryAt { at, error } => Attempt::Retry { status, error, at },
            Settled::Dead { error } => Attempt::Dead { status, error },
        }
    };
    let outcome = match answer {
        Ok(answer) if (200..300).contains(&answer.status) => Attempt::Delivered { status: answer.status },
        Ok(answer) if answer.status == 410 => {
            let reason = "the endpoint answered 410 Gone";
            webhook_db::set_enabled(&state.db, None, delivery.endpoint_id, false, Some(reason), now).await?;
            Attempt::Dead { status: Some(410), error: format!("{reason}; it is disabled") }
        }
        Ok(answer) => {
            let not_before = answer.retry_after.map(|seconds| chrono::Duration::seconds(seconds.min(86_400) as i64));
            failed(Some(answer.status), Failure::Transient { error: format!("answered {}", answer.status), not_before })
        }
        Err(FetchError::Permanent(why)) => failed(None, Failure::permanent(why)),
        Err(FetchError::Transient(why)) => failed(None, Failure::transient(why)),
    };
    let label = match &outcome {
        Attempt::Delivered { .. } => "delivered",
        Attempt::Retry { .. } => "retry",
        Attempt::Dead { .. } => "dead",
    };
    metrics::counter!(crate::metrics::WEBHOOK_ATTEMPTS, "outcome" => label).increment(1);
    let delivered = matches!(outcome, Attempt::Delivered { .. });
    webhook_db::record_attempt(&state.db, delivery.id, outcome, now).await?;
    // A success at an endpoint that was healthy when claimed changes nothing: no write, so the
    // common case costs the database one statement per attempt, as before circuits existed.
    if !(delivered && delivery.consecutive_failures == 0) {
        webhook_db::record_endpoint_health(&state.db, delivery.endpoint_id, delivered, now, webhooks::circuit_pause)
            .await?;
    }
    Ok(())
}
