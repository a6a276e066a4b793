//! The one loop that works a queue (see `app::queue`). Up to the queue's concurrency of jobs run
//! at once, each on its own task: the loop claims more as soon as a slot is free, so one slow
//! job (a receiver that hangs, a catalog URL that answers slowly) holds one slot, never the
//! queue. Which jobs fill the free slots is the queue's claim to decide.

use crate::app::queue::{self, Queue};
use crate::state::AppState;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};

/// After a job ends, how long the loop waits for others to end too before it claims again:
/// one claim for the slots of several jobs, rather than a claim per job, which under load costs
/// the database more than the jobs themselves.
const GATHER: Duration = Duration::from_millis(5);

/// After a claim fails (the database is away), how long before the next.
const AFTER_FAILED_CLAIM: Duration = Duration::from_secs(1);

pub async fn drain<Q: Queue>(state: AppState, queue: Q) {
    let queue = Arc::new(queue);
    let slots = Arc::new(Semaphore::new(queue.concurrency(&state).max(1)));
    // A job that ends frees its share of the queue's fairness limits too, so it wakes the loop
    // rather than leaving the next job to the poll.
    let finished = Arc::new(Notify::new());
    let added = queue.wakeup(&state).unwrap_or_default();
    loop {
        let first = slots.clone().acquire_owned().await.expect("the semaphore is never closed");
        // Only this loop takes permits, so every one available now can be had without waiting.
        let room = slots.available_permits() + 1;
        let jobs = match queue.claim(&state, queue::lease_now(&state, queue.as_ref()), room).await {
            Ok(jobs) => jobs,
            Err(error) => {
                tracing::warn!(queue = Q::NAME, error = format!("{error:#}"), "claim failed; will try again");
                drop(first);
                tokio::time::sleep(AFTER_FAILED_CLAIM).await;
                continue;
            }
        };
        if jobs.is_empty() {
            drop(first);
            tokio::select! {
                _ = tokio::time::sleep(queue.poll_interval(&state)) => {}
                _ = added.notified() => {}
                _ = finished.notified() => tokio::time::sleep(GATHER).await,
            }
            continue;
        }
        let mut first = Some(first);
        for job in jobs {
            let permit = match first.take() {
                Some(permit) => permit,
                None => slots.clone().acquire_owned().await.expect("the semaphore is never closed"),
            };
            let (state, queue, finished) = (state.clone(), queue.clone(), finished.clone());
            tokio::spawn(async move {
                if let Err(error) = queue.run(&state, job).await {
                    tracing::warn!(
                        queue = Q::NAME,
                        error = format!("{error:#}"),
                        "job's end not recorded; its lease will expire"
                    );
                }
                drop(permit);
                finished.notify_one();
            });
        }
    }
}
