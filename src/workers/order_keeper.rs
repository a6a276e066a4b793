//! Cancels orders the restaurant never confirmed and settles closed orders' payments (see
//! `app::lifecycle::keep_orders`). Every step is idempotent and row-locked, so any number of
//! instances can run it.

use super::runner;
use crate::app::lifecycle;
use crate::state::AppState;

pub async fn run(state: AppState) {
    let interval = state.config.completer_interval;
    runner::every(state, "order keeper", interval, |state| async move { lifecycle::keep_orders(&state).await }).await;
}
