//! Use cases: each owns its transaction and orchestrates domain rules and the store layer.

pub mod catalog;
pub mod error;
pub mod idempotency;
pub mod ingest;
pub mod keys;
pub mod lifecycle;
pub mod onboarding;
pub mod orders;
pub mod place;
pub mod secrets_at_rest;
pub mod sessions;
pub mod stores;
pub mod token_writer;
pub mod validate;
pub mod webhooks;
