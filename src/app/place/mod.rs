//! place: turn a validated order into a placed, paid-for order, exactly once per
//! Idempotency-Key, whatever the client retries and wherever a process dies.
//!
//! The work is split into recorded steps (Brandur Leach's "atomic phases"):
//!
//! 1. **Claim and create** (one transaction): claim the key; check the token, the body, the
//!    payment method and the customer; re-validate and re-price against the live store and
//!    menu; then create the order and its pending authorisation, consume the token and move
//!    the key to `order_created`. A refusal here is final and stored on the key instead.
//! 2. **Authorise** (no transaction open): ask the processor, under a key derived from the
//!    order id, so asking again can never authorise twice.
//! 3. **Finish** (one transaction, only while the claim is still ours): placed → the order
//!    becomes visible, its events go to the outbox and the order is stored on the key for replay;
//!    declined → the order fails, the token is freed and PAYMENT_DECLINED is stored;
//!    processor unavailable → the key is released unanswered, and a retry resumes at step 2.
//!
//! A request that stops between steps leaves its key claimed until its lease runs out; then a
//! retry with the same key takes over from the recorded step (`app::idempotency` keeps the key),
//! or the completer (`completer::AbandonedPlaces`) voids the authorisation, fails the order
//! and frees token and key.

pub mod completer;

use crate::app::error::{AppError, AppResult};
use crate::app::idempotency::{self, Begun, Claim, KeyedRequest, Stored, Terms};
use crate::app::orders;
use crate::app::secrets_at_rest;
use crate::app::validate::token_hash;
use crate::auth::Caller;
use crate::cache::{load_menu, load_store};
use crate::db::orders::{self as order_db, NewEvent, NewOrder, OrderRow};
use crate::db::tokens;
use crate::domain::error_code::ErrorCode;
use crate::domain::idempotency::{RecoveryPoint, scoped_key};
use crate::domain::order::{
    Customer, HistoryEntry, OrderRequest, OrderView, PaymentMethod, PaymentState, PlaceRequest, Placement,
};
use crate::domain::placement;
use crate::domain::problem::Problem;
use crate::domain::{limits, rules};
use crate::metrics as names;
use crate::payments::{Authorization, AuthorizationRequest, processor_key};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A place request, with its key and the fingerprint of its body.
pub struct PlaceCommand {
    pub key: Uuid,
    pub fingerprint: Vec<u8>,
    pub request: PlaceRequest,
}

/// A placed order: its id and the answer's document (the order as JSON, byte for byte what was
/// stored for replay), fresh or replayed from the key.
pub struct Placed {
    pub order_id: Uuid,
    pub body: Vec<u8>,
    pub replayed: bool,
}

/// Who made a change the server made itself, in an order's history.
pub const MARKETFRONT: &str = "marketfront";

fn as_chrono(duration: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::seconds(30))
}

/// How long a place request owns its key, and how long its answer is kept.
pub fn key_terms(state: &AppState) -> Terms {
    Terms { lease: as_chrono(state.config.place_lease), keep_for: as_chrono(state.config.idempotency_ttl) }
}

pub async fn place(state: &AppState, caller: &Caller, command: PlaceCommand) -> AppResult<Placed> {
    crate::auth::require_user(caller, "Placing an order")?;
    let beyond = limits::check_place(&command.request);
    if !beyond.is_empty() {
        let code = limits::refusal_code(&beyond);
        return Err(AppError::new(code, "The order is beyond what one request may hold.").with_errors(beyond));
    }
    let now = state.now();
    let keyed = KeyedRequest {
        organization: caller.organization_id,
        key: scoped_key(command.key, caller.session.as_ref().map(|s| s.partner_user_id.as_str())),
        fingerprint: command.fingerprint.clone(),
    };
    let mut tx = state.db.begin().await?;
    let claim = match idempotency::begin(&mut tx, &keyed, key_terms(state), now).await? {
        Begun::Fresh(claim) => claim,
        Begun::Resume { claim, point: RecoveryPoint::OrderCreated, resource: Some(order_id) } => {
            tx.commit().await?;
            tracing::info!(%order_id, "place: resuming an interrupted request at the payment step");
            return authorize(state, claim, order_id).await;
        }
        // A point place does not record, or one without its order: start again.
        Begun::Resume { claim, .. } => claim,
        Begun::Replay(Stored::Succeeded { resource: Some(order_id), body }) => {
            return Ok(Placed { order_id, body, replayed: true });
        }
        Begun::Replay(Stored::Succeeded { resource: None, .. }) => {
            return Err(AppError::internal(anyhow::anyhow!("a placed key without its order")));
        }
        Begun::Replay(Stored::Refused(refusal)) => return Err(refusal.into()),
        Begun::Reused { succeeded_with: Some(order_id) } => {
            idempotency::count_conflict(ErrorCode::OrderAlreadyPlaced);
            return Err(AppError::new(
                ErrorCode::OrderAlreadyPlaced,
                "An order has already been placed for this Idempotency-Key with a different body.",
            )
            .with_member("orderId", order_id.to_string()));
        }
        Begun::Reused { succeeded_with: None } => return Err(idempotency::reused()),
    };
    match create_order(state, caller, &mut tx, &keyed, &command.request, now).await? {
        Ok(order_id) => {
            idempotency::record_point(&mut tx, &claim, RecoveryPoint::OrderCreated, order_id, now).await?;
            tx.commit().await?;
            authorize(state, claim, order_id).await
        }
        Err(refusal) => {
            idempotency::finish_refused(&mut tx, &claim, &refusal, now).await?;
            tx.commit().await?;
            Err(refusal)
        }
    }
}

/// Step 1: every check, then the order. `Ok(Err(_))` is a final refusal to store on the key;
/// `Err(_)` an infrastructure failure that rolls everything back.
async fn create_order(
    state: &AppState,
    caller: &Caller,
    tx: &mut PgConnection,
    keyed: &KeyedRequest,
    request: &PlaceRequest,
    now: DateTime<Utc>,
) -> AppResult<Result<Uuid, AppError>> {
    let Some(token) = request.validated_order_token.as_deref().filter(|t| !t.is_empty()) else {
        return Ok(Err(AppError::new(ErrorCode::TokenInvalid, "validatedOrderToken is required: validate first.")
            .with_errors(vec![Problem::at(
                "TOKEN_INVALID",
                "$.validatedOrderToken",
                "validatedOrderToken is required",
            )])));
    };
    let hash = token_hash(token);
    let unknown = || AppError::new(ErrorCode::TokenInvalid, "The validatedOrderToken is not recognised.");
    let Some(stored) = tokens::lock(tx, &hash).await? else { return Ok(Err(unknown())) };
    let session_user = caller.session.as_ref().map(|s| s.partner_user_id.as_str());
    let other_user = session_user.is_some_and(|user| stored.partner_user_id.as_deref() != Some(user));
    if stored.organization_id != caller.organization_id || other_user {
        return Ok(Err(unknown()));
    }
    if let Some(order_id) = stored.order_id {
        return Ok(Err(AppError::new(
            ErrorCode::OrderAlreadyPlaced,
            "This validatedOrderToken has already been used to place an order.",
        )
        .with_member("orderId", order_id.to_string())));
    }
    if stored.expires_at <= now {
        return Ok(Err(AppError::new(
            ErrorCode::TokenExpired,
            format!("The validatedOrderToken expired at {}; validate the order again.", stored.expires_at.to_rfc3339()),
        )));
    }
    let priced = stored.snapshot.0;

    let mismatches = placement::differences_from_token(request, &priced);
    if !mismatches.is_empty() {
        return Ok(Err(AppError::new(
            ErrorCode::TokenInvalid,
            "The order sent differs from the one the validatedOrderToken was issued for; validate it again.",
        )
        .with_errors(mismatches)));
    }
    let session_customer = caller.session.as_ref().map(|s| Customer {
        first_name: s.first_name.clone(),
        last_name: s.last_name.clone(),
        email: s.email.clone(),
        phone: s.phone.clone(),
    });
    let customer = match placement::customer(request.customer.as_ref(), session_customer.as_ref()) {
        Ok(customer) => customer,
        Err(problems) => {
            return Ok(Err(AppError::invalid_request("The customer is incomplete.").with_errors(problems)));
        }
    };
    let method = match placement::payment_method(request.payment.as_ref()) {
        Ok(method) => method,
        Err(problems) => {
            return Ok(Err(
                AppError::new(ErrorCode::PaymentMethodInvalid, "The payment method is invalid.").with_errors(problems)
            ));
        }
    };
    if matches!(method, PaymentMethod::SavedCard { .. }) && caller.session.is_none() {
        return Ok(Err(AppError::new(
            ErrorCode::SessionUserRequired,
            "savedCard payments need a session JWT for the card's user, not an API key.",
        )));
    }
    // A saved card is charged through its vault reference, kept (sealed) with the order so the
    // authorisation, however often it is resumed, charges the card chosen now.
    let method = match method {
        PaymentMethod::SavedCard { payment_id, .. } => {
            match crate::app::payment_methods::vault_reference(state, &mut *tx, caller, &payment_id).await? {
                Ok(reference) => PaymentMethod::SavedCard { payment_id, vault_reference: Some(reference) },
                Err(refusal) => return Ok(Err(refusal)),
            }
        }
        other => other,
    };
    if let PaymentMethod::CardOnFile { processor_type, .. } = &method
        && !crate::db::interchange::is_enabled(&mut *tx, caller.organization_id, processor_type).await?
    {
        return Ok(Err(AppError::new(
            ErrorCode::Forbidden,
            format!("Card-on-file payments through {processor_type} are not set up for your organisation."),
        )
        .with_errors(vec![Problem::at(
            "PAYMENT_INTERCHANGE_NOT_CONFIGURED",
            "$.payment.cardOnFile.processorType",
            format!("interchange with {processor_type} must be enabled for your organisation before use"),
        )])));
    }
    let Some(shown_total) = request.amounts.as_ref().and_then(|a| a.total) else {
        return Ok(Err(AppError::invalid_request("amounts.total, the total shown to the customer, is required.")
            .with_errors(vec![Problem::at("INVALID_FIELD", "$.amounts.total", "amounts.total is required")])));
    };

    // Re-validate against the store and menu as they are now, not as cached, on this
    // transaction's connection (a second connection per request could starve the pool while
    // same-key requests queue on the key's lock).
    let Some(store) = load_store(&mut *tx, stored.store_id).await? else {
        return Ok(Err(AppError::new(ErrorCode::StoreNotFound, "The store of this order no longer exists.")));
    };
    let Some(menu) = load_menu(&mut *tx, stored.catalog_set_id).await? else {
        return Ok(Err(AppError::new(
            ErrorCode::CatalogsetNotFound,
            "The store's menu has been replaced since validation; validate the order again.",
        )));
    };
    let order = OrderRequest {
        cart: priced.cart.clone(),
        fulfillment_type: priced.fulfillment_type,
        delivery: priced.delivery.clone(),
        customer: None,
        amounts: Some(crate::domain::order::AmountsInput { tip: Some(priced.amounts.tip), total: None }),
        payment: None,
        validated_order_token: None,
    };
    let evaluation = rules::evaluate(&order, &store, &menu, now);
    let amounts = match evaluation.amounts {
        Some(amounts) if evaluation.problems.is_empty() => amounts,
        _ => {
            let code = placement::refusal_code(&evaluation.problems);
            return Ok(Err(AppError::new(code, "The order can no longer be placed as it is; see errors.")
                .with_errors(evaluation.problems)));
        }
    };
    if amounts.total != shown_total {
        let amounts_json = serde_json::to_value(&amounts).map_err(AppError::internal)?;
        return Ok(Err(AppError::new(
            ErrorCode::OrderTotalDifferent,
            format!(
                "The total is now {} {}, not {shown_total}: show the customer the new amounts and place again with them.",
                amounts.total, amounts.currency
            ),
        )
        .with_errors(vec![Problem::at(
            "ORDER_TOTAL_DIFFERENT",
            "$.amounts.total",
            format!("expected {}", amounts.total),
        )])
        .with_member("amounts", amounts_json)));
    }

    let id = Uuid::now_v7();
    let new_order = NewOrder {
        id,
        organization_id: caller.organization_id,
        partner_user_id: stored.partner_user_id.clone(),
        store_id: store.id,
        store_organization_id: store.organization_id,
        catalog_set_id: stored.catalog_set_id,
        token_hash: hash.clone(),
        idempotency_key: keyed.key,
        fulfillment_type: priced.fulfillment_type,
        fulfillment_source: priced.fulfillment_source,
        cart: priced.cart,
        delivery: priced.delivery,
        customer,
        payment_method: secrets_at_rest::seal_method(&state.secrets, &method),
        amounts,
        estimated_ready_at: Some(crate::domain::store::ready_at(&store.details, &store.pause, now)),
        processor: state.payments.name(),
        processor_key: processor_key(id),
    };
    order_db::insert(tx, &new_order, now).await?;
    tokens::consume(tx, &hash, id, now).await?;
    Ok(Ok(id))
}

/// Steps 2 and 3: authorise, then record the outcome if the key is still ours.
async fn authorize(state: &AppState, claim: Claim, order_id: Uuid) -> AppResult<Placed> {
    let order = order_db::get(&state.db, order_id)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("order {order_id} vanished mid-place")))?;
    let request = AuthorizationRequest {
        idempotency_key: order.processor_key.clone(),
        amount: order.total,
        currency: order.currency.clone(),
        method: secrets_at_rest::open_method(&state.secrets, &order.payment_method.0)
            .map_err(|e| AppError::internal(anyhow::anyhow!("order {order_id}'s card token: {e}")))?,
    };
    let outcome = tokio::time::timeout(state.config.payment_timeout, state.payments.authorize(&request)).await;
    let now = state.now();
    match outcome {
        Ok(Ok(Authorization::Approved { reference })) => finish_placed(state, &claim, order, &reference, now).await,
        Ok(Ok(Authorization::Declined { reason })) => {
            metrics::counter!(names::PAYMENTS, "outcome" => "declined").increment(1);
            let refusal = AppError::new(ErrorCode::PaymentDeclined, format!("The payment was declined: {reason}."));
            let mut tx = state.db.begin().await?;
            if !idempotency::finish_refused(&mut tx, &claim, &refusal, now).await? {
                return Err(idempotency::in_use());
            }
            order_db::mark_failed(&mut tx, order_id, PaymentState::Declined, &reason, now).await?;
            tokens::release(&mut tx, order_id).await?;
            tx.commit().await?;
            Err(refusal)
        }
        failed => {
            let cause = match failed {
                Ok(Err(transient)) => transient.to_string(),
                _ => format!("no answer from the processor within {:?}", state.config.payment_timeout),
            };
            metrics::counter!(names::PAYMENTS, "outcome" => "failed").increment(1);
            tracing::warn!(%order_id, cause, "place: payment not authorised; the key is released for a retry");
            let mut tx = state.db.begin().await?;
            idempotency::release(&mut tx, &claim, now).await?;
            tx.commit().await?;
            Err(AppError::new(
                ErrorCode::PaymentFailed,
                "The payment processor could not be reached; retry with the same Idempotency-Key.",
            )
            .with_retry_after(2))
        }
    }
}

async fn finish_placed(
    state: &AppState,
    claim: &Claim,
    order: OrderRow,
    reference: &str,
    now: DateTime<Utc>,
) -> AppResult<Placed> {
    let placed = OrderRow {
        placement: Placement::Placed,
        placed_at: Some(now),
        payment_state: PaymentState::Authorized,
        ..order
    };
    let first = HistoryEntry {
        version: placed.version,
        state: placed.state,
        status: placed.status,
        payment_state: placed.payment_state,
        changed_by: MARKETFRONT.into(),
        changed_at: now,
        note: Some("placed".into()),
    };
    let view = orders::view(&placed, vec![first.clone()]);
    let body = serde_json::to_vec(&view).map_err(AppError::internal)?;
    let mut tx = state.db.begin().await?;
    if !idempotency::finish_succeeded(&mut tx, claim, &body, now).await? {
        // Someone else carries this key now; it will answer with the same authorisation.
        return Err(idempotency::in_use());
    }
    order_db::mark_placed(&mut tx, placed.id, reference, now).await?;
    order_db::insert_history(&mut tx, placed.id, &first).await?;
    for event in placement_events(&placed, &view, now) {
        order_db::insert_event(&mut tx, &event, now).await?;
    }
    tx.commit().await?;
    metrics::counter!(names::PAYMENTS, "outcome" => "approved").increment(1);
    metrics::counter!(names::ORDERS_PLACED).increment(1);
    Ok(Placed { order_id: placed.id, body, replayed: false })
}

/// The partner that placed the order is told it exists; the restaurant gets it to fulfil.
fn placement_events(order: &OrderRow, view: &OrderView, now: DateTime<Utc>) -> Vec<NewEvent> {
    vec![
        orders::event(view, order.organization_id, "order_create", now),
        orders::event(view, order.store_organization_id, "order_new", now),
    ]
}
