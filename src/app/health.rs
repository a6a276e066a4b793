//! What readiness and the metrics scrape ask of the core.

use crate::app::error::{AppError, AppResult};
use crate::domain::error_code::ErrorCode;
use crate::state::AppState;
use std::time::Duration;

/// The database answers within a second.
pub async fn check_database(state: &AppState) -> AppResult<()> {
    match tokio::time::timeout(Duration::from_secs(1), crate::db::ping(&state.db)).await {
        Ok(result) => Ok(result?),
        Err(_) => {
            Err(AppError::new(ErrorCode::ServiceUnavailable, "The database did not answer in time.")
                .with_retry_after(2))
        }
    }
}

/// Webhook deliveries waiting to be made.
pub async fn webhook_backlog(state: &AppState) -> AppResult<i64> {
    Ok(crate::db::webhooks::backlog(&state.db).await?)
}
