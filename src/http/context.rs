//! Per-request context: request id, W3C trace context, the request's log span, and the final
//! rendering of every error response as problem+json.

use super::problem::{Answered, ProblemSeed, code_for_status, problem_body};
use crate::app::error::AppError;
use crate::domain::error_code::ErrorCode;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use std::time::Instant;
use tracing::Instrument;

pub const REQUEST_ID: &str = "x-request-id";
pub const TRACEPARENT: &str = "traceparent";
pub const PROBLEM_JSON: &str = "application/problem+json";
/// Header fields one request may carry (hyper's own default limit); the listener reads a few
/// more (`server::HYPER_MAX_HEADERS`) so that this refusal can be a problem+json.
pub const MAX_HEADERS: usize = 100;

#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    pub trace_id: String,
    trace_flags: String,
}

impl RequestContext {
    fn from_request(request: &Request) -> Self {
        let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
        // A caller's own request id is kept when it is short and printable, so logs on both
        // sides share it; anything else is replaced.
        let request_id = header(REQUEST_ID)
            .filter(|id| !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic()))
            .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_string);
        let (trace_id, trace_flags) =
            header(TRACEPARENT).and_then(parse_traceparent).unwrap_or_else(|| (random_hex(16), "01".to_string()));
        RequestContext { request_id, trace_id, trace_flags }
    }

    /// The `traceparent` to send back: the caller's trace, with this server as the new parent.
    fn response_traceparent(&self) -> String {
        format!("00-{}-{}-{}", self.trace_id, random_hex(8), self.trace_flags)
    }
}

/// `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`, per W3C Trace Context; all-zero ids
/// are invalid there and are ignored here too.
fn parse_traceparent(value: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = value.trim().split('-').collect();
    let hex =
        |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    match parts.as_slice() {
        [version, trace, parent, flags, ..]
            if hex(version, 2)
                && *version != "ff"
                && hex(trace, 32)
                && hex(parent, 16)
                && hex(flags, 2)
                && trace.bytes().any(|b| b != b'0')
                && parent.bytes().any(|b| b != b'0') =>
        {
            Some((trace.to_string(), flags.to_string()))
        }
        _ => None,
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill(buffer.as_mut_slice());
    hex::encode(buffer)
}

pub async fn middleware(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let context = RequestContext::from_request(&request);
    request.extensions_mut().insert(context.clone());
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let span = tracing::info_span!(
        "request",
        request_id = %context.request_id,
        trace_id = %context.trace_id,
        %method,
        path = %path,
    );
    let started = Instant::now();
    let mut response = if request.headers().len() > MAX_HEADERS {
        let detail = format!("A request may carry at most {MAX_HEADERS} header fields.");
        AppError::new(ErrorCode::HeadersTooLarge, detail).into_response()
    } else {
        next.run(request).instrument(span.clone()).await
    };

    let status = response.status();
    let seed = response.extensions_mut().remove::<ProblemSeed>();
    let is_problem =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if seed.is_some() || (is_error(status) && !is_problem) {
        let seed = seed.unwrap_or_else(|| ProblemSeed {
            code: code_for_status(status),
            detail: default_detail(status, &method, &path),
            errors: Vec::new(),
            retry_after: None,
            members: Default::default(),
        });
        let answered = Answered {
            public_url: &state.config.public_url,
            instance: &path,
            request_id: &context.request_id,
            trace_id: &context.trace_id,
        };
        let body = problem_body(&seed, status, &answered);
        *response.body_mut() = Body::from(serde_json::to_vec(&body).unwrap_or_default());
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        headers.remove(header::CONTENT_LENGTH);
    }

    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&context.request_id) {
        headers.insert(REQUEST_ID, value);
    }
    if let Ok(value) = HeaderValue::from_str(&context.response_traceparent()) {
        headers.insert(TRACEPARENT, value);
    }
    span.in_scope(|| {
        tracing::info!(status = status.as_u16(), latency_ms = started.elapsed().as_secs_f64() * 1000.0, "handled");
    });
    response
}

fn is_error(status: StatusCode) -> bool {
    status.is_client_error() || status.is_server_error()
}

fn default_detail(status: StatusCode, method: &axum::http::Method, path: &str) -> String {
    match status.as_u16() {
        404 => format!("No resource at {path}."),
        405 => format!("{method} is not allowed on {path}; see the Allow header."),
        413 => "The request body is larger than this endpoint accepts.".to_string(),
        _ => status.canonical_reason().unwrap_or("Error").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_traceparent;

    #[test]
    fn traceparent_is_parsed_strictly() {
        let good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(parse_traceparent(good), Some(("4bf92f3577b34da6a3ce929d0e0e4736".into(), "01".into())));
        assert_eq!(parse_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"), None);
        assert_eq!(parse_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"), None);
        assert_eq!(parse_traceparent("garbage"), None);
    }
}
