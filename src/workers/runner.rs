//! The one loop every periodic worker runs: a pass per tick, a failed pass logged and tried
//! again at the next one. (The webhook dispatcher and the catalog fetchers run their own loops:
//! they claim as capacity frees rather than on a tick.)

use crate::app::error::AppResult;
use crate::state::AppState;
use std::future::Future;
use std::time::Duration;

pub async fn every<F, Fut>(state: AppState, name: &'static str, interval: Duration, pass: F)
where
    F: Fn(AppState) -> Fut,
    Fut: Future<Output = AppResult<()>>,
{
    let mut tick = tokio::time::interval(interval);
    // A pass that overruns its tick delays the next one instead of bunching passes up.
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(error) = pass(state.clone()).await {
            tracing::warn!(worker = name, error = format!("{error:#}"), "pass failed; will try again");
        }
    }
}
