//! Organisations and their API keys. Every statement is checked against the schema at build time.

use crate::auth::OrgKind;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Organization {
    pub id: Uuid,
    pub name: String,
    pub kind: OrgKind,
}

/// What authentication needs to know about a presented key.
#[derive(Debug, Clone)]
pub struct KeyOwner {
    pub key_id: Uuid,
    pub organization_id: Uuid,
    pub organization_kind: OrgKind,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct KeyListing {
    pub prefix: String,
    pub organization: String,
    pub kind: OrgKind,
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct KeyRecord {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Returns the organisation with this name, creating it with `kind` if it does not exist.
pub async fn find_or_create_org(pool: &PgPool, name: &str, kind: OrgKind) -> sqlx::Result<Organization> {
    sqlx::query!(
        "INSERT INTO organizations (id, name, kind) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        Uuid::now_v7(),
        name,
        kind as OrgKind,
    )
    .execute(pool)
    .await?;
    org_named(pool, name).await?.ok_or(sqlx::Error::RowNotFound)
}

pub async fn org_named(db: impl sqlx::PgExecutor<'_>, name: &str) -> sqlx::Result<Option<Organization>> {
    sqlx::query_as!(
        Organization,
        r#"SELECT id, name, kind AS "kind: OrgKind" FROM organizations WHERE name = $1"#,
        name
    )
    .fetch_optional(db)
    .await
}

pub async fn find_org(db: impl sqlx::PgExecutor<'_>, id: Uuid) -> sqlx::Result<Organization> {
    sqlx::query_as!(Organization, r#"SELECT id, name, kind AS "kind: OrgKind" FROM organizations WHERE id = $1"#, id)
        .fetch_one(db)
        .await
}

pub async fn insert_key(
    db: impl sqlx::PgExecutor<'_>,
    organization_id: Uuid,
    prefix: &str,
    hash: &[u8],
    label: Option<&str>,
    expires_at: Option<DateTime<Utc>>,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO api_keys (id, organization_id, prefix, key_hash, label, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        id,
        organization_id,
        prefix,
        hash,
        label,
        expires_at,
    )
    .execute(db)
    .await?;
    Ok(id)
}

pub async fn find_owner_by_hash(db: impl sqlx::PgExecutor<'_>, hash: &[u8]) -> sqlx::Result<Option<KeyOwner>> {
    sqlx::query_as!(
        KeyOwner,
        r#"SELECT k.id AS key_id, k.organization_id, o.kind AS "organization_kind: OrgKind", k.expires_at, k.revoked_at
           FROM api_keys k JOIN organizations o ON o.id = k.organization_id
           WHERE k.key_hash = $1"#,
        hash,
    )
    .fetch_optional(db)
    .await
}

pub async fn find_by_prefix(db: impl sqlx::PgExecutor<'_>, prefix: &str) -> sqlx::Result<Option<KeyRecord>> {
    sqlx::query_as!(
        KeyRecord,
        "SELECT id, organization_id, expires_at, revoked_at FROM api_keys WHERE prefix = $1",
        prefix
    )
    .fetch_optional(db)
    .await
}

pub async fn revoke(db: impl sqlx::PgExecutor<'_>, prefix: &str, at: DateTime<Utc>) -> sqlx::Result<bool> {
    let done = sqlx::query!("UPDATE api_keys SET revoked_at = $2 WHERE prefix = $1 AND revoked_at IS NULL", prefix, at)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Makes the old key expire at `old_expires_at` (unless it already expires sooner) and records
/// its successor.
pub async fn retire_for_roll(
    db: impl sqlx::PgExecutor<'_>,
    old: Uuid,
    new: Uuid,
    old_expires_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE api_keys SET replaced_by = $2, expires_at = LEAST(COALESCE(expires_at, $3), $3) WHERE id = $1",
        old,
        new,
        old_expires_at,
    )
    .execute(db)
    .await
    .map(|_| ())
}

pub async fn list(db: impl sqlx::PgExecutor<'_>, organization: Option<&str>) -> sqlx::Result<Vec<KeyListing>> {
    sqlx::query_as!(
        KeyListing,
        r#"SELECT k.prefix, o.name AS organization, o.kind AS "kind: OrgKind", k.label, k.created_at, k.expires_at,
                  k.revoked_at
           FROM api_keys k JOIN organizations o ON o.id = k.organization_id
           WHERE $1::text IS NULL OR o.name = $1
           ORDER BY o.name, k.created_at"#,
        organization,
    )
    .fetch_all(db)
    .await
}

/// Whether an organisation can still vouch for its sessions: its kind, and until when it holds
/// a key that is neither revoked nor expired (`None` inside: a key without expiry). `None` when
/// the organisation does not exist.
#[derive(Debug, Clone)]
pub struct OrganizationKeys {
    pub kind: OrgKind,
    pub has_unexpiring_key: bool,
    pub latest_expiry: Option<DateTime<Utc>>,
}

pub async fn organization_keys(
    db: impl sqlx::PgExecutor<'_>,
    organization_id: Uuid,
) -> sqlx::Result<Option<OrganizationKeys>> {
    sqlx::query_as!(
        OrganizationKeys,
        r#"SELECT o.kind AS "kind: OrgKind",
                  coalesce(bool_or(k.id IS NOT NULL AND k.expires_at IS NULL), false) AS "has_unexpiring_key!",
                  max(k.expires_at) AS latest_expiry
           FROM organizations o LEFT JOIN api_keys k ON k.organization_id = o.id AND k.revoked_at IS NULL
           WHERE o.id = $1 GROUP BY o.kind"#,
        organization_id,
    )
    .fetch_optional(db)
    .await
}
