//! Background work every `serve` process runs. Each worker takes its jobs from Postgres with row
//! locks, so any number of instances can run side by side.

pub mod cache_listener;
pub mod catalog_pull;
pub mod order_keeper;
pub mod place_completer;
pub mod reaper;
pub mod runner;
pub mod store_resumer;
pub mod webhook_dispatcher;

use crate::state::AppState;
use tokio::task::JoinHandle;

pub fn spawn_all(state: &AppState) -> Vec<JoinHandle<()>> {
    vec![
        tokio::spawn(cache_listener::run(state.clone())),
        tokio::spawn(catalog_pull::run(state.clone())),
        tokio::spawn(store_resumer::run(state.clone())),
        tokio::spawn(place_completer::run(state.clone())),
        tokio::spawn(order_keeper::run(state.clone())),
        tokio::spawn(reaper::run(state.clone())),
        tokio::spawn(webhook_dispatcher::run(state.clone())),
    ]
}
