//! Reading orders: a partner sees its own placed orders, and a session only its user's.

use crate::app::Listed;
use crate::app::error::{AppError, AppResult};
use crate::auth::Caller;
use crate::db::orders::{self, NewEvent, OrderRow};
use crate::domain::cursor::{ListKind, Position};
use crate::domain::error_code::ErrorCode;
use crate::domain::order::{HistoryEntry, OrderView, PaymentSummary, Placement};
use crate::domain::page::Page;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;
use std::collections::HashMap;
use uuid::Uuid;

pub fn view(row: &OrderRow, history: Vec<HistoryEntry>) -> OrderView {
    OrderView {
        gett_order_id: row.id,
        cart: row.cart.0.clone(),
        fulfillment_type: row.fulfillment_type,
        fulfillment_source: row.fulfillment_source,
        delivery: row.delivery.as_ref().map(|d| d.0.clone()),
        customer: row.customer.0.clone(),
        amounts: row.amounts.0.clone(),
        payment: PaymentSummary {
            method: row.payment_method.0.kind().to_string(),
            state: row.payment_state,
            amount: row.total,
            currency: row.currency.clone(),
        },
        is_valid: true,
        errors: Vec::new(),
        state: row.state,
        status: row.status,
        version: row.version,
        placed_at: row.placed_at.unwrap_or_default(),
        estimated_ready_at: row.estimated_ready_at,
        cancel_reason: row.cancel_reason.clone(),
        history,
    }
}

/// Whether `caller` may see `row`: its own organisation's placed order, and for a session,
/// its own user's.
fn visible_to(row: &OrderRow, caller: &Caller) -> bool {
    row.placement == Placement::Placed
        && row.organization_id == caller.organization_id
        && caller.session.as_ref().is_none_or(|s| row.partner_user_id.as_deref() == Some(s.partner_user_id.as_str()))
}

/// One order, as its partner (or session user) reads it: from the replica where there is one,
/// once it has caught up with everything committed before this read (an order placed a moment
/// ago on any instance included), else from the primary.
pub async fn get(state: &AppState, caller: &Caller, id: Uuid) -> AppResult<OrderView> {
    crate::auth::require_user(caller, "Order history")?;
    let pool = state.reads.causal().await?;
    match orders::get(pool, id).await? {
        Some(row) if visible_to(&row, caller) => Ok(with_history(pool, &[row]).await?.remove(0)),
        _ => Err(AppError::new(ErrorCode::OrderNotFound, format!("No order with id {id}."))),
    }
}

pub async fn list(state: &AppState, caller: &Caller, page: Page) -> AppResult<Listed<OrderView>> {
    crate::auth::require_user(caller, "Order history")?;
    let user = caller.session.as_ref().map(|s| s.partner_user_id.as_str());
    let pool = state.reads.causal().await?;
    let (rows, counted) = orders::list_placed(pool, caller.organization_id, user, &page).await?;
    let listed =
        Listed::keyset(rows, counted, page, ListKind::Orders, |row| Position { at: row.placed_at, id: row.id });
    let views = with_history(pool, &listed.items).await?;
    Ok(listed.with_items(views))
}

/// Views of `rows`, each with its history (one query for all of them), read from `pool`: the
/// server the rows came from, so that both are of one moment.
pub async fn with_history(pool: &PgPool, rows: &[OrderRow]) -> AppResult<Vec<OrderView>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut histories: HashMap<Uuid, Vec<HistoryEntry>> = HashMap::new();
    for (id, entry) in orders::history(pool, &ids).await? {
        histories.entry(id).or_default().push(entry);
    }
    Ok(rows.iter().map(|row| view(row, histories.remove(&row.id).unwrap_or_default())).collect())
}

/// An outbox event about `order` for `organization_id`: ids let receivers de-duplicate, and the
/// order's `version` lets them drop stale events.
pub fn event(order: &OrderView, organization_id: Uuid, event_type: &'static str, now: DateTime<Utc>) -> NewEvent {
    let id = Uuid::now_v7();
    NewEvent {
        id,
        organization_id,
        event_type,
        order_id: order.gett_order_id,
        payload: json!({
            "eventId": id, "eventType": event_type, "occurredAt": now,
            "orderId": order.gett_order_id, "version": order.version, "state": order.state, "status": order.status,
            "payment": order.payment, "order": order,
        }),
    }
}
