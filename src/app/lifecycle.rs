//! After placement: the restaurant moves the order forward, the partner may cancel it before the
//! kitchen starts, the server cancels it when the restaurant never confirms, and the money
//! follows the outcome.
//!
//! Each change locks the order row, bumps `version`, appends to the history and writes the
//! partner's `order_update` event in one transaction, so concurrent updates apply one after
//! another and no change goes untold. The processor is called after that commit (capture on
//! completion, void or refund on cancellation), and the payment's new state is a change of its
//! own (a new version and event). A crash in between leaves a closed order with unsettled
//! money, which the order keeper settles on its next pass.

use crate::app::error::{AppError, AppResult};
use crate::app::orders;
use crate::app::place::MARKETFRONT;
use crate::auth::Caller;
use crate::db::orders::{self as order_db, Change, OrderRow};
use crate::domain::error_code::ErrorCode;
use crate::domain::lifecycle::{self, Progress, Refusal, State, Status, Update};
use crate::domain::order::{FulfillmentType, HistoryEntry, OrderView, PaymentState};
use crate::domain::problem::Problem;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sqlx::PgConnection;
use uuid::Uuid;

/// `POST /v1/commerce/orders/{orderId}/status` as sent (seed 003).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusUpdate {
    #[serde(default)]
    pub state: Option<State>,
    #[serde(default)]
    pub status: Option<Status>,
    #[serde(default)]
    pub estimated_ready_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub cancel_reason: Option<String>,
}

/// Who is changing the order.
#[derive(Debug, Clone, Copy)]
pub enum Actor {
    /// The commerce partner that owns the order's store.
    Restaurant(Uuid),
    /// The server itself (the acknowledgement timeout).
    Server,
    /// The distribution partner that placed the order, for its customer.
    Partner(Uuid),
}

impl Actor {
    fn name(self) -> String {
        match self {
            Actor::Restaurant(organization) | Actor::Partner(organization) => organization.to_string(),
            Actor::Server => MARKETFRONT.to_string(),
        }
    }
}

fn progress(row: &OrderRow) -> Progress {
    Progress {
        state: row.state,
        status: row.status,
        delivery: row.fulfillment_type == FulfillmentType::DeliveryByMerchant,
    }
}

fn refused(refusal: Refusal, current: Progress) -> AppError {
    let (state, status) = (current.state.as_str(), current.status.as_str());
    let error = match refusal {
        Refusal::Closed(closed) => AppError::new(
            ErrorCode::OrderClosed,
            format!("The order is {}; a closed order does not change.", closed.as_str()),
        ),
        Refusal::Transition(why) => AppError::new(
            ErrorCode::InvalidStatusTransition,
            format!("Not allowed from state {state}, status {status}: {why}."),
        ),
        // What the schema states is a malformed request; what only its words say, a 422.
        Refusal::Input { path, message, schema_states } => {
            let code = if schema_states { ErrorCode::InvalidRequest } else { ErrorCode::ValidationFailed };
            return AppError::new(code, message.clone()).with_errors(vec![Problem::at("INVALID_FIELD", path, message)]);
        }
    };
    error.with_member("currentState", state).with_member("currentStatus", status)
}

pub async fn update_status(
    state: &AppState,
    actor: Actor,
    order_id: Uuid,
    update: StatusUpdate,
) -> AppResult<OrderView> {
    let now = state.now();
    let missing = || AppError::new(ErrorCode::OrderNotFound, format!("No order with id {order_id}."));
    let mut tx = state.db.begin().await?;
    let Some(row) = order_db::lock_placed(&mut tx, order_id).await? else { return Err(missing()) };
    if let Actor::Restaurant(organization) = actor
        && row.store_organization_id != organization
    {
        return Err(missing());
    }
    let current = progress(&row);
    // The server cancels only orders still waiting for the restaurant: it picked this one with
    // a plain read, and a confirmation may have landed before this lock was taken.
    if matches!(actor, Actor::Server) && current.status != Status::Pending {
        tx.rollback().await?;
        return view_of(state, order_id).await;
    }
    if let Some(at) = update.estimated_ready_at {
        lifecycle::check_estimated_ready_at(at, now).map_err(|refusal| refused(refusal, current))?;
    }
    let asked = Update { state: update.state, status: update.status, cancel_reason: update.cancel_reason.clone() };
    let next = lifecycle::apply(current, &asked).map_err(|refusal| refused(refusal, current))?;
    let estimate = if next.state == State::Open {
        update.estimated_ready_at.or(row.estimated_ready_at)
    } else {
        row.estimated_ready_at
    };
    if next == current && estimate == row.estimated_ready_at {
        tx.rollback().await?;
        return view_of(state, order_id).await;
    }
    let reason = (next.state == State::Cancelled).then(|| update.cancel_reason.as_deref().map(str::trim)).flatten();
    let change = Change {
        id: order_id,
        version: row.version + 1,
        state: next.state,
        status: next.status,
        estimated_ready_at: estimate,
        cancel_reason: reason,
    };
    let view = record(&mut tx, &row, &change, row.payment_state, actor, reason.map(String::from), now).await?;
    if matches!(actor, Actor::Server) {
        // The restaurant did not cancel this itself: tell it.
        let event = orders::event(&view, row.store_organization_id, "order_cancelled", now);
        order_db::insert_event(&mut tx, &event, now).await?;
    }
    tx.commit().await?;
    if next.state == State::Open {
        return Ok(view);
    }
    settle_or_leave_to_the_keeper(state, order_id).await;
    // The answer shows the payment as settling left it.
    view_of(state, order_id).await
}

/// The partner cancels an order it placed, while the restaurant has not started on it: the
/// authorisation is voided, the history says who and why, and the restaurant is told
/// (`order_cancelled`). The order's row lock orders a cancel and a racing restaurant update:
/// the second sees what the first did. Cancelling a cancelled order again answers it as it is.
pub async fn cancel_by_partner(
    state: &AppState,
    caller: &Caller,
    order_id: Uuid,
    reason: Option<String>,
) -> AppResult<OrderView> {
    let now = state.now();
    let missing = || AppError::new(ErrorCode::OrderNotFound, format!("No order with id {order_id}."));
    let mut tx = state.db.begin().await?;
    let Some(row) = order_db::lock_placed(&mut tx, order_id).await? else { return Err(missing()) };
    let user = caller.session.as_ref().map(|s| s.partner_user_id.as_str());
    if row.organization_id != caller.organization_id || user.is_some_and(|u| row.partner_user_id.as_deref() != Some(u))
    {
        return Err(missing());
    }
    let current = progress(&row);
    if current.state == State::Cancelled {
        tx.rollback().await?;
        return view_of(state, order_id).await;
    }
    lifecycle::partner_may_cancel(current).map_err(|refusal| refused(refusal, current))?;
    let reason = reason.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
    let reason = reason.unwrap_or_else(|| "Cancelled by the customer.".to_string());
    let asked = Update { state: Some(State::Cancelled), status: None, cancel_reason: Some(reason.clone()) };
    let next = lifecycle::apply(current, &asked).map_err(|refusal| refused(refusal, current))?;
    let change = Change {
        id: order_id,
        version: row.version + 1,
        state: next.state,
        status: next.status,
        estimated_ready_at: row.estimated_ready_at,
        cancel_reason: Some(&reason),
    };
    let actor = Actor::Partner(caller.organization_id);
    let view = record(&mut tx, &row, &change, row.payment_state, actor, Some(reason.clone()), now).await?;
    let event = orders::event(&view, row.store_organization_id, "order_cancelled", now);
    order_db::insert_event(&mut tx, &event, now).await?;
    tx.commit().await?;
    settle_or_leave_to_the_keeper(state, order_id).await;
    view_of(state, order_id).await
}

/// Writes a new version: the order row, its history entry and the partner's event. Returns the
/// order as it now stands, built from the locked `row` rather than read back.
async fn record(
    tx: &mut PgConnection,
    row: &OrderRow,
    change: &Change<'_>,
    payment_state: PaymentState,
    actor: Actor,
    note: Option<String>,
    now: DateTime<Utc>,
) -> AppResult<OrderView> {
    order_db::apply_change(tx, change, now).await?;
    let entry = HistoryEntry {
        version: change.version,
        state: change.state,
        status: change.status,
        payment_state,
        changed_by: actor.name(),
        changed_at: now,
        note,
    };
    order_db::insert_history(tx, row.id, &entry).await?;
    let history = order_db::history(&mut *tx, &[row.id]).await?.into_iter().map(|(_, entry)| entry).collect();
    let changed = OrderRow {
        state: entry.state,
        status: entry.status,
        payment_state: entry.payment_state,
        version: change.version,
        estimated_ready_at: change.estimated_ready_at,
        cancel_reason: change.cancel_reason.map(String::from).or_else(|| row.cancel_reason.clone()),
        ..row.clone()
    };
    let view = orders::view(&changed, history);
    order_db::insert_event(tx, &orders::event(&view, row.organization_id, "order_update", now), now).await?;
    Ok(view)
}

async fn view_of(state: &AppState, order_id: Uuid) -> AppResult<OrderView> {
    let row = order_db::get(&state.db, order_id)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("order {order_id} vanished")))?;
    Ok(orders::with_history(&state.db, &[row]).await?.remove(0))
}

/// Settles a just-closed order's payment at once; a failure is left to the order keeper, which
/// finds every closed order with unsettled money.
async fn settle_or_leave_to_the_keeper(state: &AppState, order_id: Uuid) {
    if let Err(error) = settle(state, order_id).await {
        tracing::warn!(%order_id, error = format!("{error:#}"), "settling the payment failed; the order keeper will retry");
    }
}

/// Makes the money follow a closed order: capture a completed order's authorisation, void a
/// cancelled one's, refund a cancelled one that was already captured. Safe to repeat and to
/// run from several places at once: the processor calls are idempotent and only the first
/// recording of the new payment state counts.
pub async fn settle(state: &AppState, order_id: Uuid) -> AppResult<()> {
    let Some(row) = order_db::get(&state.db, order_id).await? else { return Ok(()) };
    let key = row.processor_key.as_str();
    let (from, to) = match (row.state, row.payment_state) {
        (State::Completed, PaymentState::Authorized) => {
            state.payments.capture(key).await.map_err(AppError::internal)?;
            (PaymentState::Authorized, PaymentState::Captured)
        }
        (State::Cancelled, PaymentState::Authorized) => {
            state.payments.void(key).await.map_err(AppError::internal)?;
            (PaymentState::Authorized, PaymentState::Voided)
        }
        (State::Cancelled, PaymentState::Captured) => {
            state.payments.refund(key).await.map_err(AppError::internal)?;
            (PaymentState::Captured, PaymentState::Refunded)
        }
        // Open, or already settled: nothing for the money to do.
        _ => {
            if row.state != State::Open {
                order_db::mark_settled(&state.db, order_id, state.now()).await?;
            }
            return Ok(());
        }
    };
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let Some(current) = order_db::lock_placed(&mut tx, order_id).await? else { return Ok(()) };
    if !order_db::settle_payment(&mut tx, order_id, from, to, now).await? {
        return Ok(());
    }
    let change = Change {
        id: order_id,
        version: current.version + 1,
        state: current.state,
        status: current.status,
        estimated_ready_at: current.estimated_ready_at,
        cancel_reason: None,
    };
    record(&mut tx, &current, &change, to, Actor::Server, Some(format!("payment {}", to.as_str())), now).await?;
    order_db::mark_settled(&mut *tx, order_id, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Orders the keeper takes per query, and works on at once.
pub const KEEPER_BATCH: i64 = 50;
const KEEPER_CONCURRENCY: usize = 8;

/// The order keeper's pass: cancels orders the restaurant has not confirmed within the
/// acknowledgement time, and settles closed orders whose money has not followed yet. A backlog
/// is worked a batch of each kind in turn (each found through its partial index), so neither
/// kind waits behind the other's backlog for more than a batch, until both come back short or
/// a batch gets nothing done (its orders fail, and are tried again at the next pass).
pub async fn keep_orders(state: &AppState) -> AppResult<()> {
    let ack = chrono::Duration::from_std(state.config.ack_timeout).map_err(AppError::internal)?;
    loop {
        let now = state.now();
        let unconfirmed = order_db::unconfirmed_since(&state.db, now - ack, KEEPER_BATCH).await?;
        let cancelled = each_at_once(&unconfirmed, |order_id| cancel_unconfirmed(state, order_id)).await;
        let unsettled = order_db::unsettled(&state.db, KEEPER_BATCH).await?;
        let settled = each_at_once(&unsettled, |order_id| async move {
            settle(state, order_id)
                .await
                .map_err(|error| tracing::warn!(%order_id, %error, "could not settle an order"))
        })
        .await;
        let full = unconfirmed.len() as i64 == KEEPER_BATCH || unsettled.len() as i64 == KEEPER_BATCH;
        if !full || cancelled + settled == 0 {
            return Ok(());
        }
    }
}

/// Runs `work` for every id, a few at once; how many succeeded.
async fn each_at_once<F, Fut>(ids: &[Uuid], work: F) -> usize
where
    F: Fn(Uuid) -> Fut,
    Fut: Future<Output = Result<(), ()>>,
{
    use futures_util::StreamExt;
    futures_util::stream::iter(ids.iter().copied().map(work))
        .buffer_unordered(KEEPER_CONCURRENCY)
        .filter(|outcome| std::future::ready(outcome.is_ok()))
        .count()
        .await
}

async fn cancel_unconfirmed(state: &AppState, order_id: Uuid) -> Result<(), ()> {
    let cancel = StatusUpdate {
        state: Some(State::Cancelled),
        cancel_reason: Some(format!(
            "The restaurant did not confirm the order within {} minutes.",
            state.config.ack_timeout.as_secs() / 60
        )),
        ..StatusUpdate::default()
    };
    match update_status(state, Actor::Server, order_id, cancel).await {
        Ok(order) if order.state == State::Cancelled => {
            tracing::warn!(%order_id, "order cancelled: not confirmed by the restaurant in time");
            Ok(())
        }
        // Confirmed (or closed) meanwhile: update_status left it alone.
        Ok(_) => Ok(()),
        Err(error) => {
            tracing::warn!(%order_id, %error, "could not cancel an unconfirmed order");
            Err(())
        }
    }
}
