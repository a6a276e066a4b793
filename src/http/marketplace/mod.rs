//! `/v1/marketplace/…`: what a distribution partner (app, site, agent) calls, with its API key
//! or a session: sessions, stores and menus, carts, pricing, placing and reading orders.

pub mod carts;
pub mod checkout;
pub mod context;
pub mod orders;
pub mod sessions;
pub mod stores;

use crate::state::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(sessions::routes())
        .merge(context::routes())
        .merge(stores::routes())
        .merge(carts::routes())
        .merge(checkout::routes())
        .merge(orders::routes())
}
