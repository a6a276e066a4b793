//! JSON documents as every door reads them: one strict rule for request bodies (HTTP, MCP) and
//! for the menus fetched from partners, so the same document is accepted or refused the same
//! way wherever it arrives. Errors name the failing field as a JSONPath.

pub mod strict;

use crate::app::error::AppError;
use crate::domain::problem::Problem;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::Value;
use serde_json::error::Category;
use strict::{NUL_MESSAGE, Strict};

/// Deserialises a JSON object body straight from its bytes, strictly (see `strict`),
/// naming a failing field as a JSONPath (`$.cart.lineItems[0].quantity`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.iter().find(|byte| !byte.is_ascii_whitespace()) != Some(&b'{') {
        return Err(match serde_json::from_slice::<IgnoredAny>(bytes) {
            Ok(_) => not_an_object(),
            Err(error) => invalid_json(&error),
        });
    }
    // Checked as UTF-8 once, as a whole, rather than string by string as serde_json does for bytes.
    let text = std::str::from_utf8(bytes).map_err(|error| {
        AppError::invalid_request(format!("The body is not valid JSON: it is not UTF-8 text ({error})."))
    })?;
    let mut reader = serde_json::Deserializer::from_str(text);
    // Tracking the path costs an allocation per member, so a body is read without it first;
    // only a body that fails is read again, to name the failing field.
    match T::deserialize(Strict(&mut reader)).and_then(|value| reader.end().map(|()| value)) {
        Ok(value) => Ok(value),
        Err(error) if error.classify() != Category::Data => Err(invalid_json(&error)),
        Err(error) => {
            let mut reader = serde_json::Deserializer::from_str(text);
            Err(match serde_path_to_error::deserialize::<_, T>(Strict(&mut reader)) {
                Err(error) => field_error(error),
                // Cannot happen (the same bytes, the same reader); still, not a success.
                Ok(_) => AppError::invalid_request(error.to_string()),
            })
        }
    }
}

/// Parses a body as the JSON object every body of this API is, keeping the document. No string
/// in it may hold NUL, even where the API ignores it, since the document itself is kept.
pub fn parse_object(bytes: &[u8]) -> Result<Value, AppError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|error| invalid_json(&error))?;
    if !value.is_object() {
        return Err(not_an_object());
    }
    if holds_nul(&value) {
        return Err(AppError::invalid_request(NUL_MESSAGE));
    }
    Ok(value)
}

/// The integer that a whole number written as a float stands for (`"20.0"`, `"2e1"` → `"20"`),
/// within the range where floats are exact (`strict::is_whole`); `None` for anything else,
/// an integer already written as one included. For text that arrives as text, such as a query
/// string, where the float-to-integer step of `strict` cannot reach.
pub fn whole_number(text: &str) -> Option<String> {
    if !text.contains(['.', 'e', 'E']) {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    strict::is_whole(value).then(|| (value as i64).to_string())
}

fn invalid_json(error: &serde_json::Error) -> AppError {
    AppError::invalid_request(format!("The body is not valid JSON: {error}"))
}

fn not_an_object() -> AppError {
    AppError::invalid_request("The body must be a JSON object.")
}

/// A well-formed body with a wrong or missing field: 400 naming the field.
fn field_error(error: serde_path_to_error::Error<serde_json::Error>) -> AppError {
    let mut path = json_path(&error.path().to_string());
    let message = strip_position(&error.inner().to_string());
    // serde reports a missing field at its parent; point at the field itself.
    if let Some(field) = message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next()) {
        path = format!("{path}.{field}");
    }
    AppError::invalid_request(format!("{path}: {message}")).with_errors(vec![Problem::at(
        "INVALID_FIELD",
        path,
        message,
    )])
}

/// Whether any string or member name in `value` holds a NUL character.
fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(members) => members.iter().any(|(name, value)| name.contains('\0') || holds_nul(value)),
        _ => false,
    }
}

fn json_path(serde_path: &str) -> String {
    // serde_json's arbitrary-precision numbers travel as a map with this private key; a bad
    // number's path ends in it, which means nothing to a partner.
    let serde_path = serde_path.trim_end_matches(".$serde_json::private::Number");
    if serde_path == "." || serde_path.is_empty() {
        "$".to_string()
    } else if serde_path.starts_with('[') {
        format!("${serde_path}")
    } else {
        format!("$.{serde_path}")
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_escaped_nul_counts_as_nul() {
        let nul = |text: &[u8]| parse_object(text).is_err();
        assert!(nul(br#"{"name": "a\u0000b"}"#));
        assert!(nul(br#"{"name": "\\\u0000"}"#), "an escaped backslash, then NUL");
        assert!(!nul(br#"{"name": "\\u0000"}"#), "a backslash, then the letters u0000");
        assert!(!nul(br#"{"name": "\u0001"}"#));
        assert!(nul(br#"{"lines": [{"a\u0000": 1}]}"#), "in a member name, at any depth");
    }

    #[test]
    fn a_body_must_be_an_object_without_nul() {
        #[derive(Debug, serde::Deserialize)]
        struct Body {
            #[serde(default)]
            _hours: Option<i64>,
        }
        assert!(parse_json::<Body>(b" {}").is_ok());
        assert!(parse_json::<Body>(b"[]").is_err(), "serde would read an array as the struct's fields");
        assert!(parse_json::<Body>(br#"{"x": "\u0000"}"#).is_err());
    }

    #[test]
    fn a_body_that_is_not_utf8_is_not_json() {
        #[derive(Debug, serde::Deserialize)]
        struct Body {
            _name: String,
        }
        let error = parse_json::<Body>(b"{\"_name\": \"caf\xe9\"}").unwrap_err();
        assert!(error.detail().contains("not UTF-8"), "{}", error.detail());
        assert_eq!(parse_json::<Body>("{\"_name\": \"café\"}".as_bytes()).unwrap()._name, "café");
    }

    #[test]
    fn a_whole_number_in_text_is_the_integer_it_is() {
        assert_eq!(whole_number("20.0").as_deref(), Some("20"));
        assert_eq!(whole_number("2e1").as_deref(), Some("20"));
        assert_eq!(whole_number("-3.00").as_deref(), Some("-3"));
        for other in ["20", "2.5", "abc", "1e300", "NaN", "inf"] {
            assert_eq!(whole_number(other), None, "{other}");
        }
    }

    #[test]
    fn a_bad_numbers_path_names_the_field_only() {
        assert_eq!(json_path("deliveryFee.$serde_json::private::Number"), "$.deliveryFee");
        assert_eq!(json_path("[0].quantity"), "$[0].quantity");
    }
}
