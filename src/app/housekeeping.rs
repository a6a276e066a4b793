//! What has outlived its purpose: validatedOrderTokens an hour past their expiry (kept that long
//! so a late place is told TOKEN_EXPIRED rather than TOKEN_INVALID), finished
//! Idempotency-Keys past their retention, sessions past their expiry (whose tokens say so
//! by themselves), MCP conversations idle past their limit, order confirmations past theirs and
//! out-of-stock marks whose `until` has passed. An order's one-token guarantee does not depend on
//! any of them: it is a unique index on the orders themselves. The rate limiters also forget
//! callers whose budgets are full again.
//!
//! A backlog (a reaper that was down, a burst of validations) is deleted a batch per statement,
//! each its own transaction, until a batch comes back short: no statement holds locks on, or
//! writes the log for, more than a batch, and place's inserts never wait behind a giant delete.

use crate::app::conversations;
use crate::app::error::AppResult;
use crate::db::{idempotency, item_availability, mcp_sessions, sessions, tokens};
use crate::state::AppState;
use std::future::Future;

/// Rows deleted per statement.
pub const REAP_BATCH: i64 = 5_000;

pub async fn reap(state: &AppState) -> AppResult<()> {
    state.rate_limits.forget_idle();
    let before = state.now() - chrono::Duration::hours(1);
    let tokens = in_batches(|| tokens::reap_expired(&state.db, before, REAP_BATCH)).await?;
    if tokens > 0 {
        tracing::info!(count = tokens, "expired validated-order tokens reaped");
    }
    let now = state.now();
    let keys = in_batches(|| idempotency::reap_expired(&state.db, now, REAP_BATCH)).await?;
    if keys > 0 {
        tracing::info!(count = keys, "expired idempotency keys reaped");
    }
    let sessions = in_batches(|| sessions::reap_expired(&state.db, now, REAP_BATCH)).await?;
    if sessions > 0 {
        tracing::info!(count = sessions, "expired sessions reaped");
    }
    let idle = in_batches(|| mcp_sessions::reap_idle(&state.db, now - conversations::IDLE_LIMIT, REAP_BATCH)).await?;
    if idle > 0 {
        tracing::info!(count = idle, "idle MCP sessions reaped");
    }
    // Kept an hour past expiry, so that a late yes is told it expired rather than unknown.
    let confirmations = in_batches(|| mcp_sessions::reap_confirmations(&state.db, before, REAP_BATCH)).await?;
    if confirmations > 0 {
        tracing::info!(count = confirmations, "expired order confirmations reaped");
    }
    // Marks that ended by themselves: no reader counts them any more.
    let marks = in_batches(|| item_availability::reap_expired(&state.db, now, REAP_BATCH)).await?;
    if marks > 0 {
        tracing::info!(count = marks, "ended out-of-stock marks reaped");
    }
    Ok(())
}

/// Runs `batch` until it deletes fewer than a whole batch; the total deleted.
async fn in_batches<F, Fut>(mut batch: F) -> sqlx::Result<u64>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = sqlx::Result<u64>>,
{
    let mut total = 0;
    loop {
        let deleted = batch().await?;
        total += deleted;
        if deleted < REAP_BATCH as u64 {
            return Ok(total);
        }
        // Other tasks of this process (requests, other workers) get their turn between batches.
        tokio::task::yield_now().await;
    }
}
