//! What has outlived its purpose: validatedOrderTokens an hour past their expiry (kept that long
//! so a late place is told TOKEN_EXPIRED rather than TOKEN_INVALID), and finished
//! Idempotency-Keys past their retention. An order's one-token guarantee does not depend on
//! either: it is a unique index on the orders themselves. The rate limiters also forget callers
//! whose budgets are full again.

use crate::app::error::AppResult;
use crate::db::{idempotency, tokens};
use crate::state::AppState;

pub async fn reap(state: &AppState) -> AppResult<()> {
    state.rate_limits.forget_idle();
    let tokens = tokens::reap_expired(&state.db, state.now() - chrono::Duration::hours(1)).await?;
    if tokens > 0 {
        tracing::info!(count = tokens, "expired validated-order tokens reaped");
    }
    let keys = idempotency::reap_expired(&state.db, state.now()).await?;
    if keys > 0 {
        tracing::info!(count = keys, "expired idempotency keys reaped");
    }
    Ok(())
}
