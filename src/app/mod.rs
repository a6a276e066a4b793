//! Use cases: each owns its transaction and orchestrates domain rules and the store layer.

pub mod catalog;
pub mod error;
pub mod health;
pub mod housekeeping;
pub mod idempotency;
pub mod ingest;
pub mod keys;
pub mod lifecycle;
pub mod onboarding;
pub mod orders;
pub mod place;
pub mod secrets_at_rest;
pub mod stores;
pub mod validate;
pub mod webhooks;

use crate::domain::page::Page;

/// The page asked for, or INVALID_REQUEST listing what is wrong with it.
pub fn page(limit: Option<i64>, offset: Option<i64>) -> error::AppResult<Page> {
    Page::check(limit, offset).map_err(|problems| {
        error::AppError::invalid_request("The paging parameters are out of range.").with_errors(problems)
    })
}
