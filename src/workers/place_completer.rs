//! Rolls back place requests abandoned mid-way (see `app::place::completer`). Any number of
//! instances can run it: each claims its keys with `FOR UPDATE SKIP LOCKED`.

use super::runner;
use crate::app::place::completer;
use crate::state::AppState;

pub async fn run(state: AppState) {
    let interval = state.config.completer_interval;
    runner::every(state, "place completer", interval, |state| async move {
        completer::complete_abandoned(&state).await.map(|_| ())
    })
    .await;
}
