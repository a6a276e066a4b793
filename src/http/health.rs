//! Liveness and readiness for load balancers and orchestrators.

use crate::app::error::AppResult;
use crate::app::health;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

/// The process is up and serving HTTP.
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// The process can do its job: the database answers within a second.
pub async fn readyz(State(state): State<AppState>) -> AppResult<Json<Value>> {
    health::check_database(&state).await?;
    Ok(Json(json!({"status": "ready", "database": "ok"})))
}
