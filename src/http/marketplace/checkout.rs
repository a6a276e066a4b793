//! `/v1/marketplace/checkout/payments`: a session user's saved cards.

use crate::app::error::AppResult;
use crate::app::payment_methods::{self, Saved};
use crate::domain::card::CardInput;
use crate::domain::error_code::ErrorCode;
use crate::http::auth::Distribution;
use crate::http::extract::{JsonBody, parse_id};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, post};
use axum::{Json, Router};
use serde::Serialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/marketplace/checkout/payments", post(save).get(list))
        .route("/v1/marketplace/checkout/payments/{paymentId}", delete(remove))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PaymentMethodView {
    payment_id: Uuid,
    brand: &'static str,
    last_four: String,
    expiration: String,
}

impl From<Saved> for PaymentMethodView {
    fn from(saved: Saved) -> Self {
        PaymentMethodView {
            payment_id: saved.payment_id,
            brand: saved.card.brand,
            expiration: saved.card.expiration(),
            last_four: saved.card.last_four,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PaymentMethodList {
    payment_methods: Vec<PaymentMethodView>,
}

async fn save(
    State(state): State<AppState>,
    Distribution(caller): Distribution,
    JsonBody(body): JsonBody<CardInput>,
) -> AppResult<(StatusCode, Json<PaymentMethodView>)> {
    let saved = payment_methods::create(&state, &caller, body).await?;
    Ok((StatusCode::CREATED, Json(saved.into())))
}

async fn list(State(state): State<AppState>, Distribution(caller): Distribution) -> AppResult<Json<PaymentMethodList>> {
    let saved = payment_methods::list(&state, &caller).await?;
    Ok(Json(PaymentMethodList { payment_methods: saved.into_iter().map(PaymentMethodView::from).collect() }))
}

async fn remove(
    State(state): State<AppState>,
    Distribution(caller): Distribution,
    Path(raw): Path<String>,
) -> AppResult<StatusCode> {
    let payment_id = parse_id(&raw, ErrorCode::NotFound, "payment method")?;
    payment_methods::remove(&state, &caller, payment_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
