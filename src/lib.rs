//! Marketfront: the backend of a restaurant marketplace. See DESIGN.md for the architecture.

pub mod app;
pub mod auth;
pub mod cache;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod http;
pub mod input;
pub mod mcp;
pub mod metrics;
pub mod outbound;
pub mod payments;
pub mod replica;
pub mod secret_box;
pub mod state;
pub mod telemetry;
pub mod workers;

pub use state::AppState;

/// Connects (database prepared and migrated, pools open) and runs what must happen before the
/// first request: secrets still stored in clear are sealed, stores missing from the discovery
/// index are indexed. Used by `main` and by every test.
pub async fn start(config: config::Config, clock: std::sync::Arc<dyn clock::Clock>) -> anyhow::Result<AppState> {
    let state = AppState::connect(config, clock).await?;
    let sealed = app::secrets_at_rest::seal_stored(&state.db, &state.secrets).await?;
    if sealed > 0 {
        tracing::info!(rows = sealed, "sealed secrets that were stored in clear");
    }
    let indexed = app::discovery_index::backfill(&state.db).await?;
    if indexed > 0 {
        tracing::info!(stores = indexed, "indexed stores for discovery");
    }
    Ok(state)
}

/// The whole HTTP application; used by `main` and by every test.
pub fn build_app(state: AppState) -> axum::Router {
    metrics::handle();
    http::router(state)
}
