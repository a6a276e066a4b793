//! The one loop every periodic sweep runs: a pass per tick, a failed pass logged and tried
//! again at the next one. (Job queues do not tick: `queue::drain` claims as slots free.)

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
