//! Marketfront: the backend of a restaurant marketplace. See DESIGN.md for the architecture.

pub mod app;
pub mod cache;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod http;
pub mod input;
pub mod metrics;
pub mod outbound;
pub mod payments;
pub mod rate_limit;
pub mod secret_box;
pub mod state;
pub mod telemetry;
pub mod workers;

pub use state::AppState;

/// The whole HTTP application; used by `main` and by every test.
pub fn build_app(state: AppState) -> axum::Router {
    metrics::handle();
    http::router(state)
}
