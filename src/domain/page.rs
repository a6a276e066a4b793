//! `limit` / `offset` paging, shared by every list.

use super::problem::Problem;

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
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
        if problems.is_empty() { Ok(Page { limit, offset }) } else { Err(problems) }
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
        assert_eq!(Page::check(None, None), Ok(Page { limit: DEFAULT_LIMIT, offset: 0 }));
        assert_eq!(Page::check(Some(0), Some(-1)).unwrap_err().len(), 2);
        assert!(Page::check(Some(MAX_LIMIT + 1), None).is_err());
        assert!(Page { limit: 10, offset: 0 }.has_more(11));
        assert!(!Page { limit: 10, offset: 0 }.has_more(10));
    }
}
