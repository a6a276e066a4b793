//! Card-on-file interchange: the processors each distribution organisation may pay through.

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub async fn enable(
    db: impl sqlx::PgExecutor<'_>,
    organization_id: Uuid,
    processor: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO card_interchange (organization_id, processor, enabled_at) VALUES ($1, $2, $3)
         ON CONFLICT (organization_id, processor) DO NOTHING",
        organization_id,
        processor,
        now,
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// Whether there was anything to disable.
pub async fn disable(db: impl sqlx::PgExecutor<'_>, organization_id: Uuid, processor: &str) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "DELETE FROM card_interchange WHERE organization_id = $1 AND processor = $2",
        organization_id,
        processor,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn is_enabled(db: impl sqlx::PgExecutor<'_>, organization_id: Uuid, processor: &str) -> sqlx::Result<bool> {
    let found = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM card_interchange WHERE organization_id = $1 AND processor = $2) AS "found!""#,
        organization_id,
        processor,
    )
    .fetch_one(db)
    .await?;
    Ok(found)
}

/// Every organisation's processors (or one organisation's), by organisation name then processor.
pub struct Enabled {
    pub organization: String,
    pub processor: String,
    pub enabled_at: DateTime<Utc>,
}

pub async fn list(db: impl sqlx::PgExecutor<'_>, organization: Option<&str>) -> sqlx::Result<Vec<Enabled>> {
    sqlx::query_as!(
        Enabled,
        r#"SELECT o.name AS organization, c.processor, c.enabled_at
           FROM card_interchange c JOIN organizations o ON o.id = c.organization_id
           WHERE $1::text IS NULL OR o.name = $1
           ORDER BY o.name, c.processor"#,
        organization,
    )
    .fetch_all(db)
    .await
}
