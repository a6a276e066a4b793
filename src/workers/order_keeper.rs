//! Cancels orders the restaurant never confirmed and settles closed orders' payments (see
//! `app::lifecycle::keep_orders`). Every step is idempotent and row-locked, so any number of
//! instances can run it.

use crate::app::lifecycle;
use crate::state::AppState;

pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(state.config.completer_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(error) = lifecycle::keep_orders(&state).await {
            tracing::warn!(error = format!("{error:#}"), "order keeper: will try again");
        }
    }
}
