//! `GET /metrics` (Prometheus text format) and the middleware that counts and times every
//! request by its route pattern, so ids in paths do not explode the label space.

use crate::metrics::{self as names, handle};
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;

pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_string();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(names::REQUESTS, "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(names::REQUEST_SECONDS, "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

pub async fn render(State(state): State<AppState>) -> Response {
    // Gauges read at scrape time: cheap, and never stale.
    if let Ok(backlog) = crate::db::webhooks::backlog(&state.db).await {
        metrics::gauge!(names::OUTBOX_BACKLOG).set(backlog as f64);
    }
    metrics::gauge!(names::DB_CONNECTIONS, "state" => "open").set(f64::from(state.db.size()));
    metrics::gauge!(names::DB_CONNECTIONS, "state" => "idle").set(state.db.num_idle() as f64);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle().render()).into_response()
}
