//! Delivers the outbox to partners' endpoints. Up to `MARKETFRONT_WEBHOOK_CONCURRENCY` attempts
//! run at once, each on its own task: the loop claims more as soon as a slot is free, so one
//! slow receiver holds one slot, never the whole pass. Which deliveries fill the free slots is
//! the claim's to decide, fairly across endpoints and organisations (`app::webhooks::claim`).
//! Deliveries are claimed with `FOR UPDATE SKIP LOCKED`, so any number of instances can run it.

use crate::app::webhooks;
use crate::state::AppState;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};

/// After an attempt ends, how long the loop waits for others to end too before it claims again:
/// one claim for the slots of several attempts, rather than a claim per attempt, which under
/// load costs the database more than the deliveries themselves.
const GATHER: Duration = Duration::from_millis(5);

pub async fn run(state: AppState) {
    let slots = Arc::new(Semaphore::new(state.config.webhook_concurrency));
    // An attempt that ends frees its endpoint's and organisation's share too, so it wakes the
    // loop rather than leaving the next delivery to the poll.
    let finished = Arc::new(Notify::new());
    loop {
        let first = slots.clone().acquire_owned().await.expect("the semaphore is never closed");
        // Only this loop takes permits, so every one available now can be had without waiting.
        let room = slots.available_permits() + 1;
        let due = match webhooks::claim(&state, room).await {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "webhook dispatcher: will try again");
                Vec::new()
            }
        };
        if due.is_empty() {
            drop(first);
            tokio::select! {
                _ = tokio::time::sleep(state.config.webhook_poll_interval) => {}
                _ = finished.notified() => tokio::time::sleep(GATHER).await,
            }
            continue;
        }
        let mut first = Some(first);
        for delivery in due {
            let permit = match first.take() {
                Some(permit) => permit,
                None => slots.clone().acquire_owned().await.expect("the semaphore is never closed"),
            };
            let (state, finished) = (state.clone(), finished.clone());
            tokio::spawn(async move {
                if let Err(error) = webhooks::attempt(&state, delivery).await {
                    tracing::warn!(error = format!("{error:#}"), "webhook attempt not recorded; its lease will expire");
                }
                drop(permit);
                finished.notify_one();
            });
        }
    }
}
