//! One shape for every queue of background jobs: catalog fetches (pulls and onboardings),
//! webhook deliveries and abandoned place requests now, refund retries and restaurant
//! hand-overs next.
//!
//! A queue's jobs are rows in Postgres. A worker claims due rows with `FOR UPDATE SKIP LOCKED`
//! and leases them until a time, so any number of instances work one queue without blocking
//! each other, and a job whose worker died is claimed again once its lease has run out. A run
//! that fails is settled by `domain::queue::settle`: back in the queue at a time the queue's
//! `Retries` gives, or dead, kept with why. Each queue keeps its own table (and its own notion
//! of fairness in the claim); `workers::queue::drain` is the one loop that works them all.

use crate::app::error::AppResult;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Until when claimed jobs are this worker's.
#[derive(Debug, Clone, Copy)]
pub struct Lease {
    pub now: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

pub trait Queue: Send + Sync + 'static {
    type Job: Send + 'static;

    /// The queue's name in logs.
    const NAME: &'static str;

    /// How many of its jobs one instance runs at once.
    fn concurrency(&self, state: &AppState) -> usize;

    /// How long a claimed job is the claimer's before another instance may take it over:
    /// longer than a run can take.
    fn lease(&self, state: &AppState) -> chrono::Duration;

    /// How often an idle worker looks for jobs that other instances made or that came due.
    fn poll_interval(&self, state: &AppState) -> Duration;

    /// Notified when a request on this instance adds a job, so it starts without waiting for
    /// the poll.
    fn wakeup(&self, _state: &AppState) -> Option<Arc<Notify>> {
        None
    }

    /// Claims up to `room` due jobs under `lease`.
    fn claim(
        &self,
        state: &AppState,
        lease: Lease,
        room: usize,
    ) -> impl Future<Output = AppResult<Vec<Self::Job>>> + Send;

    /// Runs one claimed job and records how it ended. An error here means the ending could not
    /// be recorded: the job is claimed again when its lease runs out.
    fn run(&self, state: &AppState, job: Self::Job) -> impl Future<Output = AppResult<()>> + Send;
}

/// The lease a claim made now takes on `queue`'s jobs.
pub fn lease_now<Q: Queue>(state: &AppState, queue: &Q) -> Lease {
    let now = state.now();
    Lease { now, until: now + queue.lease(state) }
}

/// Claims one due job and runs it; `false` when none was due. For tests and tools that drive a
/// queue by hand at the test clock instead of waiting for the worker.
pub async fn work_one<Q: Queue>(state: &AppState, queue: &Q) -> AppResult<bool> {
    let jobs = queue.claim(state, lease_now(state, queue), 1).await?;
    let found = !jobs.is_empty();
    for job in jobs {
        queue.run(state, job).await?;
    }
    Ok(found)
}
