//! Delivers the outbox to partners' endpoints (see `app::webhooks::dispatch_once`). Deliveries
//! are claimed with `FOR UPDATE SKIP LOCKED`, so any number of instances can run it; while
//! there is work it goes straight on, otherwise it looks again after the poll interval.

use crate::app::webhooks;
use crate::state::AppState;

pub async fn run(state: AppState) {
    loop {
        match webhooks::dispatch_once(&state).await {
            Ok(0) => tokio::time::sleep(state.config.webhook_poll_interval).await,
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "webhook dispatcher: will try again");
                tokio::time::sleep(state.config.webhook_poll_interval).await;
            }
        }
    }
}
