//! Drains pending catalog fetches: catalog pulls, and the catalogs of stores being onboarded.
//! `MARKETFRONT_PULL_CONCURRENCY` fetchers run side by side, so a URL that answers slowly holds
//! one of them, not the queue; each claim passes over organisations that already have their
//! share in flight (`MARKETFRONT_PULL_ORGANIZATION_CONCURRENCY`), so one partner's slow URLs
//! cannot hold them all.

use crate::app::{ingest, onboarding};
use crate::state::AppState;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const IDLE_POLL: Duration = Duration::from_millis(500);

pub async fn run(state: AppState) {
    let someone_polls = Arc::new(AtomicBool::new(false));
    let fetchers: Vec<_> = (0..state.config.pull_concurrency)
        .map(|_| tokio::spawn(fetch_forever(state.clone(), someone_polls.clone())))
        .collect();
    for fetcher in fetchers {
        let _ = fetcher.await;
    }
}

/// Idle fetchers cost the database nothing but one poll: a single idle fetcher polls (for jobs
/// made on other instances and retries coming due), the others wait to be woken, by a request
/// on this instance or by a fetcher that has just claimed a job and leaves the rest of the
/// queue to a peer. So while there is work, fetchers join in one by one; when there is none,
/// one looks every `IDLE_POLL`.
async fn fetch_forever(state: AppState, someone_polls: Arc<AtomicBool>) {
    let wake_a_peer = || state.pull_wakeup.notify_one();
    loop {
        match fetch_one_of_each(&state, wake_a_peer).await {
            Ok(true) => continue,
            Ok(false) => {
                if someone_polls.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).is_ok() {
                    tokio::select! {
                        _ = state.pull_wakeup.notified() => {}
                        _ = tokio::time::sleep(IDLE_POLL) => {}
                    }
                    someone_polls.store(false, Ordering::Release);
                } else {
                    state.pull_wakeup.notified().await;
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
async fn fetch_one_of_each(state: &AppState, claimed: impl Fn()) -> anyhow::Result<bool> {
    let pulled = ingest::run_one(state, &claimed).await?;
    let onboarded = onboarding::fetch_one(state, &claimed).await?;
    Ok(pulled || onboarded)
}
