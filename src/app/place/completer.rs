//! The place completer: rolls back place requests that were abandoned mid-way, so no order is
//! left half-made and no authorisation left hanging.

use super::key_terms;
use crate::app::error::{AppError, AppResult};
use crate::app::idempotency;
use crate::db::orders as order_db;
use crate::db::tokens;
use crate::domain::order::PaymentState;
use crate::state::AppState;

/// The completer's pass: rolls back place requests abandoned mid-way (their lease ran out, or
/// they were released after a processor failure and nobody retried): the authorisation is
/// voided (sticky, so a late one cannot succeed), the order fails, and token and key are freed
/// so a retry with the same key starts afresh. Returns how many were rolled back.
pub async fn complete_abandoned(state: &AppState) -> AppResult<usize> {
    let now = state.now();
    let abandoned = idempotency::claim_abandoned(&state.db, key_terms(state), now, 20).await?;
    let count = abandoned.len();
    for (claim, order_id) in abandoned {
        if let Some(order_id) = order_id {
            let order = order_db::get(&state.db, order_id).await?;
            if let Some(order) = order {
                state.payments.void(&order.processor_key).await.map_err(AppError::internal)?;
            }
        }
        let mut tx = state.db.begin().await?;
        if let Some(order_id) = order_id {
            order_db::mark_failed(&mut tx, order_id, PaymentState::Voided, "abandoned mid-place; rolled back", now)
                .await?;
            tokens::release(&mut tx, order_id).await?;
        }
        idempotency::forget(&mut tx, &claim).await?;
        tx.commit().await?;
        tracing::warn!(key = %claim.key, ?order_id, "place: abandoned request rolled back");
    }
    Ok(count)
}
