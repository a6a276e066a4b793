//! validate: price an order, list every reason it cannot be placed, and when it can, issue a
//! validatedOrderToken. Reads only the in-process cache; a valid order costs one (batched)
//! database write, an invalid one none.

use crate::app::addresses;
use crate::app::error::{AppError, AppResult};
use crate::auth::Caller;
use crate::db::tokens::TokenRecord;
use crate::domain::address::{self, FulfillmentSource};
use crate::domain::error_code::ErrorCode;
use crate::domain::order::{Cart, FulfillmentType, OrderInput, OrderRequest, PricedOrderRef, ValidatedOrder, Verdict};
use crate::domain::problem::Problem;
use crate::domain::rules::Evaluation;
use crate::domain::snapshot::{MenuSnapshot, StoreSnapshot};
use crate::domain::{limits, rules};
use crate::state::AppState;
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::Rng;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use uuid::Uuid;

/// The store and menu a cart refers to; an unusable reference is a 4xx, not an inline error.
pub async fn resolve(state: &AppState, cart: &Cart) -> AppResult<(Arc<StoreSnapshot>, Arc<MenuSnapshot>)> {
    let store_missing = || AppError::new(ErrorCode::StoreNotFound, format!("No store with id {:?}.", cart.store_id));
    let store_id = Uuid::parse_str(&cart.store_id).map_err(|_| store_missing())?;
    let store = state.cache.store(&state.db, store_id).await?.ok_or_else(store_missing)?;
    let Some(raw) = cart.catalog_set_id.as_deref() else {
        return Err(AppError::new(
            ErrorCode::CatalogsetRequired,
            "cart.catalogSetId is required: use the store's catalogSetId.",
        ));
    };
    let menu_missing = || AppError::new(ErrorCode::CatalogsetNotFound, format!("No catalog set with id {raw:?}."));
    let catalog_set_id = Uuid::parse_str(raw).map_err(|_| menu_missing())?;
    let menu = state.cache.menu(&state.db, catalog_set_id).await?.ok_or_else(menu_missing)?;
    Ok((store, menu))
}

/// A new token and the hash that is stored in its place: 256 random bits.
pub fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    let token = format!("vot_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes));
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Settles what the order leaves out from the session's fulfilment context (read only then),
/// else `default` (the cart helpers price pickup), and says which it used. `None` with no
/// default: 400, fulfillmentType is required.
pub async fn settle(
    state: &AppState,
    caller: &Caller,
    mut input: OrderInput,
    default: Option<FulfillmentType>,
) -> AppResult<(OrderRequest, FulfillmentSource)> {
    within_limits(limits::check_sent(
        Some(&input.cart),
        input.delivery.as_ref(),
        input.customer.as_ref(),
        input.amounts.as_ref(),
        input.validated_order_token.as_deref(),
    ))?;
    let address_missing = input.fulfillment_type.is_none_or(|kind| kind == FulfillmentType::DeliveryByMerchant)
        && input.delivery.is_none();
    let context = if address_missing { addresses::fallback_for(state, caller).await? } else { None };
    let delivery = input.delivery.take();
    let settled = address::fill(input.fulfillment_type, delivery, context.as_ref())
        .or_else(|| default.map(|kind| (kind, None, FulfillmentSource::Default)));
    let Some((kind, delivery, source)) = settled else {
        return Err(AppError::invalid_request(
            "fulfillmentType is required: Pickup or DeliveryByMerchant (a session may set a fulfilment context instead).",
        )
        .with_errors(vec![Problem::at("MISSING_FIELD", "$.fulfillmentType", "fulfillmentType is required")]));
    };
    Ok((input.settled(kind, delivery), source))
}

/// An order priced: what validate answers and the cart helpers answer, from one path.
pub struct Priced {
    pub order: OrderRequest,
    pub store: Arc<StoreSnapshot>,
    pub menu: Arc<MenuSnapshot>,
    pub evaluation: Evaluation,
}

/// The refusal of an order beyond what one request may hold (`limits`), if it is.
pub fn within_limits(beyond: Vec<Problem>) -> AppResult<()> {
    if beyond.is_empty() {
        return Ok(());
    }
    let code = limits::refusal_code(&beyond);
    Err(AppError::new(code, "The order is beyond what one request may hold.").with_errors(beyond))
}

/// Prices an order `settle` has checked and settled, against the cached store and menu: every
/// problem inline, nothing written. A store or menu that does not exist is a 4xx instead.
pub async fn price(state: &AppState, order: OrderRequest, now: DateTime<Utc>) -> AppResult<Priced> {
    let (store, menu) = resolve(state, &order.cart).await?;
    let evaluation = rules::evaluate(&order, &store, &menu, now);
    Ok(Priced { order, store, menu, evaluation })
}

pub async fn validate(state: &AppState, caller: &Caller, input: OrderInput) -> AppResult<ValidatedOrder> {
    let (order, source) = settle(state, caller, input, None).await?;
    let now = state.now();
    let Priced { order, store, menu, evaluation } = price(state, order, now).await?;
    let valid = evaluation.is_valid();
    // Serialised once, straight to text: the answer sends it and the token stores it. This is
    // the hot path, where a second serialisation cost a tenth of a valid cart's instructions.
    let priced = serde_json::to_string(&PricedOrderRef {
        cart: &order.cart,
        fulfillment_type: order.fulfillment_type,
        delivery: order.delivery.as_ref(),
        amounts: evaluation.amounts.as_ref(),
        fulfillment_source: source,
    })
    .map_err(AppError::internal)?;
    let mut verdict = Verdict {
        customer: order.customer,
        is_valid: valid,
        errors: evaluation.problems,
        validated_order_token: None,
        token_expires_at: None,
        estimated_ready_at: None,
        trace_id: None,
    };
    let Some(amounts) = evaluation.amounts.filter(|_| valid) else {
        return Ok(ValidatedOrder { priced, verdict });
    };
    let ttl = chrono::Duration::from_std(state.config.token_ttl).unwrap_or(chrono::Duration::minutes(15));
    let (token, hash) = new_token();
    let record = TokenRecord {
        hash,
        organization_id: caller.organization_id,
        partner_user_id: caller.session.as_ref().map(|s| s.partner_user_id.clone()),
        store_id: store.id,
        catalog_set_id: menu.set.catalog_set_id,
        snapshot: priced.clone(),
        total: amounts.total,
        currency: amounts.currency,
        created_at: now,
        expires_at: now + ttl,
    };
    state.tokens.write(record).await.map_err(|error| {
        tracing::warn!(error = format!("{error:#}"), "token write failed");
        AppError::new(ErrorCode::ServiceUnavailable, "The order could not be validated just now; try again.")
            .with_retry_after(1)
    })?;
    verdict.validated_order_token = Some(token);
    verdict.token_expires_at = Some(now + ttl);
    verdict.estimated_ready_at = Some(crate::domain::store::ready_at(&store.details, &store.pause, now));
    Ok(ValidatedOrder { priced, verdict })
}
