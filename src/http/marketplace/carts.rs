//! `/v1/marketplace/carts/…`: the stateless cart helpers. Each takes the cart and one change and
//! answers the new cart priced as validate would price it (200, every problem inline).

use crate::app::carts::{self, CartRequest, PricedCart};
use crate::app::error::AppResult;
use crate::auth::budget::Budget;
use crate::domain::address::FulfillmentSource;
use crate::domain::cart::{Change, NewLine};
use crate::domain::order::{Amounts, Cart, Delivery, FulfillmentType};
use crate::domain::problem::Problem;
use crate::http::auth::{Distribution, spends};
use crate::http::extract::JsonBody;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

pub fn routes() -> Router<AppState> {
    // They change nothing a partner owns: the read budget, like validate.
    Router::new()
        .route("/v1/marketplace/carts/add", post(add).layer(spends(Budget::Read)))
        .route("/v1/marketplace/carts/remove", post(remove).layer(spends(Budget::Read)))
        .route("/v1/marketplace/carts/update-quantity", post(update_quantity).layer(spends(Budget::Read)))
}

/// What every helper's body carries beside its change.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Common {
    /// `null` (or left out) starts a cart.
    #[serde(default)]
    cart: Option<Cart>,
    #[serde(default)]
    store_id: Option<String>,
    #[serde(default)]
    catalog_set_id: Option<String>,
    #[serde(default)]
    fulfillment_type: Option<FulfillmentType>,
    #[serde(default)]
    delivery: Option<Delivery>,
}

impl From<Common> for CartRequest {
    fn from(common: Common) -> Self {
        CartRequest {
            cart: common.cart,
            store_id: common.store_id,
            catalog_set_id: common.catalog_set_id,
            fulfillment_type: common.fulfillment_type,
            delivery: common.delivery,
        }
    }
}

#[derive(Debug, Deserialize)]
struct AddBody {
    #[serde(flatten)]
    common: Common,
    item: NewLine,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RemoveBody {
    #[serde(flatten)]
    common: Common,
    line_item_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct QuantityBody {
    #[serde(flatten)]
    common: Common,
    line_item_id: String,
    quantity: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CartAnswer {
    cart: Cart,
    fulfillment_type: FulfillmentType,
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery: Option<Delivery>,
    fulfillment_source: FulfillmentSource,
    /// `null` when some line cannot be priced.
    amounts: Option<Amounts>,
    is_valid: bool,
    errors: Vec<Problem>,
}

impl From<PricedCart> for CartAnswer {
    fn from(priced: PricedCart) -> Self {
        CartAnswer {
            cart: priced.cart,
            fulfillment_type: priced.fulfillment_type,
            delivery: priced.delivery,
            fulfillment_source: priced.fulfillment_source,
            amounts: priced.amounts,
            is_valid: priced.is_valid,
            errors: priced.errors,
        }
    }
}

async fn add(
    State(state): State<AppState>,
    Distribution(caller): Distribution,
    JsonBody(body): JsonBody<AddBody>,
) -> AppResult<Json<CartAnswer>> {
    let priced = carts::change(&state, &caller, body.common.into(), Change::Add(body.item)).await?;
    Ok(Json(priced.into()))
}

async fn remove(
    State(state): State<AppState>,
    Distribution(caller): Distribution,
    JsonBody(body): JsonBody<RemoveBody>,
) -> AppResult<Json<CartAnswer>> {
    let change = Change::Remove { line_item_id: body.line_item_id };
    Ok(Json(carts::change(&state, &caller, body.common.into(), change).await?.into()))
}

async fn update_quantity(
    State(state): State<AppState>,
    Distribution(caller): Distribution,
    JsonBody(body): JsonBody<QuantityBody>,
) -> AppResult<Json<CartAnswer>> {
    let change = Change::SetQuantity { line_item_id: body.line_item_id, quantity: body.quantity };
    Ok(Json(carts::change(&state, &caller, body.common.into(), change).await?.into()))
}
