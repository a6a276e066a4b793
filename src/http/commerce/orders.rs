//! `POST /v1/commerce/orders/{orderId}/status`: the restaurant's system reports an order's
//! progress (seed 003). Another partner's order is a 404.

use crate::app::error::AppResult;
use crate::app::lifecycle::{self, Actor, StatusUpdate};
use crate::domain::error_code::ErrorCode;
use crate::domain::order::OrderView;
use crate::http::auth::Commerce;
use crate::http::extract::{JsonBody, parse_id};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};

pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/commerce/orders/{order_id}/status", post(update_order_status))
}

/// 200 with the order as it now stands (also when the update changed nothing).
async fn update_order_status(
    State(state): State<AppState>,
    Commerce(caller): Commerce,
    Path(raw): Path<String>,
    JsonBody(update): JsonBody<StatusUpdate>,
) -> AppResult<Json<OrderView>> {
    let order_id = parse_id(&raw, ErrorCode::OrderNotFound, "order")?;
    let actor = Actor::Restaurant(caller.organization_id);
    Ok(Json(lifecycle::update_status(&state, actor, order_id, update).await?))
}
