//! `limit` / `offset` query parameters, shared by every list endpoint.

use crate::app::error::AppError;
use crate::domain::problem::Problem;

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    pub fn check(limit: Option<i64>, offset: Option<i64>) -> Result<Page, AppError> {
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
        if problems.is_empty() {
            Ok(Page { limit, offset })
        } else {
            Err(AppError::invalid_request("The paging parameters are out of range.").with_errors(problems))
        }
    }

    pub fn has_more(&self, total: i64) -> bool {
        self.offset + self.limit < total
    }
}
