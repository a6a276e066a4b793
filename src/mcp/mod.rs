//! The MCP server for AI agents (`/mcp`, Streamable HTTP), a door like `http`: rmcp speaks the
//! protocol; `gate` authenticates and binds each conversation to its session; `tools` maps
//! each tool onto the use cases (`app::conversations` and the rest) the REST API uses too.
//! rmcp keeps a live session in the memory of one instance; `store` keeps what another
//! instance needs to take it over, so a conversation is served by any instance.

mod gate;
mod inputs;
mod problems;
mod store;
mod tools;
mod views;

use crate::state::AppState;
use axum::Router;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::sync::Arc;
use std::time::Duration;

pub use tools::Marketfront;

/// The header that names a conversation after `initialize`.
pub const SESSION_HEADER: &str = "mcp-session-id";
pub const PATH: &str = "/mcp";
/// As the REST API's bodies: a tool call is small.
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// An instance forgets a session it has not served for this long; its row stays, and the next
/// request restores it from there.
const IN_MEMORY_IDLE: Duration = Duration::from_secs(600);

pub fn routes(state: &AppState) -> Router<AppState> {
    let mut config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(state.config.mcp_allowed_hosts.clone())
        .with_allowed_origins(state.config.mcp_allowed_origins.clone())
        .with_max_request_body_bytes(MAX_REQUEST_BYTES);
    config.session_store = Some(Arc::new(store::PostgresSessions { state: state.clone() }));
    let mut sessions = LocalSessionManager::default();
    sessions.session_config.keep_alive = Some(IN_MEMORY_IDLE);
    let serving = state.clone();
    let service = StreamableHttpService::new(move || Ok(Marketfront::new(serving.clone())), Arc::new(sessions), config);
    Router::new()
        .route_service(PATH, service)
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), gate::gate))
}
