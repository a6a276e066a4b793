//! Use cases: each owns its transaction and orchestrates domain rules and the store layer.

pub mod addresses;
pub mod carts;
pub mod catalog;
pub mod conversations;
pub mod discovery_index;
pub mod error;
pub mod health;
pub mod housekeeping;
pub mod idempotency;
pub mod ingest;
pub mod interchange;
pub mod keys;
pub mod lifecycle;
pub mod onboarding;
pub mod orders;
pub mod payment_methods;
pub mod place;
pub mod queue;
pub mod secrets_at_rest;
pub mod sessions;
pub mod stores;
pub mod validate;
pub mod webhooks;

use crate::domain::cursor::{ListKind, Position};
use crate::domain::page::{LIST_COUNT_CAP, Page};

/// One page of a list, how many there are in all, and whether more follow.
#[derive(Debug)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub total: i64,
    /// False when `total` is a cap, not a count (discovery's `totalCountExact`).
    pub total_exact: bool,
    pub has_more: bool,
    /// For a list that pages by cursor: where the next page starts, while one follows.
    pub next_cursor: Option<String>,
}

impl<T> Listed<T> {
    pub fn new(items: Vec<T>, total: i64, page: Page) -> Self {
        Listed { items, total, total_exact: true, has_more: page.has_more(total), next_cursor: None }
    }

    /// A page of `list` read as `page.fetch()` rows: the extra row, if there is one, says that
    /// another page follows, and the last row kept is where it starts. `counted` is a count
    /// capped just above [`LIST_COUNT_CAP`].
    pub fn keyset(mut rows: Vec<T>, counted: i64, page: Page, list: ListKind, key: impl Fn(&T) -> Position) -> Self {
        let has_more = rows.len() as i64 > page.limit;
        rows.truncate(page.limit as usize);
        let next_cursor = if has_more { rows.last().map(|row| key(row).encode(list)) } else { None };
        Listed {
            items: rows,
            total: counted.min(LIST_COUNT_CAP),
            total_exact: counted <= LIST_COUNT_CAP,
            has_more,
            next_cursor,
        }
    }

    pub fn exact(self, total_exact: bool) -> Self {
        Listed { total_exact, ..self }
    }

    pub fn map<U>(mut self, f: impl FnMut(T) -> U) -> Listed<U> {
        let items = std::mem::take(&mut self.items).into_iter().map(f).collect();
        self.with_items(items)
    }

    /// The same page, carrying `items` (views made from this page's rows, in order).
    pub fn with_items<U>(self, items: Vec<U>) -> Listed<U> {
        Listed {
            items,
            total: self.total,
            total_exact: self.total_exact,
            has_more: self.has_more,
            next_cursor: self.next_cursor,
        }
    }
}

/// What a create-or-replace wrote, and whether it is new (a transport answers 201 or 200).
#[derive(Debug)]
pub struct Saved<T> {
    pub record: T,
    pub created: bool,
}

/// A page of `list` by offset or cursor, or INVALID_REQUEST listing what is wrong with it.
pub fn list_page(
    limit: Option<i64>,
    offset: Option<i64>,
    cursor: Option<&str>,
    list: ListKind,
) -> error::AppResult<Page> {
    Page::check_list(limit, offset, cursor, list).map_err(|problems| {
        error::AppError::invalid_request("The paging parameters are not valid.").with_errors(problems)
    })
}
