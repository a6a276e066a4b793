//! Use cases: each owns its transaction and orchestrates domain rules and the store layer.

pub mod catalog;
pub mod discovery_index;
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
pub mod queue;
pub mod secrets_at_rest;
pub mod stores;
pub mod validate;
pub mod webhooks;

use crate::domain::page::Page;

/// One page of a list, how many there are in all, and whether more follow.
#[derive(Debug)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub total: i64,
    /// False when `total` is a cap, not a count (discovery's `totalCountExact`).
    pub total_exact: bool,
    pub has_more: bool,
}

impl<T> Listed<T> {
    pub fn new(items: Vec<T>, total: i64, page: Page) -> Self {
        Listed { items, total, total_exact: true, has_more: page.has_more(total) }
    }

    pub fn exact(self, total_exact: bool) -> Self {
        Listed { total_exact, ..self }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Listed<U> {
        Listed {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            total_exact: self.total_exact,
            has_more: self.has_more,
        }
    }
}

/// What a create-or-replace wrote, and whether it is new (a transport answers 201 or 200).
#[derive(Debug)]
pub struct Saved<T> {
    pub record: T,
    pub created: bool,
}

/// The page asked for, or INVALID_REQUEST listing what is wrong with it.
pub fn page(limit: Option<i64>, offset: Option<i64>) -> error::AppResult<Page> {
    Page::check(limit, offset).map_err(|problems| {
        error::AppError::invalid_request("The paging parameters are out of range.").with_errors(problems)
    })
}
