//! Payment processors behind one trait, so place does not care which one it talks to.
//!
//! Every call carries an idempotency key derived from our order id: asking twice (a client
//! retry, a takeover after a crash, the completer) can never authorise twice.

pub mod sandbox;

use crate::domain::order::PaymentMethod;
use futures_util::future::BoxFuture;
use rust_decimal::Decimal;

#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    /// Same order, same key.
    pub idempotency_key: String,
    pub amount: Decimal,
    pub currency: String,
    pub method: PaymentMethod,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization {
    Approved {
        reference: String,
    },
    /// Final: this method will not pay for this order.
    Declined {
        reason: String,
    },
}

/// The processor could not be reached or failed; asking again with the same key is safe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("payment processor unavailable: {0}")]
pub struct Transient(pub String);

pub trait PaymentGateway: Send + Sync + 'static {
    fn name(&self) -> &'static str;

    fn authorize<'a>(&'a self, request: &'a AuthorizationRequest) -> BoxFuture<'a, Result<Authorization, Transient>>;

    /// Hands a card's number and CVC to the processor's vault; the reference to charge it by
    /// later (a saved card's `vault_reference`). The only place card data ever goes.
    fn vault<'a>(&'a self, card: &'a crate::domain::card::CheckedCard) -> BoxFuture<'a, Result<String, Transient>>;

    /// Releases the authorisation made under `idempotency_key`, if there is one; a no-op
    /// otherwise, so it is safe to call whatever the outcome of `authorize` was. Sticky: an
    /// authorisation asked for under a voided key afterwards is never approved.
    fn void<'a>(&'a self, idempotency_key: &'a str) -> BoxFuture<'a, Result<(), Transient>>;

    /// Takes the authorised money; asking again is a no-op.
    fn capture<'a>(&'a self, idempotency_key: &'a str) -> BoxFuture<'a, Result<(), Transient>>;

    /// Gives captured money back; asking again is a no-op.
    fn refund<'a>(&'a self, idempotency_key: &'a str) -> BoxFuture<'a, Result<(), Transient>>;
}

/// The key given to the processor for an order's authorisation.
pub fn processor_key(order_id: uuid::Uuid) -> String {
    format!("mf-auth-{order_id}")
}
