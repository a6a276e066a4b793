//! A catalog ingestion: one pull of a menu from the partner's callback URL (seed 002's
//! notification), as it is kept and shown.

use super::problem::Problem;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// `pending` → `fetching` → `succeeded` | `failed` (a transient failure goes back to `pending`
/// until the attempts run out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum IngestionStatus {
    Pending,
    Fetching,
    Succeeded,
    Failed,
}

#[derive(Debug, Clone)]
pub struct Ingestion {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub store_id: Uuid,
    pub callback_url: String,
    pub status: IngestionStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub errors: Vec<Problem>,
    pub catalog_set_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}
