//! Drains pending catalog fetches: catalog pulls, and the catalogs of stores being onboarded.
//! `MARKETFRONT_PULL_CONCURRENCY` fetchers run side by side, so a URL that answers slowly holds
//! one of them, not the queue; each claim passes over organisations that already have their
//! share in flight (`MARKETFRONT_PULL_ORGANIZATION_CONCURRENCY`), so one partner's slow URLs
//! cannot hold them all.

use crate::app::{ingest, onboarding};
use crate::state::AppState;
use std::time::Duration;

const IDLE_POLL: Duration = Duration::from_millis(500);

pub async fn run(state: AppState) {
    let fetchers: Vec<_> =
        (0..state.config.pull_concurrency).map(|_| tokio::spawn(fetch_forever(state.clone()))).collect();
    for fetcher in fetchers {
        let _ = fetcher.await;
    }
}

async fn fetch_forever(state: AppState) {
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
