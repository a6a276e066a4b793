//! Deletes what has outlived its purpose (see `app::housekeeping::reap`).

use super::runner;
use crate::app::housekeeping;
use crate::state::AppState;
use std::time::Duration;

pub async fn run(state: AppState) {
    runner::every(state, "reaper", Duration::from_secs(60), |state| async move { housekeeping::reap(&state).await })
        .await;
}
