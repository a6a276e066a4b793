//! The one place a use case's `AppError` becomes an HTTP answer: RFC 9457 problem+json.
//!
//! An error becomes a response carrying a `ProblemSeed` extension; the request-context
//! middleware (`http::context`) then writes the body, because only it knows the request id,
//! trace id and path that every problem must carry. The same middleware turns error responses
//! made outside our handlers (405 from the router, 413 from a body limit, a caught panic) into
//! problem+json too, so no error path leaks a plain-text body.

use crate::app::error::AppError;
use crate::domain::error_code::ErrorCode;
use crate::domain::problem::Problem;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// Set on an answer that repeats the stored answer of an earlier request with the same key.
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// What a problem body needs from the error; the middleware adds the request's own members.
#[derive(Debug, Clone)]
pub struct ProblemSeed {
    pub code: ErrorCode,
    pub detail: String,
    pub errors: Vec<Problem>,
    pub retry_after: Option<u64>,
    pub members: Map<String, Value>,
}

/// The registry's status for a code.
pub fn status_of(code: ErrorCode) -> StatusCode {
    StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Some(cause) = self.cause() {
            // The single place an internal cause is logged; the client sees only the request id.
            tracing::error!(error_code = %self.code(), cause = format!("{cause:#}"), "request failed");
        }
        let code = self.code();
        let status = status_of(code);
        let retry_after = self.retry_after();
        let detail = self.detail().to_string();
        let (errors, members, replayed) = match self {
            AppError::Refused(refusal) => (refusal.errors, refusal.members, refusal.replayed),
            _ => (Vec::new(), Map::new(), false),
        };
        let mut response = status.into_response();
        let headers = response.headers_mut();
        if status == StatusCode::UNAUTHORIZED {
            // RFC 9110 §11.6.1: every 401 names the scheme that would be accepted.
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"marketfront\""));
        }
        if replayed {
            headers.insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
        }
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response.extensions_mut().insert(ProblemSeed { code, detail, errors, retry_after, members });
        response
    }
}

/// The error code to use for an error response that did not come from an `AppError`.
pub fn code_for_status(status: StatusCode) -> ErrorCode {
    match status.as_u16() {
        401 => ErrorCode::Unauthenticated,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        405 => ErrorCode::MethodNotAllowed,
        413 => ErrorCode::PayloadTooLarge,
        422 => ErrorCode::ValidationFailed,
        429 => ErrorCode::RateLimited,
        431 => ErrorCode::HeadersTooLarge,
        503 | 504 | 408 => ErrorCode::ServiceUnavailable,
        s if s >= 500 => ErrorCode::InternalError,
        _ => ErrorCode::InvalidRequest,
    }
}

/// Where a request answered: the server's public base URL, for the problem's `type`, and the
/// ids it is known by.
pub struct Answered<'a> {
    pub public_url: &'a str,
    pub instance: &'a str,
    pub request_id: &'a str,
    pub trace_id: &'a str,
}

/// The problem+json document for one error. Its `type` is the code's page on this server
/// (`/errors/{errorCode}`), so the URI a partner sees in a problem always resolves.
pub fn problem_body(seed: &ProblemSeed, status: StatusCode, answered: &Answered<'_>) -> Value {
    let Answered { public_url, instance, request_id, trace_id } = *answered;
    let mut body = Map::new();
    body.insert("type".into(), format!("{public_url}{}", crate::http::errors::page_path(seed.code)).into());
    body.insert("title".into(), seed.code.title().into());
    body.insert("status".into(), status.as_u16().into());
    body.insert("detail".into(), seed.detail.clone().into());
    body.insert("instance".into(), instance.into());
    body.insert("requestId".into(), request_id.into());
    body.insert("timestamp".into(), chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true).into());
    body.insert("errorCode".into(), seed.code.as_str().into());
    body.insert("errorCategory".into(), serde_json::to_value(seed.code.category()).unwrap_or(Value::Null));
    body.insert("retryable".into(), seed.code.retryable().into());
    if let Some(seconds) = seed.retry_after {
        body.insert("retryAfter".into(), seconds.into());
    }
    body.insert("errors".into(), serde_json::to_value(&seed.errors).unwrap_or_else(|_| Value::Array(vec![])));
    body.insert("traceId".into(), trace_id.into());
    for (name, value) in &seed.members {
        body.entry(name.clone()).or_insert_with(|| value.clone());
    }
    Value::Object(body)
}
