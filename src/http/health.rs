//! Liveness and readiness for load balancers and orchestrators.

use crate::app::error::{AppError, AppResult};
use crate::domain::error_code::ErrorCode;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use std::time::Duration;

/// The process is up and serving HTTP.
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// The process can do its job: the database answers within a second.
pub async fn readyz(State(state): State<AppState>) -> AppResult<Json<Value>> {
    match tokio::time::timeout(Duration::from_secs(1), crate::db::ping(&state.db)).await {
        Ok(Ok(())) => Ok(Json(json!({"status": "ready", "database": "ok"}))),
        Ok(Err(error)) => Err(AppError::from(error)),
        Err(_) => {
            Err(AppError::new(ErrorCode::ServiceUnavailable, "The database did not answer in time.")
                .with_retry_after(2))
        }
    }
}
