//! The Idempotency-Key protocol, for every use case that takes a key (place now; cancel and
//! refunds next). One key, one answer:
//!
//! 1. **Claim** (`begin`, inside the caller's transaction): the first request with a key inserts
//!    it, claimed by a fresh `Claim` and leased until `now + lease`. A concurrent request with the
//!    same key waits on the row's lock and then sees it.
//! 2. **Fingerprint**: the key is bound to the body it first came with; another body is refused
//!    (`Reused`), unless the first request is still running (`in_use`).
//! 3. **Replay**: a finished key answers with what it stored, success or refusal, byte for byte.
//! 4. **Take-over**: a key whose lease ran out (its request died or stalled) is claimed by the
//!    next request with it, which carries on from the recorded `RecoveryPoint`.
//! 5. **Finish / release**: the owner stores the final answer (`finish_succeeded`,
//!    `finish_refused`), or lets go without one after a retryable failure (`release`). Every
//!    write checks the claim, so a request that lost its key changes nothing.
//!
//! The caller owns the transactions; this module owns the rules and the key's row.

use crate::app::error::{AppError, AppResult, Refusal};
use crate::app::queue::Lease;
use crate::db::idempotency as keys;
use crate::domain::error_code::ErrorCode;
use crate::domain::idempotency::{Outcome, RecoveryPoint};
use crate::domain::problem::Problem;
use crate::metrics as names;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A keyed request: who sent it, its key (already scoped to them) and its body's fingerprint.
pub struct KeyedRequest {
    pub organization: Uuid,
    pub key: Uuid,
    pub fingerprint: Vec<u8>,
}

/// How long a claim lasts, and how long a finished answer is kept.
#[derive(Clone, Copy)]
pub struct Terms {
    pub lease: Duration,
    pub keep_for: Duration,
}

/// Proof that one request owns a key right now.
#[derive(Debug, Clone, Copy)]
pub struct Claim {
    pub organization: Uuid,
    pub key: Uuid,
    token: Uuid,
}

/// What the caller does next.
pub enum Begun {
    /// The key is new (or was left at its start): do the work, in the same transaction.
    Fresh(Claim),
    /// An earlier request with this key stopped after `point`, having made `resource`; the
    /// take-over is recorded in the transaction, which the caller commits before carrying on.
    Resume { claim: Claim, point: RecoveryPoint, resource: Option<Uuid> },
    /// The key's stored answer.
    Replay(Stored),
    /// The key came with a different body before. `succeeded_with` is what that request made,
    /// when it succeeded (place answers ORDER_ALREADY_PLACED with it).
    Reused { succeeded_with: Option<Uuid> },
}

/// A finished key's answer.
pub enum Stored {
    Succeeded { resource: Option<Uuid>, body: Vec<u8> },
    Refused(Refusal),
}

/// A refusal as kept on the key, re-rendered on replay (with the replay's own request id).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredRefusal {
    error_code: String,
    detail: String,
    errors: Vec<Problem>,
    members: Map<String, Value>,
}

pub async fn begin(
    tx: &mut PgConnection,
    request: &KeyedRequest,
    terms: Terms,
    now: DateTime<Utc>,
) -> AppResult<Begun> {
    let claim = Claim { organization: request.organization, key: request.key, token: Uuid::new_v4() };
    let lease_end = now + terms.lease;
    let fresh = keys::try_insert(
        tx,
        claim.organization,
        claim.key,
        &request.fingerprint,
        claim.token,
        now,
        lease_end,
        now + terms.keep_for,
    )
    .await?;
    if fresh {
        return Ok(Begun::Fresh(claim));
    }
    // The insert waited for any concurrent first use of the key to commit, so the row is there
    // (unless it was deleted meanwhile, which only a retry can resolve).
    let Some(row) = keys::lock(tx, claim.organization, claim.key).await? else { return Err(in_use()) };
    let running = row.locked_until.is_some_and(|until| until > now);
    if row.fingerprint != request.fingerprint {
        return match (row.outcome, row.order_id) {
            (Some(Outcome::Succeeded), Some(resource)) => Ok(Begun::Reused { succeeded_with: Some(resource) }),
            (None, _) if running => Err(in_use()),
            _ => Ok(Begun::Reused { succeeded_with: None }),
        };
    }
    if row.recovery_point == RecoveryPoint::Finished {
        metrics::counter!(names::IDEMPOTENT_REPLAYS).increment(1);
        return stored(row).map(Begun::Replay);
    }
    if running {
        return Err(in_use());
    }
    keys::take_over(tx, claim.organization, claim.key, claim.token, now, lease_end).await?;
    Ok(match row.recovery_point {
        RecoveryPoint::Started => Begun::Fresh(claim),
        point => Begun::Resume { claim, point, resource: row.order_id },
    })
}

fn stored(row: keys::KeyRow) -> AppResult<Stored> {
    let body = row.response_body.unwrap_or_default();
    match row.outcome {
        Some(Outcome::Succeeded) => Ok(Stored::Succeeded { resource: row.order_id, body }),
        _ => {
            let stored: StoredRefusal = serde_json::from_slice(&body).map_err(AppError::internal)?;
            let code = ErrorCode::ALL
                .iter()
                .copied()
                .find(|c| c.as_str() == stored.error_code)
                .unwrap_or(ErrorCode::InternalError);
            Ok(Stored::Refused(Refusal {
                code,
                detail: stored.detail,
                errors: stored.errors,
                members: stored.members,
                retry_after: None,
                replayed: true,
            }))
        }
    }
}

/// Records that the request reached `point`, having made `resource`, in the caller's
/// transaction (so the step and its record commit together).
pub async fn record_point(
    conn: &mut PgConnection,
    claim: &Claim,
    point: RecoveryPoint,
    resource: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    Ok(keys::record_point(conn, claim.organization, claim.key, point, resource, now).await?)
}

/// Stores the success to replay. `false` when the claim no longer owns the key (the caller
/// must then change nothing).
pub async fn finish_succeeded(
    conn: &mut PgConnection,
    claim: &Claim,
    body: &[u8],
    now: DateTime<Utc>,
) -> AppResult<bool> {
    Ok(keys::finish(conn, claim.organization, claim.key, claim.token, Outcome::Succeeded, body, now).await?)
}

/// Stores a final refusal to replay. Only refusals are final: an internal or unavailable
/// error is never stored (the caller releases the key instead).
pub async fn finish_refused(
    conn: &mut PgConnection,
    claim: &Claim,
    refusal: &AppError,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let AppError::Refused(refusal) = refusal else {
        return Err(AppError::internal(anyhow::anyhow!("only a refusal is a final answer: {refusal}")));
    };
    let stored = StoredRefusal {
        error_code: refusal.code.as_str().to_string(),
        detail: refusal.detail.clone(),
        errors: refusal.errors.clone(),
        members: refusal.members.clone(),
    };
    let body = serde_json::to_vec(&stored).map_err(AppError::internal)?;
    Ok(keys::finish(conn, claim.organization, claim.key, claim.token, Outcome::Refused, &body, now).await?)
}

/// Lets go of the key without an answer after a retryable failure: the next request with it
/// carries on from the recorded point. `false` when the claim no longer owns the key.
pub async fn release(conn: &mut PgConnection, claim: &Claim, now: DateTime<Utc>) -> AppResult<bool> {
    Ok(keys::release(conn, claim.organization, claim.key, claim.token, now).await?)
}

/// Forgets the key, so the next request with it runs from the start.
pub async fn forget(conn: &mut PgConnection, claim: &Claim) -> AppResult<bool> {
    Ok(keys::delete(conn, claim.organization, claim.key, claim.token).await?)
}

/// Claims up to `limit` keys whose request was abandoned mid-way (its lease ran out, or it was
/// released and nobody retried within a lease), for a completer to roll back. Each comes with
/// the resource its request had made.
pub async fn claim_abandoned(
    pool: &PgPool,
    terms: Terms,
    lease: Lease,
    limit: i64,
) -> AppResult<Vec<(Claim, Option<Uuid>)>> {
    let token = Uuid::new_v4();
    let idle_before = lease.now - terms.lease;
    let rows = keys::claim_abandoned(pool, lease.now, idle_before, token, lease.until, limit).await?;
    Ok(rows.into_iter().map(|(organization, key, resource)| (Claim { organization, key, token }, resource)).collect())
}

/// A request with this key is still running.
pub fn in_use() -> AppError {
    count_conflict(ErrorCode::IdempotencyKeyInUse);
    AppError::new(
        ErrorCode::IdempotencyKeyInUse,
        "A request with this Idempotency-Key is still being processed; retry shortly for its answer.",
    )
    .with_retry_after(1)
}

/// The key was used with another body.
pub fn reused() -> AppError {
    count_conflict(ErrorCode::IdempotencyKeyReused);
    AppError::new(
        ErrorCode::IdempotencyKeyReused,
        "This Idempotency-Key was used with a different request body; use a new key for a new request.",
    )
}

pub fn count_conflict(code: ErrorCode) {
    metrics::counter!(names::IDEMPOTENCY_CONFLICTS, "code" => code.as_str()).increment(1);
}
