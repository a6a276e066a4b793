//! Extractors that report bad input through `AppError`, so a malformed body, query or id gets
//! the same problem+json as any other error, with the JSONPath of the offending field.

use crate::app::error::AppError;
use crate::domain::error_code::ErrorCode;
use crate::domain::problem::Problem;
use crate::input::strict::NUL_MESSAGE;
use crate::input::{parse_json, parse_object};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

/// A JSON request body, read into `T`.
pub struct JsonBody<T>(pub T);

/// A JSON request body read into `T` exactly as `JsonBody` reads it (one JSON rule for every
/// endpoint: no numbers as strings, no member twice, no array for an object), with the
/// document kept too, for handlers that need it (place's fingerprint).
pub struct JsonDocument<T>(pub T, pub Value);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        parse_json(&json_bytes(request, state).await?).map(JsonBody)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonDocument<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_bytes(request, state).await?;
        let typed = parse_json(&bytes)?;
        Ok(JsonDocument(typed, parse_object(&bytes)?))
    }
}

/// The raw body, once it is known to be JSON and within the endpoint's size limit.
async fn json_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, AppError> {
    let json_content = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
        });
    if !json_content {
        return Err(AppError::invalid_request("The body must be JSON, sent with Content-Type: application/json."));
    }
    Bytes::from_request(request, state).await.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::new(ErrorCode::PayloadTooLarge, "The request body is larger than this endpoint accepts.")
        } else {
            AppError::invalid_request(format!("The request body could not be read: {rejection}"))
        }
    })
}

/// Query parameters; a bad one is a 400 INVALID_REQUEST naming it.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        if form_urlencoded::parse(query.as_bytes()).any(|(name, value)| name.contains('\0') || value.contains('\0')) {
            return Err(AppError::invalid_request(NUL_MESSAGE));
        }
        // A whole number written as a float (`limit=20.0`) is the integer it is, as in a body
        // (see `input::strict`). Only a parameter that failed is rewritten, so text that
        // happens to look like a number (`query=1.0`) reaches its field unchanged; a query
        // that reads at once is read straight from the URI.
        let mut pairs: Option<Vec<(String, String)>> = None;
        let mut encoded = query.to_string();
        loop {
            let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
            let error = match serde_path_to_error::deserialize(deserializer) {
                Ok(value) => return Ok(QueryParams(value)),
                Err(error) => error,
            };
            let parameter = error.path().to_string();
            let pairs =
                pairs.get_or_insert_with(|| form_urlencoded::parse(query.as_bytes()).into_owned().collect::<Vec<_>>());
            let fixable = pairs.iter_mut().find(|(name, _)| *name == parameter).and_then(|(_, value)| {
                let integer = crate::input::whole_number(value)?;
                Some((value, integer))
            });
            match fixable {
                Some((value, integer)) => {
                    *value = integer;
                    encoded = serde_urlencoded::to_string(&*pairs).unwrap_or_default();
                }
                None => {
                    let message = error.inner().to_string();
                    let problem = Problem::at("INVALID_PARAMETER", format!("$.{parameter}"), message.clone());
                    let detail = format!("Query parameter {parameter}: {message}");
                    return Err(AppError::invalid_request(detail).with_errors(vec![problem]));
                }
            }
        }
    }
}

/// Parses a UUID path segment; anything else is the resource's own 404 (an id that cannot exist
/// is simply not found).
pub fn parse_id(raw: &str, not_found: ErrorCode, what: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| AppError::new(not_found, format!("No {what} with id {raw:?}.")))
}
