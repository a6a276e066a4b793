//! Rolls back place requests abandoned mid-way (see `app::place::completer::complete_abandoned`). Any
//! number of instances can run it: each claims its keys with `FOR UPDATE SKIP LOCKED`.

use crate::app::place;
use crate::state::AppState;

pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(state.config.completer_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(error) = place::completer::complete_abandoned(&state).await {
            tracing::warn!(error = format!("{error:#}"), "place completer: will try again");
        }
    }
}
