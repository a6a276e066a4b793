//! Paging, shared by every list: `limit` with `offset`, or `limit` with a keyset `cursor`.

use super::cursor::{ListKind, Position};
use super::problem::Problem;
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;
/// A list's `totalCount` is exact up to this many rows, then it is this cap with
/// `totalCountExact: false`: counting is bounded like the page itself.
pub const LIST_COUNT_CAP: i64 = 10_000;
/// What a list's count query counts to: one past the cap, so an exact count of the cap can be
/// told from a list that holds more.
pub const COUNT_UP_TO: i64 = LIST_COUNT_CAP + 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
    /// The cursor's key: the page starts just after that row.
    pub after: Option<Position>,
}

impl Page {
    /// Where a newest-first page starts: the `(time, id)` its rows sort below (the cursor's
    /// row, or above every row on the first page).
    pub fn newest_first_below(&self) -> (DateTime<Utc>, Uuid) {
        let after = self.after.unwrap_or_else(Position::newest_first_start);
        (after.at_or_start(), after.id)
    }

    /// Where a page by id starts: the id its rows sort above.
    pub fn by_id_above(&self) -> Uuid {
        self.after.unwrap_or_else(Position::by_id_start).id
    }

    /// A list's page: `limit` with either `offset` or a `cursor` of `list`, or every problem.
    pub fn check_list(
        limit: Option<i64>,
        offset: Option<i64>,
        cursor: Option<&str>,
        list: ListKind,
    ) -> Result<Page, Vec<Problem>> {
        let mut problems = Vec::new();
        let after = match cursor {
            None => None,
            Some(text) => {
                let position = Position::decode(text, list);
                if position.is_none() {
                    problems.push(Problem::at(
                        "INVALID_PARAMETER",
                        "$.cursor",
                        "cursor is not one this list gave out (pass nextCursor back unchanged)",
                    ));
                }
                if offset.is_some() {
                    problems.push(Problem::at("INVALID_PARAMETER", "$.offset", "use offset or cursor, not both"));
                }
                position
            }
        };
        match Page::check(limit, offset) {
            Ok(page) if problems.is_empty() => Ok(Page { after, ..page }),
            Ok(_) => Err(problems),
            Err(more) => Err(more.into_iter().chain(problems).collect()),
        }
    }

    /// The page asked for, or every problem with it.
    pub fn check(limit: Option<i64>, offset: Option<i64>) -> Result<Page, Vec<Problem>> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        let offset = offset.unwrap_or(0);
        let mut problems = Vec::new();
        if !(1..=MAX_LIMIT).contains(&limit) {
            problems.push(Problem::at(
                "INVALID_PARAMETER",
                "$.limit",
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
        if offset < 0 {
            problems.push(Problem::at("INVALID_PARAMETER", "$.offset", "offset must not be negative"));
        }
        if problems.is_empty() { Ok(Page { limit, offset, after: None }) } else { Err(problems) }
    }

    /// How many rows a list reads for this page: one more than it returns, to learn whether
    /// another page follows without counting.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }

    pub fn has_more(&self, total: i64) -> bool {
        // An offset near i64::MAX is a valid (empty) page, not an overflow.
        self.offset.saturating_add(self.limit) < total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_possible_offset_is_an_empty_page_not_an_overflow() {
        let page = Page::check(Some(20), Some(i64::MAX - 1)).unwrap();
        assert!(!page.has_more(i64::MAX));
        assert!(Page::check(Some(20), Some(0)).unwrap().has_more(21));
    }

    #[test]
    fn a_page_is_bounded() {
        assert_eq!(Page::check(None, None), Ok(Page { limit: DEFAULT_LIMIT, offset: 0, after: None }));
        assert_eq!(Page::check(Some(0), Some(-1)).unwrap_err().len(), 2);
        assert!(Page::check(Some(MAX_LIMIT + 1), None).is_err());
        assert!(Page { limit: 10, offset: 0, after: None }.has_more(11));
        assert!(!Page { limit: 10, offset: 0, after: None }.has_more(10));
    }

    #[test]
    fn a_list_takes_offset_or_cursor_not_both() {
        let cursor = Position::by_id_start().encode(ListKind::Stores);
        let page = Page::check_list(Some(5), None, Some(&cursor), ListKind::Stores).unwrap();
        assert_eq!(page.after, Some(Position::by_id_start()));
        let problems = Page::check_list(Some(0), Some(3), Some(&cursor), ListKind::Stores).unwrap_err();
        let paths: Vec<_> = problems.iter().map(|p| p.json_path.clone().unwrap_or_default()).collect();
        assert_eq!(paths, ["$.limit", "$.offset"]);
        let problems = Page::check_list(None, None, Some(&cursor), ListKind::Orders).unwrap_err();
        assert_eq!(problems[0].json_path.as_deref(), Some("$.cursor"));
    }
}
