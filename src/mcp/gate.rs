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
use crate::auth::{self, Caller, unauthenticated};
use crate::domain::error_code::ErrorCode;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn gate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let presented = parts.headers.contains_key(header::AUTHORIZATION);
    let caller = match authenticate(&state, &parts.headers).await {
        Ok(caller) => caller,
        Err(error) => return challenge(error, presented),
    };
    parts.extensions.insert(caller.clone());
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
    let ending = parts.method == axum::http::Method::DELETE;
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if ending && response.status() == axum::http::StatusCode::ACCEPTED {
        // The session is gone, not queued for going: 204 is what clients expect of a DELETE.
        *response.status_mut() = axum::http::StatusCode::NO_CONTENT;
    }
    if conversation.is_none()
        && let Some(id) = response.headers().get(SESSION_HEADER).and_then(|v| v.to_str().ok())
        && let Err(error) = conversations::open(&state, &caller, id).await
    {
        // A session nobody owns would answer 404 to its own client: refuse it now instead.
        return error.into_response();
    }
    response
}

/// The session a bearer JWT speaks for, with a read spent from its organisation's budget (a
/// tool that writes spends a write as well). API keys are refused before any lookup: the MCP
/// server acts for a person, and a session is checked by its signature first, so a stranger's
/// guesses cost no database work.
async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Caller, AppError> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(auth::bearer_token)
        .ok_or_else(|| unauthenticated("Send a session JWT as Authorization: Bearer <token>."))?;
    if presented.starts_with(auth::API_KEY_PREFIX) {
        return Err(unauthenticated(
            "The MCP server acts for a person: send a session JWT (POST /v1/marketplace/session/create), not an API key.",
        ));
    }
    let caller = auth::authenticate(state, presented, || Ok(())).await?;
    conversations::owner_of(&caller)?;
    let verdict = state.rate_limits.check(caller.organization_id, Budget::Read);
    if !verdict.allowed {
        return Err(AppError::new(
            ErrorCode::RateLimited,
            format!("Your organisation has used its {} read requests a minute; retry later.", verdict.limit),
        )
        .with_retry_after(verdict.retry_after));
    }
    Ok(caller)
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
