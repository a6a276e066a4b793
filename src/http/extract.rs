//! Extractors that report bad input through `ApiError`, so a malformed body, query or id gets
//! the same problem+json as any other error, with the JSONPath of the offending field.

use super::strict_json::{NUL_MESSAGE, Strict};
use crate::domain::error_code::ErrorCode;
use crate::domain::problem::Problem;
use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::Value;
use serde_json::error::Category;
use uuid::Uuid;

/// A JSON request body, read into `T`.
pub struct JsonBody<T>(pub T);

/// A JSON request body read into `T` exactly as `JsonBody` reads it (one JSON rule for every
/// endpoint: no numbers as strings, no member twice, no array for an object), with the
/// document kept too, for handlers that need it (place's fingerprint).
pub struct JsonDocument<T>(pub T, pub Value);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        parse_json(&json_bytes(request, state).await?).map(JsonBody)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonDocument<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_bytes(request, state).await?;
        let typed = parse_json(&bytes)?;
        Ok(JsonDocument(typed, parse_object(&bytes)?))
    }
}

/// The raw body, once it is known to be JSON and within the endpoint's size limit.
async fn json_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    let json_content = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false);
    if !json_content {
        return Err(ApiError::invalid_request("The body must be JSON, sent with Content-Type: application/json."));
    }
    Bytes::from_request(request, state).await.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(ErrorCode::PayloadTooLarge, "The request body is larger than this endpoint accepts.")
        } else {
            ApiError::invalid_request(format!("The request body could not be read: {rejection}"))
        }
    })
}

/// Deserialises a JSON object body straight from its bytes, strictly (see `strict_json`),
/// naming a failing field as a JSONPath (`$.cart.lineItems[0].quantity`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().find(|byte| !byte.is_ascii_whitespace()) != Some(&b'{') {
        return Err(match serde_json::from_slice::<IgnoredAny>(bytes) {
            Ok(_) => not_an_object(),
            Err(error) => invalid_json(&error),
        });
    }
    // Checked as UTF-8 once, as a whole, rather than string by string as serde_json does for bytes.
    let text = std::str::from_utf8(bytes).map_err(|error| {
        ApiError::invalid_request(format!("The body is not valid JSON: it is not UTF-8 text ({error})."))
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
                Ok(_) => ApiError::invalid_request(error.to_string()),
            })
        }
    }
}

/// Parses a body as the JSON object every body of this API is, keeping the document. No string
/// in it may hold NUL, even where the API ignores it, since the document itself is kept.
pub fn parse_object(bytes: &[u8]) -> Result<Value, ApiError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|error| invalid_json(&error))?;
    if !value.is_object() {
        return Err(not_an_object());
    }
    if holds_nul(&value) {
        return Err(ApiError::invalid_request(NUL_MESSAGE));
    }
    Ok(value)
}

fn invalid_json(error: &serde_json::Error) -> ApiError {
    ApiError::invalid_request(format!("The body is not valid JSON: {error}"))
}

fn not_an_object() -> ApiError {
    ApiError::invalid_request("The body must be a JSON object.")
}

/// A well-formed body with a wrong or missing field: 400 naming the field.
fn field_error(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let mut path = json_path(&error.path().to_string());
    let message = strip_position(&error.inner().to_string());
    // serde reports a missing field at its parent; point at the field itself.
    if let Some(field) = message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next()) {
        path = format!("{path}.{field}");
    }
    ApiError::invalid_request(format!("{path}: {message}")).with_errors(vec![Problem::at(
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

/// Query parameters; a bad one is a 400 INVALID_REQUEST naming it.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        if form_urlencoded::parse(query.as_bytes()).any(|(name, value)| name.contains('\0') || value.contains('\0')) {
            return Err(ApiError::invalid_request(NUL_MESSAGE));
        }
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer).map(QueryParams).map_err(|error| {
            let parameter = error.path().to_string();
            let message = error.inner().to_string();
            let problem = Problem::at("INVALID_PARAMETER", format!("$.{parameter}"), message.clone());
            ApiError::invalid_request(format!("Query parameter {parameter}: {message}")).with_errors(vec![problem])
        })
    }
}

/// Parses a UUID path segment; anything else is the resource's own 404 (an id that cannot exist
/// is simply not found).
pub fn parse_id(raw: &str, not_found: ErrorCode, what: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::new(not_found, format!("No {what} with id {raw:?}.")))
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
        assert!(error.detail.contains("not UTF-8"), "{}", error.detail);
        assert_eq!(parse_json::<Body>("{\"_name\": \"café\"}".as_bytes()).unwrap()._name, "café");
    }

    #[test]
    fn a_bad_numbers_path_names_the_field_only() {
        assert_eq!(json_path("deliveryFee.$serde_json::private::Number"), "$.deliveryFee");
        assert_eq!(json_path("[0].quantity"), "$[0].quantity");
    }
}
