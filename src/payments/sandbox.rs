//! The built-in sandbox processor, with the magic card tokens DESIGN.md pins:
//! `tok_chargeDeclined` is declined, `tok_processorError` fails transiently, `tok_slow_<ms>`
//! approves after that many milliseconds (at most a minute); anything else is approved.
//!
//! Its vault keeps no card: a saved card's reference says only how the sandbox will answer for
//! it, chosen by the networks' published test numbers (`4000000000000002` is declined,
//! `4000000000000119` fails transiently, any other valid number is approved).
//!
//! Its ledger is a table of its own (`db::sandbox_ledger`), standing in for a real processor's
//! database: it outlives our process, so idempotency holds across our crashes. A void is
//! sticky: a key voided before its authorisation arrived is never approved afterwards.

use super::{Authorization, AuthorizationRequest, PaymentGateway, Transient};
use crate::db::sandbox_ledger;
use crate::domain::card::CheckedCard;
use crate::domain::order::PaymentMethod;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use sqlx::PgPool;
use std::time::Duration;

pub const DECLINED: &str = "tok_chargeDeclined";
pub const PROCESSOR_ERROR: &str = "tok_processorError";
pub const SLOW_PREFIX: &str = "tok_slow_";
/// The test card numbers whose saved cards are declined, or fail transiently, when charged.
pub const DECLINED_CARD: &str = "4000000000000002";
pub const PROCESSOR_ERROR_CARD: &str = "4000000000000119";

pub struct SandboxProcessor {
    ledger: PgPool,
}

impl SandboxProcessor {
    pub fn new(ledger: PgPool) -> Self {
        SandboxProcessor { ledger }
    }

    async fn authorize_now(&self, request: &AuthorizationRequest) -> Result<Authorization, Transient> {
        // A saved card's vault reference answers as the magic token it stands for.
        let card = match &request.method {
            PaymentMethod::CardOnFile { card_token, .. } => card_token.as_str(),
            PaymentMethod::SavedCard { vault_reference: Some(reference), .. }
                if reference.starts_with("vault_declined_") =>
            {
                DECLINED
            }
            PaymentMethod::SavedCard { vault_reference: Some(reference), .. }
                if reference.starts_with("vault_error_") =>
            {
                PROCESSOR_ERROR
            }
            _ => "",
        };
        if card == PROCESSOR_ERROR {
            return Err(Transient("sandbox: simulated processor error".into()));
        }
        if let Some(ms) = card.strip_prefix(SLOW_PREFIX).and_then(|ms| ms.parse::<u64>().ok()) {
            tokio::time::sleep(Duration::from_millis(ms.min(60_000))).await;
        }
        let outcome = if card == DECLINED { "declined" } else { "approved" };
        let reference = format!("sbx_{}", uuid::Uuid::new_v4().simple());
        let (reference, recorded) = sandbox_ledger::record(
            &self.ledger,
            &request.idempotency_key,
            &reference,
            request.amount,
            &request.currency,
            outcome,
        )
        .await
        .map_err(|e| Transient(format!("sandbox ledger: {e}")))?;
        Ok(match recorded.as_str() {
            "approved" | "captured" => Authorization::Approved { reference },
            "voided" => Authorization::Declined { reason: "the authorisation was voided".into() },
            _ => Authorization::Declined { reason: "the card was declined".into() },
        })
    }
}

impl PaymentGateway for SandboxProcessor {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn authorize<'a>(&'a self, request: &'a AuthorizationRequest) -> BoxFuture<'a, Result<Authorization, Transient>> {
        self.authorize_now(request).boxed()
    }

    fn vault<'a>(&'a self, card: &'a CheckedCard) -> BoxFuture<'a, Result<String, Transient>> {
        let kind = match card.number.as_str() {
            DECLINED_CARD => "declined_",
            PROCESSOR_ERROR_CARD => "error_",
            _ => "",
        };
        let reference = format!("vault_{kind}{}", uuid::Uuid::new_v4().simple());
        async move { Ok(reference) }.boxed()
    }

    fn void<'a>(&'a self, idempotency_key: &'a str) -> BoxFuture<'a, Result<(), Transient>> {
        async move {
            sandbox_ledger::void(&self.ledger, idempotency_key)
                .await
                .map_err(|e| Transient(format!("sandbox ledger: {e}")))
        }
        .boxed()
    }

    fn capture<'a>(&'a self, idempotency_key: &'a str) -> BoxFuture<'a, Result<(), Transient>> {
        async move {
            sandbox_ledger::advance(&self.ledger, idempotency_key, "approved", "captured")
                .await
                .map_err(|e| Transient(format!("sandbox ledger: {e}")))
        }
        .boxed()
    }

    fn refund<'a>(&'a self, idempotency_key: &'a str) -> BoxFuture<'a, Result<(), Transient>> {
        async move {
            sandbox_ledger::advance(&self.ledger, idempotency_key, "captured", "refunded")
                .await
                .map_err(|e| Transient(format!("sandbox ledger: {e}")))
        }
        .boxed()
    }
}
