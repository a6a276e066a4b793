//! The place completer: rolls back place requests that were abandoned mid-way, so no order is
//! left half-made and no authorisation left hanging.

use super::key_terms;
use crate::app::error::{AppError, AppResult};
use crate::app::idempotency::{self, Claim};
use crate::app::queue::{Lease, Queue};
use crate::db::orders as order_db;
use crate::db::tokens;
use crate::domain::order::PaymentState;
use crate::state::AppState;
use uuid::Uuid;

/// Place requests abandoned mid-way, as a queue: their lease ran out, or they were released
/// after a processor failure and nobody retried. A rollback that fails (the processor is
/// away) is not settled on a schedule: its key stays claimed until the lease runs out, and is
/// claimed again then, for as long as it takes; an authorisation must never be left hanging.
pub struct AbandonedPlaces;

/// One abandoned request: its key, and the order it had made, if it got that far.
pub struct Abandoned {
    claim: Claim,
    order_id: Option<Uuid>,
}

impl Queue for AbandonedPlaces {
    type Job = Abandoned;
    const NAME: &'static str = "abandoned places";

    fn concurrency(&self, _state: &AppState) -> usize {
        8
    }

    fn lease(&self, state: &AppState) -> chrono::Duration {
        key_terms(state).lease
    }

    fn poll_interval(&self, state: &AppState) -> std::time::Duration {
        state.config.completer_interval
    }

    async fn claim(&self, state: &AppState, lease: Lease, room: usize) -> AppResult<Vec<Abandoned>> {
        let abandoned = idempotency::claim_abandoned(&state.db, key_terms(state), lease, room as i64).await?;
        Ok(abandoned.into_iter().map(|(claim, order_id)| Abandoned { claim, order_id }).collect())
    }

    /// Voids the authorisation (sticky, so a late one cannot succeed), fails the order, and
    /// frees token and key, so a retry with the same key starts afresh.
    async fn run(&self, state: &AppState, job: Abandoned) -> AppResult<()> {
        let Abandoned { claim, order_id } = job;
        if let Some(order) = match order_id {
            Some(order_id) => order_db::get(&state.db, order_id).await?,
            None => None,
        } {
            state.payments.void(&order.processor_key).await.map_err(AppError::internal)?;
        }
        let mut tx = state.db.begin().await?;
        if let Some(order_id) = order_id {
            let why = "abandoned mid-place; rolled back";
            order_db::mark_failed(&mut tx, order_id, PaymentState::Voided, why, state.now()).await?;
            tokens::release(&mut tx, order_id).await?;
        }
        idempotency::forget(&mut tx, &claim).await?;
        tx.commit().await?;
        tracing::warn!(key = %claim.key, ?order_id, "place: abandoned request rolled back");
        Ok(())
    }
}
