//! `POST /v1/marketplace/session/create`: a distribution partner mints a session for a user.

use crate::app::error::{AppError, AppResult};
use crate::auth::sessions::{self, DEFAULT_TTL_SECONDS, MAX_TTL_SECONDS, SessionUser};
use crate::domain::error_code::ErrorCode;
use crate::domain::problem::Problem;
use crate::http::auth::Distribution;
use crate::http::extract::JsonBody;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/marketplace/session/create", post(create_session))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateSession {
    partner_user_id: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    /// Lifetime in seconds (default 900, at most 3600).
    #[serde(default)]
    ttl_seconds: Option<i64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Session {
    token: String,
    expires_at: DateTime<Utc>,
    partner_user_id: String,
}

async fn create_session(
    State(state): State<AppState>,
    Distribution(caller): Distribution,
    JsonBody(body): JsonBody<CreateSession>,
) -> AppResult<(StatusCode, Json<Session>)> {
    if caller.session.is_some() {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            "A session cannot create sessions; use the partner's API key.",
        ));
    }
    let mut problems = Vec::new();
    if body.partner_user_id.trim().is_empty() || body.partner_user_id.len() > 200 {
        problems.push(Problem::at("INVALID_VALUE", "$.partnerUserId", "partnerUserId must be 1 to 200 characters"));
    }
    let ttl = body.ttl_seconds.unwrap_or(DEFAULT_TTL_SECONDS);
    if !(60..=MAX_TTL_SECONDS).contains(&ttl) {
        problems.push(Problem::at(
            "INVALID_VALUE",
            "$.ttlSeconds",
            format!("ttlSeconds must be between 60 and {MAX_TTL_SECONDS}"),
        ));
    }
    if !problems.is_empty() {
        return Err(AppError::validation("The session request has problems.", problems));
    }
    let user = SessionUser {
        partner_user_id: body.partner_user_id,
        email: body.email,
        first_name: body.first_name,
        last_name: body.last_name,
        phone: body.phone,
    };
    let (token, expires_at) = sessions::mint(
        &state.config.jwt_secret,
        caller.organization_id,
        &user,
        state.now(),
        chrono::Duration::seconds(ttl),
    );
    Ok((StatusCode::CREATED, Json(Session { token, expires_at, partner_user_id: user.partner_user_id })))
}
