//! Black-box tests: the real application over real HTTP against a real (fresh) Postgres database.

mod auth;
mod binary;
mod catalog;
mod catalog_server;
mod cli;
mod contract;
mod crash;
mod discovery;
mod errors;
mod fairness;
mod hardening;
mod helpers;
mod layering;
mod lifecycle;
mod metrics;
mod onboarding;
mod opening;
mod place;
mod pull;
mod queue;
mod rate_limits;
mod sessions;
mod stores;
mod validate;
mod webhooks;
mod white_box;
