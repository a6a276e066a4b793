//! Background work every `serve` process runs. Each worker takes its jobs from Postgres with row
//! locks, so any number of instances can run side by side: the job queues (`app::queue`) are
//! worked by `queue::drain`, and the periodic sweeps (orders the restaurant never confirmed,
//! pauses that ended, expired rows) by `runner::every`.

pub mod cache_listener;
pub mod order_keeper;
pub mod queue;
pub mod reaper;
pub mod replica_watch;
pub mod runner;
pub mod store_resumer;

use crate::app::ingest::CatalogFetches;
use crate::app::place::completer::AbandonedPlaces;
use crate::app::webhooks::Deliveries;
use crate::state::AppState;
use tokio::task::JoinHandle;

pub fn spawn_all(state: &AppState) -> Vec<JoinHandle<()>> {
    vec![
        tokio::spawn(cache_listener::run(state.clone())),
        tokio::spawn(queue::drain(state.clone(), CatalogFetches)),
        tokio::spawn(queue::drain(state.clone(), Deliveries)),
        tokio::spawn(queue::drain(state.clone(), AbandonedPlaces)),
        tokio::spawn(store_resumer::run(state.clone())),
        tokio::spawn(order_keeper::run(state.clone())),
        tokio::spawn(reaper::run(state.clone())),
        tokio::spawn(replica_watch::run(state.clone())),
    ]
}
