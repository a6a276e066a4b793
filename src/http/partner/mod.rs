//! `/v1/webhooks/…`: an organisation's own settings, for either kind of partner, with its API
//! key (never a session).

pub mod webhooks;

use crate::state::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    webhooks::routes()
}
