//! `AppError`: how a use case says it did not do what was asked, in the core's own terms.
//!
//! Three kinds, because a transport treats them differently: a **refusal** (a rule of the
//! business said no: its registry code, a detail, the problems; the code's registry entry says
//! whether it is a validation, a not-found, a conflict …), **unavailable** (a dependency such
//! as the database is not there right now; try again) and **internal** (a bug; the cause is
//! logged, never shown). No status codes, headers or bodies here: each transport maps these to
//! its wire (`http::problem` for problem+json).

use crate::domain::error_code::ErrorCode;
use crate::domain::problem::Problem;
use serde_json::{Map, Value};

#[derive(Debug)]
pub enum AppError {
    Refused(Box<Refusal>),
    Unavailable(Box<Unavailable>),
    Internal(anyhow::Error),
}

/// A business refusal. Boxed in `AppError` so that every `Result` stays small on the happy path.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub code: ErrorCode,
    pub detail: String,
    pub errors: Vec<Problem>,
    /// Extra facts a client acts on (e.g. `orderId` on ORDER_ALREADY_PLACED, `totalErrors`).
    pub members: Map<String, Value>,
    /// Seconds after which trying again may succeed (rate limits, a key still in use).
    pub retry_after: Option<u64>,
    /// The refusal is the stored answer of an earlier request with the same Idempotency-Key.
    pub replayed: bool,
}

#[derive(Debug)]
pub struct Unavailable {
    pub detail: String,
    pub retry_after: u64,
    pub cause: anyhow::Error,
}

pub type AppResult<T> = Result<T, AppError>;

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code(), self.detail())
    }
}

impl std::error::Error for AppError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause().map(|cause| cause.as_ref() as &(dyn std::error::Error + 'static))
    }
}

const INTERNAL_DETAIL: &str = "An unexpected error occurred; it has been logged.";

impl AppError {
    /// A refusal with a registry code.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        AppError::Refused(Box::new(Refusal {
            code,
            detail: detail.into(),
            errors: Vec::new(),
            members: Map::new(),
            retry_after: None,
            replayed: false,
        }))
    }

    /// A 422-kind VALIDATION_FAILED listing every problem.
    pub fn validation(detail: impl Into<String>, errors: Vec<Problem>) -> Self {
        AppError::new(ErrorCode::ValidationFailed, detail).with_errors(errors)
    }

    pub fn invalid_request(detail: impl Into<String>) -> Self {
        AppError::new(ErrorCode::InvalidRequest, detail)
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(cause.into())
    }

    pub fn unavailable(detail: impl Into<String>, retry_after: u64, cause: impl Into<anyhow::Error>) -> Self {
        AppError::Unavailable(Box::new(Unavailable { detail: detail.into(), retry_after, cause: cause.into() }))
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Refused(refusal) => refusal.code,
            AppError::Unavailable(_) => ErrorCode::ServiceUnavailable,
            AppError::Internal(_) => ErrorCode::InternalError,
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            AppError::Refused(refusal) => &refusal.detail,
            AppError::Unavailable(unavailable) => &unavailable.detail,
            AppError::Internal(_) => INTERNAL_DETAIL,
        }
    }

    /// The problems of a refusal (none for the other kinds).
    pub fn errors(&self) -> &[Problem] {
        match self {
            AppError::Refused(refusal) => &refusal.errors,
            _ => &[],
        }
    }

    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::Refused(refusal) => refusal.retry_after,
            AppError::Unavailable(unavailable) => Some(unavailable.retry_after),
            AppError::Internal(_) => None,
        }
    }

    /// The internal cause, to log: never part of an answer.
    pub fn cause(&self) -> Option<&anyhow::Error> {
        match self {
            AppError::Refused(_) => None,
            AppError::Unavailable(unavailable) => Some(&unavailable.cause),
            AppError::Internal(cause) => Some(cause),
        }
    }

    /// Lists the problems: the first `limits::MAX_PROBLEMS` of them, and when there were more,
    /// `totalErrors` says how many (a body can hold a great many; an answer need not).
    pub fn with_errors(mut self, errors: Vec<Problem>) -> Self {
        if let AppError::Refused(refusal) = &mut self {
            let (errors, total) = crate::domain::limits::first_problems(errors);
            if total > errors.len() {
                refusal.members.insert("totalErrors".into(), total.into());
            }
            refusal.errors = errors;
        }
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        match &mut self {
            AppError::Refused(refusal) => refusal.retry_after = Some(seconds),
            AppError::Unavailable(unavailable) => unavailable.retry_after = seconds,
            AppError::Internal(_) => {}
        }
        self
    }

    pub fn with_member(mut self, name: &str, value: impl Into<Value>) -> Self {
        if let AppError::Refused(refusal) = &mut self {
            refusal.members.insert(name.to_string(), value.into());
        }
        self
    }
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        AppError::Refused(Box::new(refusal))
    }
}

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        if is_unavailable(&error) {
            AppError::unavailable("The database is unreachable; try again shortly.", 2, error)
        } else {
            AppError::internal(error)
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(error: anyhow::Error) -> Self {
        match error.downcast::<sqlx::Error>() {
            Ok(sql) => sql.into(),
            Err(other) => AppError::internal(other),
        }
    }
}

/// Errors that mean "the database is not there right now", as opposed to a bug.
fn is_unavailable(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Tls(_))
        || matches!(error, sqlx::Error::Database(db) if db.code().is_some_and(|c| c.starts_with("57P") || c.starts_with("08")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_refusals_carry_problems_and_members() {
        let refused = AppError::new(ErrorCode::CartEmpty, "empty")
            .with_errors(vec![Problem::new("CART_EMPTY", "empty")])
            .with_member("orderId", "x");
        assert_eq!(refused.code(), ErrorCode::CartEmpty);
        assert_eq!(refused.errors().len(), 1);
        let internal = AppError::internal(anyhow::anyhow!("boom")).with_errors(vec![Problem::new("X", "y")]);
        assert_eq!(internal.code(), ErrorCode::InternalError);
        assert!(internal.errors().is_empty());
        assert_eq!(internal.detail(), INTERNAL_DETAIL, "a cause is never shown");
    }

    #[test]
    fn a_lost_database_is_unavailable_and_says_when_to_retry() {
        let error = AppError::from(sqlx::Error::PoolTimedOut);
        assert_eq!(error.code(), ErrorCode::ServiceUnavailable);
        assert_eq!(error.retry_after(), Some(2));
        assert_eq!(AppError::from(sqlx::Error::RowNotFound).code(), ErrorCode::InternalError);
    }
}
