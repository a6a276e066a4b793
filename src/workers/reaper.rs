//! Deletes what has outlived its purpose: validatedOrderTokens an hour past their expiry (kept
//! that long so a late place is told TOKEN_EXPIRED rather than TOKEN_INVALID), and finished
//! Idempotency-Keys past their retention. An order's one-token guarantee does not depend on
//! either: it is a unique index on the orders themselves. It also lets the rate limiters forget
//! callers whose budgets are full again.

use crate::db::{idempotency, tokens};
use crate::state::AppState;
use std::time::Duration;

pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        state.rate_limits.forget_idle();
        let before = state.now() - chrono::Duration::hours(1);
        match tokens::reap_expired(&state.db, before).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "expired validated-order tokens reaped"),
            Err(error) => tracing::warn!(%error, "reaper: will try again"),
        }
        match idempotency::reap_expired(&state.db, state.now()).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "expired idempotency keys reaped"),
            Err(error) => tracing::warn!(%error, "reaper: will try again"),
        }
    }
}
