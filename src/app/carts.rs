//! The stateless cart helpers: apply one change to the cart sent (`domain::cart`) and price
//! the result exactly as validate prices an order (`validate::settle` and `validate::price`),
//! for the request's fulfilment, else the session's context, else pickup. Nothing is stored
//! and no token is issued.

use crate::app::error::{AppError, AppResult};
use crate::app::validate;
use crate::auth::Caller;
use crate::domain::address::FulfillmentSource;
use crate::domain::cart::{self, Change, Refusal};
use crate::domain::error_code::ErrorCode;
use crate::domain::limits;
use crate::domain::order::{Amounts, Cart, Delivery, FulfillmentType, OrderInput};
use crate::domain::problem::Problem;
use crate::state::AppState;
use uuid::Uuid;

/// A cart helper's request beside its change.
#[derive(Debug, Clone)]
pub struct CartRequest {
    pub cart: Option<Cart>,
    /// For a new cart (`cart: null`).
    pub store_id: Option<String>,
    pub catalog_set_id: Option<String>,
    pub fulfillment_type: Option<FulfillmentType>,
    pub delivery: Option<Delivery>,
}

/// The cart after the change, priced.
#[derive(Debug, Clone)]
pub struct PricedCart {
    pub cart: Cart,
    pub fulfillment_type: FulfillmentType,
    pub delivery: Option<Delivery>,
    pub fulfillment_source: FulfillmentSource,
    pub amounts: Option<Amounts>,
    pub is_valid: bool,
    pub errors: Vec<Problem>,
}

pub async fn change(state: &AppState, caller: &Caller, request: CartRequest, change: Change) -> AppResult<PricedCart> {
    // The cart as sent, before the change could remove what breaks a limit; `settle` checks
    // the changed one.
    validate::within_limits(limits::check_sent(request.cart.as_ref(), request.delivery.as_ref(), None, None, None))?;
    let cart = cart::apply(request.cart, request.store_id, request.catalog_set_id, change, Uuid::new_v4()).map_err(
        |refusal| match refusal {
            Refusal::MissingStoreId => AppError::new(
                ErrorCode::MissingStoreId,
                "A new cart (cart: null) needs the storeId it is for, beside it in the body.",
            ),
            Refusal::CatalogsetRequired => AppError::new(
                ErrorCode::CatalogsetRequired,
                "A new cart (cart: null) needs the store's catalogSetId, beside it in the body.",
            ),
            Refusal::Invalid(problem) => {
                AppError::invalid_request("The cart change cannot be made.").with_errors(vec![problem])
            }
        },
    )?;
    price(state, caller, cart, request.fulfillment_type, request.delivery).await
}

/// A cart priced as it stands, for the fulfilment given, else the session's context, else
/// pickup: what every cart answer (REST's, an agent's) carries.
pub async fn price(
    state: &AppState,
    caller: &Caller,
    cart: Cart,
    fulfillment_type: Option<FulfillmentType>,
    delivery: Option<Delivery>,
) -> AppResult<PricedCart> {
    let input = OrderInput {
        cart,
        fulfillment_type,
        delivery,
        customer: None,
        amounts: None,
        payment: None,
        validated_order_token: None,
    };
    let (order, source) = validate::settle(state, caller, input, Some(FulfillmentType::Pickup)).await?;
    let priced = validate::price(state, order, state.now()).await?;
    let is_valid = priced.evaluation.is_valid();
    let order = priced.order;
    Ok(PricedCart {
        cart: order.cart,
        fulfillment_type: order.fulfillment_type,
        delivery: order.delivery,
        fulfillment_source: source,
        amounts: priced.evaluation.amounts,
        is_valid,
        errors: priced.evaluation.problems,
    })
}
