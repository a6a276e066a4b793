//! The HTTP surface: routers, extractors, authentication, and error rendering.

pub mod auth;
pub mod commerce;
pub mod context;
pub mod docs;
pub mod errors;
pub mod extract;
pub mod health;
pub mod html;
pub mod marketplace;
pub mod partner;
pub mod problem;
pub mod rate_limit_headers;
pub mod request_metrics;
pub mod server;
pub mod views;

use crate::app::error::AppError;
use crate::domain::error_code::ErrorCode;
use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::http::Uri;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

/// Bodies above this are refused with 413 (the catalog push allows more, see `commerce`).
pub const BODY_LIMIT: usize = 1024 * 1024;

pub fn router(state: AppState) -> Router {
    // Past it a request is answered 503 and its work abandoned, as a crash would abandon it.
    let request_timeout = TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, state.config.request_timeout);
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/openapi.json", get(openapi))
        .route("/docs", get(docs::reference))
        .route("/errors", get(errors::index))
        .route("/errors/{error_code}", get(errors::page))
        .route("/metrics", get(request_metrics::render))
        .merge(commerce::routes())
        .merge(marketplace::routes())
        .merge(partner::routes())
        // The MCP server shares the port, the budgets and the outer layers.
        .merge(crate::mcp::routes(&state))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // A panic becomes a 500 problem (rendered by the context layer), not a dropped connection.
        .layer(CatchPanicLayer::new())
        .layer(request_timeout)
        .layer(axum::middleware::from_fn(rate_limit_headers::headers))
        .layer(axum::middleware::from_fn(request_metrics::track))
        .layer(axum::middleware::from_fn_with_state(state.clone(), context::middleware))
        .with_state(state)
}

/// The contract, as committed in `openapi/`; the tests keep it and the router in step.
pub const OPENAPI: &str = include_str!("../../openapi/openapi.json");

async fn openapi() -> impl axum::response::IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], OPENAPI)
}

async fn not_found(uri: Uri) -> AppError {
    AppError::new(ErrorCode::NotFound, format!("No resource at {}.", uri.path()))
}
