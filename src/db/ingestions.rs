//! Catalog pulls as durable jobs.

use crate::domain::ingestion::{Ingestion, IngestionStatus};
use crate::domain::problem::Problem;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

/// An ingestion's row, as the checked queries read it.
struct IngestionRow {
    id: Uuid,
    organization_id: Uuid,
    store_id: Uuid,
    callback_url: String,
    status: IngestionStatus,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    last_error: Option<String>,
    errors: Json<Vec<Problem>>,
    catalog_set_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
}

impl From<IngestionRow> for Ingestion {
    fn from(row: IngestionRow) -> Self {
        Ingestion {
            id: row.id,
            organization_id: row.organization_id,
            store_id: row.store_id,
            callback_url: row.callback_url,
            status: row.status,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            last_error: row.last_error,
            errors: row.errors.0,
            catalog_set_id: row.catalog_set_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
            completed_at: row.completed_at,
        }
    }
}

pub async fn create(
    db: impl sqlx::PgExecutor<'_>,
    organization_id: Uuid,
    store_id: Uuid,
    url: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Ingestion> {
    let row = sqlx::query_as!(
        IngestionRow,
        r#"INSERT INTO catalog_ingestions (id, organization_id, store_id, callback_url, status, next_attempt_at,
                                          created_at, updated_at)
           VALUES ($1, $2, $3, $4, 'pending', $5, $5, $5)
           RETURNING id, organization_id, store_id, callback_url, status AS "status: IngestionStatus", attempts,
             next_attempt_at, last_error, errors AS "errors: Json<Vec<Problem>>", catalog_set_id, created_at,
             updated_at, completed_at"#,
        Uuid::now_v7(),
        organization_id,
        store_id,
        url,
        now,
    )
    .fetch_one(db)
    .await?;
    Ok(row.into())
}

pub async fn get_owned(
    db: impl sqlx::PgExecutor<'_>,
    organization_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Ingestion>> {
    let row = sqlx::query_as!(
        IngestionRow,
        r#"SELECT id, organization_id, store_id, callback_url, status AS "status: IngestionStatus", attempts,
             next_attempt_at, last_error, errors AS "errors: Json<Vec<Problem>>", catalog_set_id, created_at,
             updated_at, completed_at
           FROM catalog_ingestions WHERE id = $1 AND organization_id = $2"#,
        id,
        organization_id,
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(Ingestion::from))
}

/// Claims the next due pull until `locked_until`: pending ones, and fetching ones whose worker died,
/// passing over organisations that already have `per_organization` pulls in flight. SKIP
/// LOCKED lets any number of instances poll the same table without blocking each other.
pub async fn claim_next(
    db: impl sqlx::PgExecutor<'_>,
    now: DateTime<Utc>,
    locked_until: DateTime<Utc>,
    per_organization: i64,
) -> sqlx::Result<Option<Ingestion>> {
    let row = sqlx::query_as!(
        IngestionRow,
        r#"UPDATE catalog_ingestions SET status = 'fetching', attempts = attempts + 1, locked_until = $2, updated_at = $1
           WHERE id = (
               SELECT i.id FROM catalog_ingestions i
               WHERE ((i.status = 'pending' AND i.next_attempt_at <= $1) OR (i.status = 'fetching' AND i.locked_until <= $1))
                 AND (SELECT count(*) FROM catalog_ingestions f
                      WHERE f.organization_id = i.organization_id AND f.status = 'fetching' AND f.locked_until > $1) < $3
               ORDER BY i.next_attempt_at
               FOR UPDATE SKIP LOCKED
               LIMIT 1)
           RETURNING id, organization_id, store_id, callback_url, status AS "status: IngestionStatus", attempts,
             next_attempt_at, last_error, errors AS "errors: Json<Vec<Problem>>", catalog_set_id, created_at,
             updated_at, completed_at"#,
        now,
        locked_until,
        per_organization,
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(Ingestion::from))
}

pub async fn retry_later(
    db: impl sqlx::PgExecutor<'_>,
    id: Uuid,
    at: DateTime<Utc>,
    error: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE catalog_ingestions SET status = 'pending', next_attempt_at = $2, locked_until = NULL, last_error = $3, updated_at = $4
         WHERE id = $1",
        id,
        at,
        error,
        now,
    )
    .execute(db)
    .await
    .map(|_| ())
}

pub async fn fail(
    db: impl sqlx::PgExecutor<'_>,
    id: Uuid,
    error: &str,
    problems: Vec<Problem>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE catalog_ingestions SET status = 'failed', locked_until = NULL, last_error = $2, errors = $3,
             updated_at = $4, completed_at = $4
         WHERE id = $1",
        id,
        error,
        Json(problems) as _,
        now,
    )
    .execute(db)
    .await
    .map(|_| ())
}

pub async fn succeed(
    conn: &mut sqlx::PgConnection,
    id: Uuid,
    catalog_set_id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE catalog_ingestions SET status = 'succeeded', locked_until = NULL, last_error = NULL, errors = '[]',
             catalog_set_id = $2, updated_at = $3, completed_at = $3
         WHERE id = $1",
        id,
        catalog_set_id,
        now,
    )
    .execute(conn)
    .await
    .map(|_| ())
}
