//! One item of a problem list: the `errors[]` element shared by inline validation results and
//! problem+json bodies, so partners parse both with one type.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// A registry code (e.g. `ITEM_UNAVAILABLE`) or a finer detail code (e.g. `DANGLING_REFERENCE`).
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    /// For an item the restaurant held back for a while: when it is available again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_again_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Problem {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Problem { code: code.into(), message: message.into(), json_path: None, item_id: None, available_again_at: None }
    }

    pub fn at(code: impl Into<String>, path: impl Into<String>, message: impl Into<String>) -> Self {
        Problem { json_path: Some(path.into()), ..Problem::new(code, message) }
    }

    pub fn with_item(mut self, item_id: impl Into<String>) -> Self {
        self.item_id = Some(item_id.into());
        self
    }
}

/// Appends a map key to a JSONPath: `$.items` + `pizza` → `$.items.pizza`, and
/// `$.items` + `two words` → `$.items['two words']`, so any partner-chosen id stays addressable.
pub fn key_path(base: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !key.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        format!("{base}.{key}")
    } else {
        format!("{base}['{}']", key.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_path_quotes_only_when_needed() {
        assert_eq!(key_path("$.items", "pizza_1"), "$.items.pizza_1");
        assert_eq!(key_path("$.items", "two words"), "$.items['two words']");
        assert_eq!(key_path("$.items", "1st"), "$.items['1st']");
        assert_eq!(key_path("$.items", "it's"), "$.items['it\\'s']");
    }
}
