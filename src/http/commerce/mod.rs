//! `/v1/commerce/…`: what a restaurant system (commerce partner) calls: its stores, their
//! status and menus, onboarding, and its orders' progress.

pub mod onboarding;
pub mod orders;
pub mod stores;

use crate::state::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new().merge(stores::routes()).merge(onboarding::routes()).merge(orders::routes())
}
