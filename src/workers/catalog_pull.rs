//! Drains pending catalog fetches: catalog pulls, and the catalogs of stores being onboarded.

use crate::app::{ingest, onboarding};
use crate::state::AppState;
use std::time::Duration;

const IDLE_POLL: Duration = Duration::from_millis(500);

pub async fn run(state: AppState) {
    loop {
        match fetch_one_of_each(&state).await {
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

/// One due pull and one due onboarding fetch, so neither kind can starve the other; `true` if
/// either found work.
async fn fetch_one_of_each(state: &AppState) -> anyhow::Result<bool> {
    let pulled = ingest::run_one(state).await?;
    let onboarded = onboarding::fetch_one(state).await?;
    Ok(pulled || onboarded)
}
