//! Orders, their payment authorisations and the events they emit.

use crate::domain::address::FulfillmentSource;
use crate::domain::lifecycle::{State, Status};
use crate::domain::order::{
    Amounts, Cart, Customer, Delivery, FulfillmentType, HistoryEntry, PaymentMethod, PaymentState, Placement,
};
use crate::domain::page::{COUNT_UP_TO, Page};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// An order about to ask for payment.
pub struct NewOrder {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub partner_user_id: Option<String>,
    pub store_id: Uuid,
    pub store_organization_id: Uuid,
    pub catalog_set_id: Uuid,
    pub token_hash: Vec<u8>,
    pub idempotency_key: Uuid,
    pub fulfillment_type: FulfillmentType,
    pub fulfillment_source: FulfillmentSource,
    pub cart: Cart,
    pub delivery: Option<Delivery>,
    pub customer: Customer,
    pub payment_method: PaymentMethod,
    pub amounts: Amounts,
    pub estimated_ready_at: Option<DateTime<Utc>>,
    pub processor: &'static str,
    pub processor_key: String,
}

#[derive(Debug, Clone)]
pub struct OrderRow {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub partner_user_id: Option<String>,
    pub store_id: Uuid,
    pub store_organization_id: Uuid,
    pub placement: Placement,
    pub state: State,
    pub status: Status,
    pub fulfillment_type: FulfillmentType,
    pub fulfillment_source: FulfillmentSource,
    pub cart: Json<Cart>,
    pub delivery: Option<Json<Delivery>>,
    pub customer: Json<Customer>,
    pub payment_method: Json<PaymentMethod>,
    pub amounts: Json<Amounts>,
    pub total: Decimal,
    pub currency: String,
    pub estimated_ready_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub placed_at: Option<DateTime<Utc>>,
    pub payment_state: PaymentState,
    pub processor_key: String,
    pub cancel_reason: Option<String>,
}

// The three reads of an order (get, lock_placed, list_placed) repeat one column list: a checked
// query must be one string literal.

/// Inserts the order and its pending authorisation. A second live order for the same token
/// breaks `orders_one_per_token`.
pub async fn insert(conn: &mut PgConnection, order: &NewOrder, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO orders (id, organization_id, partner_user_id, store_id, store_organization_id, catalog_set_id,
                             token_hash, idempotency_key, placement, fulfillment_type, cart, delivery, customer,
                             payment_method, amounts, total, currency, estimated_ready_at, created_at, updated_at,
                             fulfillment_source)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'awaiting_payment', $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, $19)",
        order.id,
        order.organization_id,
        order.partner_user_id,
        order.store_id,
        order.store_organization_id,
        order.catalog_set_id,
        order.token_hash,
        order.idempotency_key,
        order.fulfillment_type as FulfillmentType,
        Json(&order.cart) as _,
        order.delivery.as_ref().map(Json) as _,
        Json(&order.customer) as _,
        Json(&order.payment_method) as _,
        Json(&order.amounts) as _,
        order.amounts.total,
        order.amounts.currency,
        order.estimated_ready_at,
        now,
        order.fulfillment_source as FulfillmentSource,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO payment_authorizations (order_id, processor, processor_key, amount, currency, state,
                                             created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6)",
        order.id,
        order.processor,
        order.processor_key,
        order.amounts.total,
        order.amounts.currency,
        now,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn get(db: impl sqlx::PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<OrderRow>> {
    sqlx::query_as!(
        OrderRow,
        r#"SELECT o.id, o.organization_id, o.partner_user_id, o.store_id, o.store_organization_id,
                  o.placement AS "placement: Placement", o.state AS "state: State", o.status AS "status: Status",
                  o.fulfillment_type AS "fulfillment_type: FulfillmentType", o.cart AS "cart: Json<Cart>",
                  o.fulfillment_source AS "fulfillment_source: FulfillmentSource",
                  o.delivery AS "delivery: Json<Delivery>", o.customer AS "customer: Json<Customer>",
                  o.payment_method AS "payment_method: Json<PaymentMethod>", o.amounts AS "amounts: Json<Amounts>",
                  o.total, o.currency, o.estimated_ready_at, o.version, o.placed_at,
                  p.state AS "payment_state: PaymentState", p.processor_key, o.cancel_reason
           FROM orders o JOIN payment_authorizations p ON p.order_id = o.id WHERE o.id = $1"#,
        id,
    )
    .fetch_optional(db)
    .await
}

/// The payment was authorised: the order is placed and visible.
pub async fn mark_placed(
    conn: &mut PgConnection,
    id: Uuid,
    processor_reference: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!("UPDATE orders SET placement = 'placed', placed_at = $2, updated_at = $2 WHERE id = $1", id, now)
        .execute(&mut *conn)
        .await?;
    sqlx::query!(
        "UPDATE payment_authorizations SET state = 'authorized', processor_reference = $2, updated_at = $3
         WHERE order_id = $1",
        id,
        processor_reference,
        now,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The order will not be placed: its payment was declined, or it was abandoned and its
/// authorisation voided.
pub async fn mark_failed(
    conn: &mut PgConnection,
    id: Uuid,
    payment_state: PaymentState,
    failure: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!("UPDATE orders SET placement = 'failed', updated_at = $2 WHERE id = $1", id, now)
        .execute(&mut *conn)
        .await?;
    sqlx::query!(
        "UPDATE payment_authorizations SET state = $2, failure = $3, updated_at = $4 WHERE order_id = $1",
        id,
        payment_state as PaymentState,
        failure,
        now,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub struct NewEvent {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub event_type: &'static str,
    pub order_id: Uuid,
    pub payload: Value,
}

/// Writes an event and, in the same statement, one delivery for each of the organisation's
/// endpoints that subscribe to its type: an event is never written without them. (A disabled
/// endpoint's deliveries wait until it is enabled again.)
pub async fn insert_event(conn: &mut PgConnection, event: &NewEvent, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query!(
        "WITH event AS (
             INSERT INTO outbox_events (id, organization_id, event_type, order_id, payload, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id)
         INSERT INTO webhook_deliveries (id, event_id, endpoint_id, organization_id, state, next_attempt_at, created_at)
         SELECT gen_random_uuid(), event.id, e.id, e.organization_id, 'pending', $6, $6
         FROM event, webhook_endpoints e
         WHERE e.organization_id = $2 AND $3 = ANY(e.event_types)",
        event.id,
        event.organization_id,
        event.event_type,
        event.order_id,
        Json(&event.payload) as _,
        now,
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// A page of a partner's placed orders, newest first (for a session, only its user's): up to
/// `page.fetch()` rows after the page's cursor, or from its offset. With its count, capped.
///
/// The organisation-wide and the per-user lists are separate statements so that each keeps its
/// own index in a cached generic plan.
pub async fn list_placed(
    pool: &PgPool,
    organization_id: Uuid,
    partner_user_id: Option<&str>,
    page: &Page,
) -> sqlx::Result<(Vec<OrderRow>, i64)> {
    let (at, id) = page.newest_first_below();
    let (rows, total) = match partner_user_id {
        None => {
            let rows = sqlx::query_as!(
                OrderRow,
                r#"SELECT o.id, o.organization_id, o.partner_user_id, o.store_id, o.store_organization_id,
                  o.placement AS "placement: Placement", o.state AS "state: State", o.status AS "status: Status",
                  o.fulfillment_type AS "fulfillment_type: FulfillmentType", o.cart AS "cart: Json<Cart>",
                  o.fulfillment_source AS "fulfillment_source: FulfillmentSource",
                  o.delivery AS "delivery: Json<Delivery>", o.customer AS "customer: Json<Customer>",
                  o.payment_method AS "payment_method: Json<PaymentMethod>", o.amounts AS "amounts: Json<Amounts>",
                  o.total, o.currency, o.estimated_ready_at, o.version, o.placed_at,
                  p.state AS "payment_state: PaymentState", p.processor_key, o.cancel_reason
           FROM orders o JOIN payment_authorizations p ON p.order_id = o.id
           WHERE o.organization_id = $1 AND o.placement = 'placed' AND (o.placed_at, o.id) < ($2, $3)
           ORDER BY o.placed_at DESC, o.id DESC LIMIT $4 OFFSET $5"#,
                organization_id,
                at,
                id,
                page.fetch(),
                page.offset,
            )
            .fetch_all(pool)
            .await?;
            let total = sqlx::query_scalar!(
                r#"SELECT count(*) AS "count!" FROM (SELECT 1 FROM orders
                   WHERE organization_id = $1 AND placement = 'placed' LIMIT $2) counted"#,
                organization_id,
                COUNT_UP_TO,
            )
            .fetch_one(pool)
            .await?;
            (rows, total)
        }
        Some(user) => {
            let rows = sqlx::query_as!(
                OrderRow,
                r#"SELECT o.id, o.organization_id, o.partner_user_id, o.store_id, o.store_organization_id,
                  o.placement AS "placement: Placement", o.state AS "state: State", o.status AS "status: Status",
                  o.fulfillment_type AS "fulfillment_type: FulfillmentType", o.cart AS "cart: Json<Cart>",
                  o.fulfillment_source AS "fulfillment_source: FulfillmentSource",
                  o.delivery AS "delivery: Json<Delivery>", o.customer AS "customer: Json<Customer>",
                  o.payment_method AS "payment_method: Json<PaymentMethod>", o.amounts AS "amounts: Json<Amounts>",
                  o.total, o.currency, o.estimated_ready_at, o.version, o.placed_at,
                  p.state AS "payment_state: PaymentState", p.processor_key, o.cancel_reason
           FROM orders o JOIN payment_authorizations p ON p.order_id = o.id
           WHERE o.organization_id = $1 AND o.partner_user_id = $2 AND o.placement = 'placed'
             AND (o.placed_at, o.id) < ($3, $4)
           ORDER BY o.placed_at DESC, o.id DESC LIMIT $5 OFFSET $6"#,
                organization_id,
                user,
                at,
                id,
                page.fetch(),
                page.offset,
            )
            .fetch_all(pool)
            .await?;
            let total = sqlx::query_scalar!(
                r#"SELECT count(*) AS "count!" FROM (SELECT 1 FROM orders
                   WHERE organization_id = $1 AND partner_user_id = $2 AND placement = 'placed' LIMIT $3) counted"#,
                organization_id,
                user,
                COUNT_UP_TO,
            )
            .fetch_one(pool)
            .await?;
            (rows, total)
        }
    };
    Ok((rows, total))
}

/// Reads a placed order and locks it for the rest of the transaction, so that changes to one
/// order are applied one after another.
pub async fn lock_placed(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<OrderRow>> {
    sqlx::query_as!(
        OrderRow,
        r#"SELECT o.id, o.organization_id, o.partner_user_id, o.store_id, o.store_organization_id,
                  o.placement AS "placement: Placement", o.state AS "state: State", o.status AS "status: Status",
                  o.fulfillment_type AS "fulfillment_type: FulfillmentType", o.cart AS "cart: Json<Cart>",
                  o.fulfillment_source AS "fulfillment_source: FulfillmentSource",
                  o.delivery AS "delivery: Json<Delivery>", o.customer AS "customer: Json<Customer>",
                  o.payment_method AS "payment_method: Json<PaymentMethod>", o.amounts AS "amounts: Json<Amounts>",
                  o.total, o.currency, o.estimated_ready_at, o.version, o.placed_at,
                  p.state AS "payment_state: PaymentState", p.processor_key, o.cancel_reason
           FROM orders o JOIN payment_authorizations p ON p.order_id = o.id
           WHERE o.id = $1 AND o.placement = 'placed' FOR UPDATE OF o"#,
        id,
    )
    .fetch_optional(conn)
    .await
}

/// A new version of an order's state, status and estimate.
pub struct Change<'a> {
    pub id: Uuid,
    pub version: i64,
    pub state: State,
    pub status: Status,
    pub estimated_ready_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<&'a str>,
}

pub async fn apply_change(conn: &mut PgConnection, change: &Change<'_>, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE orders SET state = $3, status = $4, estimated_ready_at = $5,
             cancel_reason = coalesce($6, cancel_reason), version = $2, updated_at = $7,
             closed_at = CASE WHEN $3 <> 'open' THEN coalesce(closed_at, $7) END
         WHERE id = $1",
        change.id,
        change.version,
        change.state as State,
        change.status as Status,
        change.estimated_ready_at,
        change.cancel_reason,
        now,
    )
    .execute(conn)
    .await
    .map(|_| ())
}

pub async fn insert_history(conn: &mut PgConnection, order_id: Uuid, entry: &HistoryEntry) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO order_history (order_id, version, state, status, payment_state, changed_by, changed_at, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        order_id,
        entry.version,
        entry.state as State,
        entry.status as Status,
        entry.payment_state as PaymentState,
        entry.changed_by,
        entry.changed_at,
        entry.note,
    )
    .execute(conn)
    .await
    .map(|_| ())
}

struct HistoryRow {
    order_id: Uuid,
    version: i64,
    state: State,
    status: Status,
    payment_state: PaymentState,
    changed_by: String,
    changed_at: DateTime<Utc>,
    note: Option<String>,
}

/// The history of each of `ids`, oldest version first.
pub async fn history<'e>(executor: impl sqlx::PgExecutor<'e>, ids: &[Uuid]) -> sqlx::Result<Vec<(Uuid, HistoryEntry)>> {
    let rows = sqlx::query_as!(
        HistoryRow,
        r#"SELECT order_id, version, state AS "state: State", status AS "status: Status",
                  payment_state AS "payment_state: PaymentState", changed_by, changed_at, note
           FROM order_history WHERE order_id = ANY($1) ORDER BY order_id, version"#,
        ids,
    )
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let entry = HistoryEntry {
                version: r.version,
                state: r.state,
                status: r.status,
                payment_state: r.payment_state,
                changed_by: r.changed_by,
                changed_at: r.changed_at,
                note: r.note,
            };
            (r.order_id, entry)
        })
        .collect())
}

/// Moves the payment from `from` to `to`; `false` when it was not in `from` (someone else
/// settled it first).
pub async fn settle_payment(
    conn: &mut PgConnection,
    order_id: Uuid,
    from: PaymentState,
    to: PaymentState,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE payment_authorizations SET state = $3, updated_at = $4 WHERE order_id = $1 AND state = $2",
        order_id,
        from as PaymentState,
        to as PaymentState,
        now,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Closed orders whose money has not followed yet.
pub async fn unsettled(db: impl sqlx::PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "SELECT id FROM orders WHERE state <> 'open' AND settled_at IS NULL ORDER BY closed_at LIMIT $1",
        limit,
    )
    .fetch_all(db)
    .await
}

/// Takes a closed order off the keeper's work list.
pub async fn mark_settled<'e>(executor: impl sqlx::PgExecutor<'e>, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query!("UPDATE orders SET settled_at = $2 WHERE id = $1 AND settled_at IS NULL", id, now)
        .execute(executor)
        .await
        .map(|_| ())
}

/// Placed orders still pending that were placed before `before`.
pub async fn unconfirmed_since(
    db: impl sqlx::PgExecutor<'_>,
    before: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "SELECT id FROM orders WHERE placement = 'placed' AND state = 'open' AND status = 'pending' AND placed_at < $1
         ORDER BY placed_at LIMIT $2",
        before,
        limit,
    )
    .fetch_all(db)
    .await
}

/// Orders whose card token is still in clear (placed before tokens were sealed at rest).
pub async fn unsealed_card_tokens(
    db: impl sqlx::PgExecutor<'_>,
    limit: i64,
) -> sqlx::Result<Vec<(Uuid, Json<PaymentMethod>)>> {
    let rows = sqlx::query!(
        r#"SELECT id, payment_method AS "payment_method: Json<PaymentMethod>" FROM orders
           WHERE payment_method->>'type' = 'cardOnFile' AND payment_method->>'cardToken' NOT LIKE 'mfenc1:%'
           ORDER BY id LIMIT $1"#,
        limit,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|row| (row.id, row.payment_method)).collect())
}

pub async fn reseal_payment_method(
    db: impl sqlx::PgExecutor<'_>,
    id: Uuid,
    method: &PaymentMethod,
) -> sqlx::Result<()> {
    sqlx::query!("UPDATE orders SET payment_method = $2 WHERE id = $1", id, Json(method) as _)
        .execute(db)
        .await
        .map(|_| ())
}
