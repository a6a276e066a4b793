//! An AI agent's conversation (the use cases behind the MCP server's tools): the cart it
//! builds, the fulfilment the person confirmed, and placing an order only with the person's
//! yes. A conversation is a row (`db::mcp_sessions`), so any instance serves any call of it; it
//! belongs to the SDK session whose token opened it, and speaks for that session's partner and
//! user. Nothing here knows of MCP: the transport names the conversation and maps the answers.

use crate::app::carts::{self, PricedCart};
use crate::app::error::{AppError, AppResult};
use crate::app::place::{self, PlaceCommand, Placed};
use crate::app::{addresses, payment_methods, validate};
use crate::auth::{Caller, unauthenticated};
use crate::db;
use crate::db::mcp_sessions::{NewConfirmation, Owner};
use crate::domain::address::{Context, ContextInput};
use crate::domain::cart::{self as cart_rules, Change, NewLine, Refusal};
use crate::domain::error_code::ErrorCode;
use crate::domain::idempotency;
use crate::domain::order::{Amounts, Cart, FulfillmentType, OrderInput, PlaceRequest, PricedOrder, ValidatedOrder};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use rand::RngCore;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// A conversation idle this long is forgotten (the portal's MCP sessions idle for 30 days).
pub const IDLE_LIMIT: chrono::Duration = chrono::Duration::days(30);
/// Last use is written at most this often, not on every call.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::minutes(5);
/// How long the person has to say yes to an order summary.
pub const CONFIRMATION_TTL: chrono::Duration = chrono::Duration::minutes(5);
/// Cart changes racing on one conversation are retried this many times before giving up (each
/// loser tries again at once: with n racing, the last one lands by its n-th try).
const CART_ATTEMPTS: usize = 16;

/// Who a conversation is for: a session (an API key has no person to ask).
pub fn owner_of(caller: &Caller) -> AppResult<Owner> {
    let Some(user) = &caller.session else {
        return Err(unauthenticated(
            "The MCP server acts for a person: send a session JWT (POST /v1/marketplace/session/create), not an API key.",
        ));
    };
    Ok(Owner {
        organization_id: caller.organization_id,
        session_id: caller.session_id,
        partner_user_id: user.partner_user_id.clone(),
    })
}

/// Whether a conversation can be continued by `caller`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Live,
    /// Unknown, ended, idle past its limit, or another session's: to the caller, all the same.
    Unknown,
}

/// Gives a conversation the handshake just opened to its caller.
pub async fn open(state: &AppState, caller: &Caller, id: &str) -> AppResult<()> {
    let owner = owner_of(caller)?;
    if !db::mcp_sessions::bind(&state.db, id, &owner, state.now()).await? {
        tracing::warn!(conversation = id, "an MCP session id was issued twice");
    }
    Ok(())
}

/// Whether `caller` may continue conversation `id`; marks it used.
pub async fn check(state: &AppState, caller: &Caller, id: &str) -> AppResult<Presence> {
    let owner = owner_of(caller)?;
    let now = state.now();
    let Some(found) = db::mcp_sessions::find(&state.db, id).await? else { return Ok(Presence::Unknown) };
    if found.owner.as_ref() != Some(&owner) || found.last_used_at <= now - IDLE_LIMIT {
        return Ok(Presence::Unknown);
    }
    if found.last_used_at <= now - TOUCH_EVERY {
        db::mcp_sessions::touch(&state.db, id, now).await?;
    }
    Ok(Presence::Live)
}

/// The client's `initialize`, as stored for restoring the conversation elsewhere.
pub async fn handshake(state: &AppState, id: &str) -> AppResult<Option<Value>> {
    Ok(db::mcp_sessions::handshake(&state.db, id).await?)
}

pub async fn save_handshake(state: &AppState, id: &str, params: &Value) -> AppResult<()> {
    Ok(db::mcp_sessions::save_handshake(&state.db, id, params, state.now()).await?)
}

/// Ends a conversation: its cart and confirmations go with it.
pub async fn end(state: &AppState, id: &str) -> AppResult<()> {
    db::mcp_sessions::delete(&state.db, id).await?;
    Ok(())
}

fn gone() -> AppError {
    AppError::new(ErrorCode::NotFound, "This MCP session has ended; initialize a new one.")
}

fn stored_cart(value: Option<Value>) -> AppResult<Option<Cart>> {
    value.map(serde_json::from_value).transpose().map_err(AppError::internal)
}

/// The conversation's cart, priced now (for the session's fulfilment context, else pickup).
pub async fn cart(state: &AppState, caller: &Caller, id: &str) -> AppResult<Option<PricedCart>> {
    let stored = db::mcp_sessions::cart(&state.db, id).await?.ok_or_else(gone)?;
    match stored_cart(stored.cart)? {
        Some(cart) => Ok(Some(carts::price(state, caller, cart, None, None).await?)),
        None => Ok(None),
    }
}

/// One change an agent makes to its cart.
#[derive(Debug, Clone)]
pub enum CartChange {
    /// `store_id` (and the store's `catalog_set_id`) start the cart; on a cart of another
    /// store they are refused while that cart holds anything.
    Add {
        store_id: String,
        catalog_set_id: Option<String>,
        line: NewLine,
    },
    SetQuantity {
        line_item_id: String,
        quantity: i64,
    },
    Remove {
        line_item_id: String,
    },
}

/// Applies a change to the conversation's cart and prices the result. Two changes racing on
/// one cart both land, one after the other (the cart is swapped only at the version read).
pub async fn change_cart(state: &AppState, caller: &Caller, id: &str, change: CartChange) -> AppResult<PricedCart> {
    for _ in 0..CART_ATTEMPTS {
        let stored = db::mcp_sessions::cart(&state.db, id).await?.ok_or_else(gone)?;
        let held = stored_cart(stored.cart)?;
        let (start, change) = match change.clone() {
            CartChange::Add { store_id, catalog_set_id, line } => {
                let other_store = held.as_ref().is_some_and(|cart| cart.store_id != store_id);
                if other_store && held.as_ref().is_some_and(|cart| !cart.line_items.is_empty()) {
                    return Err(AppError::invalid_request(
                        "The cart holds items of another store: remove them first (one order is from one store).",
                    ));
                }
                let start = if other_store { None } else { held };
                let catalog_set_id = match catalog_set_id {
                    Some(id) => Some(id),
                    None => default_catalog_set(state, &store_id).await?,
                };
                ((start, Some(store_id), catalog_set_id), Change::Add(line))
            }
            CartChange::SetQuantity { line_item_id, quantity } => {
                ((held, None, None), Change::SetQuantity { line_item_id, quantity })
            }
            CartChange::Remove { line_item_id } => ((held, None, None), Change::Remove { line_item_id }),
        };
        let (held, store_id, catalog_set_id) = start;
        if held.is_none() && store_id.is_none() {
            return Err(AppError::invalid_request("The cart is empty: add an item first."));
        }
        let changed = cart_rules::apply(held, store_id, catalog_set_id, change, Uuid::new_v4()).map_err(refusal)?;
        let priced = carts::price(state, caller, changed, None, None).await?;
        let value = serde_json::to_value(&priced.cart).map_err(AppError::internal)?;
        if db::mcp_sessions::swap_cart(&state.db, id, stored.version, Some(&value)).await? {
            return Ok(priced);
        }
        // Let the winner's neighbours through before reading again.
        tokio::task::yield_now().await;
    }
    Err(AppError::new(ErrorCode::ServiceUnavailable, "The cart is being changed by other calls; try again.")
        .with_retry_after(1))
}

fn refusal(refusal: Refusal) -> AppError {
    match refusal {
        Refusal::MissingStoreId => AppError::new(ErrorCode::MissingStoreId, "Adding the first item needs its storeId."),
        Refusal::CatalogsetRequired => {
            AppError::new(ErrorCode::CatalogsetRequired, "The store has no menu yet: choose another store.")
        }
        Refusal::Invalid(problem) => {
            AppError::invalid_request("The cart change cannot be made.").with_errors(vec![problem])
        }
    }
}

/// The menu a store sells from, for an agent that named only the store.
async fn default_catalog_set(state: &AppState, store_id: &str) -> AppResult<Option<String>> {
    let Ok(id) = Uuid::parse_str(store_id) else { return Ok(None) };
    match crate::app::stores::get(state, id).await {
        Ok(store) => Ok(store.catalog_set_id.map(|id| id.to_string())),
        // The pricing reports an unknown store as it reports it for every cart.
        Err(error) if error.code() == ErrorCode::StoreNotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// Whether the person chose pickup or delivery themselves in this conversation.
pub async fn confirmed(state: &AppState, id: &str) -> AppResult<bool> {
    let stored = db::mcp_sessions::cart(&state.db, id).await?.ok_or_else(gone)?;
    Ok(stored.fulfillment_confirmed_at.is_some())
}

/// The person chose pickup or delivery: set it and remember that they did.
pub async fn confirm_fulfillment(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: ContextInput,
) -> AppResult<Context> {
    let context = addresses::set_context(state, caller, input).await?;
    db::mcp_sessions::confirm_fulfillment(&state.db, id, state.now()).await?;
    Ok(context)
}

/// Validates the conversation's cart as the session would (its fulfilment context), issuing
/// the token placeOrder needs.
pub async fn validate(state: &AppState, caller: &Caller, id: &str) -> AppResult<ValidatedOrder> {
    let stored = db::mcp_sessions::cart(&state.db, id).await?.ok_or_else(gone)?;
    let cart = stored_cart(stored.cart)?
        .filter(|cart| !cart.line_items.is_empty())
        .ok_or_else(|| AppError::new(ErrorCode::CartEmpty, "The cart is empty: add items before validating."))?;
    if addresses::fallback_for(state, caller).await?.is_none() {
        return Err(AppError::invalid_request("Pickup or delivery has not been chosen for this session yet.")
            .with_member(
                "guidance",
                "Ask the person pickup or delivery with confirmFulfillment, then validate again.",
            ));
    }
    let input = OrderInput {
        cart,
        fulfillment_type: None,
        delivery: None,
        customer: None,
        amounts: None,
        payment: None,
        validated_order_token: None,
    };
    validate::validate(state, caller, input).await
}

/// How an agent's order is paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payment {
    /// One of the person's saved cards (`listPaymentMethods`).
    SavedCard { payment_id: String },
    /// A card the partner holds at its processor (interchange).
    CardOnFile { card_token: String, processor_type: String },
}

impl Payment {
    /// As place reads `payment`.
    fn as_json(&self) -> Value {
        match self {
            Payment::SavedCard { payment_id } => json!({ "savedCard": { "paymentId": payment_id } }),
            Payment::CardOnFile { card_token, processor_type } => {
                json!({ "cardOnFile": { "cardToken": card_token, "processorType": processor_type } })
            }
        }
    }
}

/// A validated order and how to pay for it: what the person says yes to.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub validated_order_token: String,
    pub payment: Payment,
}

/// What the person is shown before an order is placed.
#[derive(Debug, Clone)]
pub struct Summary {
    pub store_id: Uuid,
    pub store_name: String,
    pub lines: Vec<SummaryLine>,
    pub fulfillment_type: FulfillmentType,
    /// The delivery address on one line.
    pub deliver_to: Option<String>,
    pub amounts: Amounts,
    pub card: String,
    /// The order already placed with this validated order, if one was.
    pub placed_order: Option<Uuid>,
}

#[derive(Debug, Clone)]
pub struct SummaryLine {
    pub name: String,
    pub quantity: i64,
    /// The chosen modifiers' names.
    pub options: Vec<String>,
}

impl SummaryLine {
    /// `2 × Margherita (Large, Basil)`.
    pub fn text(&self) -> String {
        let options = if self.options.is_empty() { String::new() } else { format!(" ({})", self.options.join(", ")) };
        format!("{} × {}{options}", self.quantity, self.name)
    }
}

impl Summary {
    /// One paragraph a client can show the person as it is.
    pub fn sentence(&self) -> String {
        let lines: Vec<String> = self.lines.iter().map(SummaryLine::text).collect();
        let how = match (&self.fulfillment_type, &self.deliver_to) {
            (FulfillmentType::DeliveryByMerchant, Some(to)) => format!("delivered to {to}"),
            (FulfillmentType::DeliveryByMerchant, None) => "delivered".to_string(),
            (FulfillmentType::Pickup, _) => "for pickup".to_string(),
        };
        format!(
            "Place this order at {}, {how}: {}. Total {} {}, paid with {}.",
            self.store_name,
            lines.join("; "),
            self.amounts.total,
            self.amounts.currency,
            self.card
        )
    }
}

/// The token's order, if the caller may place it, and the order placed with it already, if
/// one was (an expired token of a placed order still names it).
async fn token_order(state: &AppState, caller: &Caller, token: &str) -> AppResult<(PricedOrder, Option<Uuid>)> {
    let unknown = || {
        AppError::new(ErrorCode::TokenInvalid, "The validatedOrderToken is not recognised: call validateOrder first.")
    };
    let found = db::tokens::find(&state.db, &validate::token_hash(token)).await?.ok_or_else(unknown)?;
    let user = caller.session.as_ref().map(|s| s.partner_user_id.as_str());
    if found.organization_id != caller.organization_id || found.partner_user_id.as_deref() != user {
        return Err(unknown());
    }
    if found.order_id.is_none() && found.expires_at <= state.now() {
        return Err(AppError::new(
            ErrorCode::TokenExpired,
            "The validated order has expired: call validateOrder again.",
        ));
    }
    Ok((found.snapshot.0, found.order_id))
}

/// The summary of a checkout: the token's order, named from the menu, and the card.
pub async fn summarize(state: &AppState, caller: &Caller, checkout: &Checkout) -> AppResult<Summary> {
    crate::auth::require_user(caller, "Placing an order")?;
    let (order, placed_order) = token_order(state, caller, &checkout.validated_order_token).await?;
    let (store, menu) = validate::resolve(state, &order.cart).await?;
    let name_of =
        |item_id: &str| menu.set.items.get(item_id).map_or_else(|| item_id.to_string(), |item| item.name.clone());
    let lines = order
        .cart
        .line_items
        .iter()
        .map(|line| SummaryLine {
            name: name_of(&line.item_id),
            quantity: line.quantity,
            options: line
                .modifier_groups
                .iter()
                .flat_map(|group| group.selected_modifiers.iter().map(|m| name_of(&m.item_id)))
                .collect(),
        })
        .collect();
    let deliver_to = order.delivery.as_ref().and_then(|d| d.address.clone());
    let card = match &checkout.payment {
        Payment::SavedCard { payment_id } => {
            let saved = payment_methods::list(state, caller).await?;
            let card = saved.iter().find(|s| s.payment_id.to_string() == *payment_id).ok_or_else(|| {
                AppError::new(
                    ErrorCode::PaymentMethodInvalid,
                    "No saved payment method of this person has this paymentId: call listPaymentMethods.",
                )
            })?;
            format!("{} ending {}", card.card.brand, card.card.last_four)
        }
        Payment::CardOnFile { processor_type, .. } => format!("the card on file at {processor_type}"),
    };
    Ok(Summary {
        store_id: store.id,
        store_name: store.details.name.clone(),
        lines,
        fulfillment_type: order.fulfillment_type,
        deliver_to,
        amounts: order.amounts,
        card,
        placed_order,
    })
}

/// A summary waiting for the person's yes.
#[derive(Debug, Clone)]
pub struct Pending {
    pub confirmation_id: String,
    pub expires_at: DateTime<Utc>,
}

fn confirmation_hash(confirmation_id: &str) -> Vec<u8> {
    Sha256::digest(confirmation_id.as_bytes()).to_vec()
}

/// Records a summary shown to the person, bound to its validated order, total and card.
pub async fn await_confirmation(
    state: &AppState,
    id: &str,
    checkout: &Checkout,
    summary: &Summary,
) -> AppResult<Pending> {
    let mut secret = [0u8; 18];
    rand::rng().fill_bytes(&mut secret);
    let confirmation_id = format!("cnf_{}", hex::encode(secret));
    let now = state.now();
    let expires_at = now + CONFIRMATION_TTL;
    db::mcp_sessions::insert_confirmation(
        &state.db,
        &NewConfirmation {
            id_hash: &confirmation_hash(&confirmation_id),
            mcp_session_id: id,
            token_hash: &validate::token_hash(&checkout.validated_order_token),
            payment: &checkout.payment.as_json(),
            total: summary.amounts.total,
            currency: &summary.amounts.currency,
            created_at: now,
            expires_at,
        },
    )
    .await?;
    Ok(Pending { confirmation_id, expires_at })
}

/// Checks that `confirmation_id` is this conversation's yes to exactly this checkout and
/// total.
pub async fn check_confirmation(
    state: &AppState,
    id: &str,
    confirmation_id: &str,
    checkout: &Checkout,
    summary: &Summary,
) -> AppResult<()> {
    let invalid = |why: &str| AppError::new(ErrorCode::ConfirmationInvalid, format!("The confirmationId {why}."));
    let Some(stored) = db::mcp_sessions::confirmation(&state.db, &confirmation_hash(confirmation_id)).await? else {
        return Err(invalid("is not known"));
    };
    if stored.mcp_session_id != id {
        return Err(invalid("is not known"));
    }
    if stored.expires_at <= state.now() {
        return Err(invalid("has expired: the person must see the summary again"));
    }
    if stored.token_hash != validate::token_hash(&checkout.validated_order_token) {
        return Err(invalid("was given for another validated order"));
    }
    if stored.payment.0 != checkout.payment.as_json() {
        return Err(invalid("was given for another card"));
    }
    if stored.total != summary.amounts.total || stored.currency != summary.amounts.currency {
        return Err(invalid("was given for another total"));
    }
    Ok(())
}

/// Places the checkout through place's one use case, under a key derived from the session and
/// the token: the same checkout placed again (a retry, a lost answer) is the same order.
/// `total` is the one the person said yes to; place refuses the order if it is not the order's.
pub async fn place(state: &AppState, caller: &Caller, checkout: &Checkout, total: Decimal) -> AppResult<Placed> {
    let scope = match (caller.session_id, &caller.session) {
        (Some(session_id), _) => session_id.to_string(),
        (None, Some(user)) => user.partner_user_id.clone(),
        (None, None) => return Err(unauthenticated("Placing through an agent needs a session.")),
    };
    let key = idempotency::derived_key(&scope, &checkout.validated_order_token);
    let mut body = checkout.payment.as_json();
    let body = json!({
        "validatedOrderToken": checkout.validated_order_token,
        "payment": body.take(),
        "amounts": { "total": total },
    });
    let fingerprint = idempotency::fingerprint(&body);
    let request: PlaceRequest = serde_json::from_value(body).map_err(AppError::internal)?;
    place::place(state, caller, PlaceCommand { key, fingerprint, request }).await
}
