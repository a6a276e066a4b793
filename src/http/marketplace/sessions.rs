//! `POST /v1/marketplace/session/create` and `DELETE /v1/marketplace/session/{sessionId}`: a
//! distribution partner mints a session for a user (or an anonymous one) and ends it. With the
//! session: its saved addresses and its fulfilment context.

use crate::app::error::{AppError, AppResult};
use crate::app::{addresses, sessions};
use crate::domain::address::{Address, AddressInput, Context, ContextInput};
use crate::domain::error_code::ErrorCode;
use crate::domain::session::SessionRequest;
use crate::http::auth::Distribution;
use crate::http::extract::{JsonBody, parse_id};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/marketplace/session/create", post(create_session))
        .route("/v1/marketplace/session/{sessionId}", delete(revoke_session))
        .route("/v1/marketplace/session/addresses", post(save_address).get(list_addresses))
        .route("/v1/marketplace/session/fulfillment-context", put(set_context).get(get_context))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SavedAddress {
    address_id: Uuid,
    #[serde(flatten)]
    address: Address,
}

impl From<addresses::Saved> for SavedAddress {
    fn from(saved: addresses::Saved) -> Self {
        SavedAddress { address_id: saved.address_id, address: saved.address }
    }
}

/// 201 for an address saved now, 200 for one saved before (the same id).
async fn save_address(
    State(state): State<AppState>,
    Distribution(caller): Distribution,
    JsonBody(body): JsonBody<AddressInput>,
) -> AppResult<(StatusCode, Json<SavedAddress>)> {
    let (saved, created) = addresses::save(&state, &caller, body).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(saved.into())))
}

#[derive(Debug, Serialize)]
struct AddressList {
    addresses: Vec<SavedAddress>,
}

async fn list_addresses(
    State(state): State<AppState>,
    Distribution(caller): Distribution,
) -> AppResult<Json<AddressList>> {
    let saved = addresses::list(&state, &caller).await?;
    Ok(Json(AddressList { addresses: saved.into_iter().map(SavedAddress::from).collect() }))
}

async fn set_context(
    State(state): State<AppState>,
    Distribution(caller): Distribution,
    JsonBody(body): JsonBody<ContextInput>,
) -> AppResult<Json<Context>> {
    Ok(Json(addresses::set_context(&state, &caller, body).await?))
}

/// The context set, or 404 NOT_FOUND before one is.
async fn get_context(State(state): State<AppState>, Distribution(caller): Distribution) -> AppResult<Json<Context>> {
    addresses::context(&state, &caller)
        .await?
        .map(Json)
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "This session has no fulfilment context yet: PUT one."))
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
