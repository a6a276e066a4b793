//! The door of `/mcp`, before rmcp sees a request: the session JWT (401 with
//! `WWW-Authenticate` otherwise, and the organisation's request budget spent as for REST),
//! and the conversation named by `Mcp-Session-Id`, which must be this session's and live (404
//! otherwise, on every instance alike: an ended conversation is ended everywhere, whatever an
//! instance still holds in memory). The answer to an `initialize` carries the new session's id;
//! the gate gives that conversation its owner before the client can use it.

use super::SESSION_HEADER;
use crate::app::conversations::{self, Presence};
use crate::app::error::AppError;
use crate::auth::budget::Budget;
use crate::domain::error_code::ErrorCode;
use crate::http::auth::Distribution;
use crate::state::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn gate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let presented = parts.headers.contains_key(header::AUTHORIZATION);
    // Every MCP request spends a read; a tool that writes spends a write as well (`tools`).
    parts.extensions.insert(Budget::Read);
    let caller = match Distribution::from_request_parts(&mut parts, &state).await {
        Ok(Distribution(caller)) => caller,
        Err(error) => return challenge(error, presented),
    };
    if let Err(error) = conversations::owner_of(&caller) {
        return challenge(error, presented);
    }
    let conversation = parts.headers.get(SESSION_HEADER).and_then(|v| v.to_str().ok()).map(str::to_string);
    if let Some(id) = &conversation {
        match conversations::check(&state, &caller, id).await {
            Ok(Presence::Live) => {}
            Ok(Presence::Unknown) => {
                return AppError::new(ErrorCode::NotFound, "No such MCP session: it has ended; initialize a new one.")
                    .into_response();
            }
            Err(error) => return error.into_response(),
        }
    }
    let response = next.run(Request::from_parts(parts, body)).await;
    if conversation.is_none()
        && let Some(id) = response.headers().get(SESSION_HEADER).and_then(|v| v.to_str().ok())
        && let Err(error) = conversations::open(&state, &caller, id).await
    {
        // A session nobody owns would answer 404 to its own client: refuse it now instead.
        return error.into_response();
    }
    response
}

/// 401 names the scheme (RFC 6750): with `error="invalid_token"` once a credential was sent.
fn challenge(error: AppError, presented: bool) -> Response {
    let mut response = error.into_response();
    if presented && response.status() == axum::http::StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"marketfront\", error=\"invalid_token\""),
        );
    }
    response
}
