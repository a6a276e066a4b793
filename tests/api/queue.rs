//! The one loop that works every job queue (`workers::queue::drain`), driven with a queue the
//! test holds in memory: it never runs more jobs at once than the queue allows, claims only for
//! free slots, carries on past a job that failed, and starts at once when woken.

use crate::helpers::*;
use marketfront::app::error::{AppError, AppResult};
use marketfront::app::queue::{Lease, Queue};
use marketfront::state::AppState;
use marketfront::workers::queue::drain;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};

struct Ledger {
    /// Jobs waiting to be claimed.
    waiting: Mutex<Vec<usize>>,
    claimed: AtomicUsize,
    running: AtomicUsize,
    most_at_once: AtomicUsize,
    finished: AtomicUsize,
    /// Each run waits for a permit here, so the test decides when jobs end.
    gate: Semaphore,
    added: Arc<Notify>,
}

#[derive(Clone)]
struct InMemory {
    ledger: Arc<Ledger>,
    concurrency: usize,
    poll: Duration,
}

impl InMemory {
    fn new(jobs: usize, concurrency: usize, poll: Duration) -> Self {
        let ledger = Ledger {
            waiting: Mutex::new((0..jobs).collect()),
            claimed: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
            most_at_once: AtomicUsize::new(0),
            finished: AtomicUsize::new(0),
            gate: Semaphore::new(0),
            added: Arc::new(Notify::new()),
        };
        InMemory { ledger: Arc::new(ledger), concurrency, poll }
    }

    fn count(&self, what: fn(&Ledger) -> &AtomicUsize) -> usize {
        what(&self.ledger).load(Ordering::SeqCst)
    }
}

impl Queue for InMemory {
    type Job = usize;
    const NAME: &'static str = "in-memory test queue";

    fn concurrency(&self, _state: &AppState) -> usize {
        self.concurrency
    }

    fn lease(&self, _state: &AppState) -> chrono::Duration {
        chrono::Duration::seconds(30)
    }

    fn poll_interval(&self, _state: &AppState) -> Duration {
        self.poll
    }

    fn wakeup(&self, _state: &AppState) -> Option<Arc<Notify>> {
        Some(self.ledger.added.clone())
    }

    async fn claim(&self, _state: &AppState, _lease: Lease, room: usize) -> AppResult<Vec<usize>> {
        let mut waiting = self.ledger.waiting.lock().unwrap();
        let take = room.min(waiting.len());
        let jobs: Vec<usize> = waiting.drain(..take).collect();
        self.ledger.claimed.fetch_add(jobs.len(), Ordering::SeqCst);
        Ok(jobs)
    }

    async fn run(&self, _state: &AppState, job: usize) -> AppResult<()> {
        let ledger = &self.ledger;
        let now = ledger.running.fetch_add(1, Ordering::SeqCst) + 1;
        ledger.most_at_once.fetch_max(now, Ordering::SeqCst);
        ledger.gate.acquire().await.expect("the gate stays open").forget();
        ledger.running.fetch_sub(1, Ordering::SeqCst);
        ledger.finished.fetch_add(1, Ordering::SeqCst);
        // Every other job fails to record its end: the loop must carry on regardless.
        if job % 2 == 1 {
            Err(AppError::internal(anyhow::anyhow!("the job's end could not be recorded")))
        } else {
            Ok(())
        }
    }
}

#[tokio::test]
async fn no_more_jobs_run_at_once_than_the_queue_allows_and_a_failed_one_stops_nothing() {
    let app = TestApp::spawn().await;
    let queue = InMemory::new(10, 3, Duration::from_secs(3600));
    let worker = tokio::spawn(drain(app.state.clone(), queue.clone()));

    app.eventually("three jobs running", || async { (queue.count(|l| &l.running) == 3).then_some(()) }).await;
    assert_eq!(queue.count(|l| &l.claimed), 3, "claimed only for the free slots, not the whole queue");

    // Let the jobs end one at a time: each end frees a slot, which the loop fills at once.
    for finished in 1..=10 {
        queue.ledger.gate.add_permits(1);
        app.eventually("a job to end", || async { (queue.count(|l| &l.finished) == finished).then_some(()) }).await;
    }
    assert_eq!(queue.count(|l| &l.claimed), 10, "every job claimed once");
    assert_eq!(queue.count(|l| &l.most_at_once), 3, "never more than the queue's concurrency at once");
    worker.abort();
}

#[tokio::test]
async fn a_job_added_on_this_instance_starts_without_waiting_for_the_poll() {
    let app = TestApp::spawn().await;
    // The poll is an hour away: only the wake-up can start the job within the test.
    let queue = InMemory::new(0, 2, Duration::from_secs(3600));
    queue.ledger.gate.add_permits(1);
    let worker = tokio::spawn(drain(app.state.clone(), queue.clone()));
    tokio::task::yield_now().await;

    queue.ledger.waiting.lock().unwrap().push(0);
    queue.ledger.added.notify_one();
    app.eventually("the added job to run", || async { (queue.count(|l| &l.finished) == 1).then_some(()) }).await;
    worker.abort();
}
