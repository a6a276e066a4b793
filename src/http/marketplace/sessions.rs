//! `POST /v1/marketplace/session/create` and `DELETE /v1/marketplace/session/{sessionId}`: a
//! distribution partner mints a session for a user (or an anonymous one) and ends it.

use crate::app::error::AppResult;
use crate::app::sessions;
use crate::domain::error_code::ErrorCode;
use crate::domain::session::SessionRequest;
use crate::http::auth::Distribution;
use crate::http::extract::{JsonBody, parse_id};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/marketplace/session/create", post(create_session))
        .route("/v1/marketplace/session/{sessionId}", delete(revoke_session))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Session {
    token: String,
    expires_at: DateTime<Utc>,
    session_id: Uuid,
    partner_user_id: String,
}

async fn create_session(
    State(state): State<AppState>,
    Distribution(caller): Distribution,
    JsonBody(body): JsonBody<SessionRequest>,
) -> AppResult<(StatusCode, Json<Session>)> {
    let created = sessions::create(&state, &caller, body).await?;
    let session = Session {
        token: created.token,
        expires_at: created.expires_at,
        session_id: created.session_id,
        partner_user_id: created.partner_user_id,
    };
    Ok((StatusCode::CREATED, Json(session)))
}

async fn revoke_session(
    State(state): State<AppState>,
    Distribution(caller): Distribution,
    Path(raw): Path<String>,
) -> AppResult<StatusCode> {
    let session_id = parse_id(&raw, ErrorCode::NotFound, "session")?;
    sessions::revoke(&state, &caller, session_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
