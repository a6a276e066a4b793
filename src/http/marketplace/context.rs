//! `/v1/marketplace/session/addresses` and `/v1/marketplace/session/fulfillment-context`: a
//! session's saved addresses, and how its orders are fulfilled when they leave it out.

use crate::app::addresses;
use crate::app::error::{AppError, AppResult};
use crate::domain::address::{Address, AddressInput, Context, ContextInput};
use crate::domain::error_code::ErrorCode;
use crate::http::auth::Distribution;
use crate::http::extract::JsonBody;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{post, put};
use axum::{Json, Router};
use serde::Serialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
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
