//! Drains pending catalog pulls.

use crate::app::ingest;
use crate::state::AppState;
use std::time::Duration;

const IDLE_POLL: Duration = Duration::from_millis(500);

pub async fn run(state: AppState) {
    loop {
        match ingest::run_one(&state).await {
            Ok(true) => continue,
            Ok(false) => {
                // Woken at once by a new notification on this instance; the poll catches jobs
                // created on other instances and retries coming due.
                tokio::select! {
                    _ = state.pull_wakeup.notified() => {}
                    _ = tokio::time::sleep(IDLE_POLL) => {}
                }
            }
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "catalog pull worker: will try again");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
}
