//! `GET /metrics` (Prometheus text format) and the middleware that counts and times every
//! request by its route pattern, so ids in paths do not explode the label space.

use crate::metrics::{self as names, handle};
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;

pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_string();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(names::REQUESTS, "method" => method, "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!(names::REQUEST_SECONDS, "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The method as a label: the standard ones by name, anything else as `other`, so requests with
/// made-up methods cannot grow the label space (and the memory behind it) without bound.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

pub async fn render(State(state): State<AppState>) -> Response {
    // Gauges read at scrape time: cheap, and never stale.
    if let Ok(backlog) = crate::app::health::webhook_backlog(&state).await {
        metrics::gauge!(names::OUTBOX_BACKLOG).set(backlog as f64);
    }
    metrics::gauge!(names::DB_CONNECTIONS, "state" => "open").set(f64::from(state.db.size()));
    metrics::gauge!(names::DB_CONNECTIONS, "state" => "idle").set(state.db.num_idle() as f64);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle().render()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"FROBNICATE").unwrap()), "other");
        assert_eq!(method_label(&Method::from_bytes(b"X1").unwrap()), "other");
    }
}
