//! `ApiError`: the one error type every handler returns, rendered as RFC 9457 problem+json.
//!
//! A handler's error becomes a response carrying a `ProblemSeed` extension; the request-context
//! middleware (`http::context`) then writes the body, because only it knows the request id,
//! trace id and path that every problem must carry. The same middleware turns error responses
//! made outside our handlers (405 from the router, 413 from a body limit, a caught panic) into
//! problem+json too, so no error path leaks a plain-text body.

use crate::domain::error_code::ErrorCode;
use crate::domain::problem::Problem;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// Boxed, so that the `Result`s every handler and use case returns stay small on the happy path.
#[derive(Debug)]
pub struct ApiError(Box<ApiErrorParts>);

#[derive(Debug)]
pub struct ApiErrorParts {
    pub code: ErrorCode,
    pub detail: String,
    pub errors: Vec<Problem>,
    pub retry_after: Option<u64>,
    /// Extra top-level members (e.g. `orderId` on ORDER_ALREADY_PLACED).
    pub members: Map<String, Value>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The internal cause of a 5xx: logged once, never sent.
    pub cause: Option<anyhow::Error>,
}

impl std::ops::Deref for ApiError {
    type Target = ApiErrorParts;
    fn deref(&self) -> &ApiErrorParts {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ApiErrorParts {
        &mut self.0
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_ref().map(|cause| cause.as_ref() as &(dyn std::error::Error + 'static))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        ApiError(Box::new(ApiErrorParts {
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            members: Map::new(),
            headers: Vec::new(),
            cause: None,
        }))
    }

    fn caused_by(mut self, cause: impl Into<anyhow::Error>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// A 422 VALIDATION_FAILED listing every problem.
    pub fn validation(detail: impl Into<String>, errors: Vec<Problem>) -> Self {
        ApiError::new(ErrorCode::ValidationFailed, detail).with_errors(errors)
    }

    pub fn invalid_request(detail: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::InvalidRequest, detail)
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        ApiError::new(ErrorCode::InternalError, "An unexpected error occurred; it has been logged.").caused_by(cause)
    }

    /// Lists the problems: the first `limits::MAX_PROBLEMS` of them, and when there were more,
    /// `totalErrors` says how many (a body can hold a great many; an answer need not).
    pub fn with_errors(mut self, errors: Vec<Problem>) -> Self {
        let (errors, total) = crate::domain::limits::first_problems(errors);
        if total > errors.len() {
            self.members.insert("totalErrors".into(), total.into());
        }
        self.errors = errors;
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn with_member(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.members.insert(name.to_string(), value.into());
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: &'static str) -> Self {
        self.headers.push((name, HeaderValue::from_static(value)));
        self
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        if is_unavailable(&error) {
            ApiError::new(ErrorCode::ServiceUnavailable, "The database is unreachable; try again shortly.")
                .with_retry_after(2)
                .caused_by(error)
        } else {
            ApiError::internal(error)
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> Self {
        match error.downcast::<sqlx::Error>() {
            Ok(sql) => sql.into(),
            Err(other) => ApiError::internal(other),
        }
    }
}

/// Errors that mean "the database is not there right now", as opposed to a bug.
fn is_unavailable(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Tls(_))
        || matches!(error, sqlx::Error::Database(db) if db.code().is_some_and(|c| c.starts_with("57P") || c.starts_with("08")))
}

/// What a problem body needs from the error; the middleware adds the request's own members.
#[derive(Debug, Clone)]
pub struct ProblemSeed {
    pub code: ErrorCode,
    pub detail: String,
    pub errors: Vec<Problem>,
    pub retry_after: Option<u64>,
    pub members: Map<String, Value>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let parts = *self.0;
        if let Some(cause) = &parts.cause {
            // The single place an internal cause is logged; the client sees only the request id.
            tracing::error!(error_code = %parts.code, cause = format!("{cause:#}"), "request failed");
        }
        let status = StatusCode::from_u16(parts.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = status.into_response();
        for (name, value) in parts.headers {
            response.headers_mut().append(name, value);
        }
        if let Some(seconds) = parts.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response.extensions_mut().insert(ProblemSeed {
            code: parts.code,
            detail: parts.detail,
            errors: parts.errors,
            retry_after: parts.retry_after,
            members: parts.members,
        });
        response
    }
}

/// The error code to use for an error response that did not come from an `ApiError`.
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

/// The problem+json document for one error.
pub fn problem_body(seed: &ProblemSeed, status: StatusCode, instance: &str, request_id: &str, trace_id: &str) -> Value {
    let mut body = Map::new();
    body.insert("type".into(), format!("https://developer.marketfront.dev/errors/{}", seed.code).into());
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
