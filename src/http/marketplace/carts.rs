//! `/v1/marketplace/carts/…`: the stateless cart helpers. Each takes the cart and one change and
//! answers the new cart priced as validate would price it (200, every problem inline).

use crate::app::carts::{self, CartRequest, PricedCart};
use crate::app::error::{AppError, AppResult};
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

/// Every helper's body: the cart and its fulfilment, and the change's own fields (each helper
/// requires its own). One struct rather than a flattened one per helper: serde's flatten
/// buffers the whole body first, and these are as hot as validate.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CartBody {
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
    #[serde(default)]
    item: Option<NewLine>,
    #[serde(default)]
    line_item_id: Option<String>,
    #[serde(default)]
    quantity: Option<i64>,
}

impl CartBody {
    fn split(self) -> (CartRequest, Option<NewLine>, Option<String>, Option<i64>) {
        let request = CartRequest {
            cart: self.cart,
            store_id: self.store_id,
            catalog_set_id: self.catalog_set_id,
            fulfillment_type: self.fulfillment_type,
            delivery: self.delivery,
        };
        (request, self.item, self.line_item_id, self.quantity)
    }
}

fn required<T>(value: Option<T>, field: &str) -> AppResult<T> {
    value.ok_or_else(|| {
        AppError::invalid_request(format!("{field} is required.")).with_errors(vec![Problem::at(
            "MISSING_FIELD",
            format!("$.{field}"),
            format!("{field} is required"),
        )])
    })
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
    JsonBody(body): JsonBody<CartBody>,
) -> AppResult<Json<CartAnswer>> {
    let (request, item, _, _) = body.split();
    let change = Change::Add(required(item, "item")?);
    Ok(Json(carts::change(&state, &caller, request, change).await?.into()))
}

async fn remove(
    State(state): State<AppState>,
    Distribution(caller): Distribution,
    JsonBody(body): JsonBody<CartBody>,
) -> AppResult<Json<CartAnswer>> {
    let (request, _, line_item_id, _) = body.split();
    let change = Change::Remove { line_item_id: required(line_item_id, "lineItemId")? };
    Ok(Json(carts::change(&state, &caller, request, change).await?.into()))
}

async fn update_quantity(
    State(state): State<AppState>,
    Distribution(caller): Distribution,
    JsonBody(body): JsonBody<CartBody>,
) -> AppResult<Json<CartAnswer>> {
    let (request, _, line_item_id, quantity) = body.split();
    let line_item_id = required(line_item_id, "lineItemId")?;
    let change = Change::SetQuantity { line_item_id, quantity: required(quantity, "quantity")? };
    Ok(Json(carts::change(&state, &caller, request, change).await?.into()))
}
