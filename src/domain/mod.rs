//! Pure business rules: no I/O, no database, no HTTP. Everything here is unit-tested directly.

pub mod address;
pub mod availability;
pub mod cart;
pub mod catalog;
pub mod cursor;
pub mod discovery;
pub mod error_code;
pub mod geo;
pub mod idempotency;
pub mod ingestion;
pub mod lifecycle;
pub mod limits;
pub mod money;
pub mod onboarding;
pub mod order;
pub mod page;
pub mod placement;
pub mod pricing;
pub mod problem;
pub mod queue;
pub mod rules;
pub mod search;
pub mod session;
pub mod snapshot;
pub mod store;
pub mod webhooks;
