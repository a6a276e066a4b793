//! Store onboardings: the partner's registration, the catalog-fetch job it carries, and its
//! status history.

use crate::domain::catalog::CatalogSet;
use crate::domain::onboarding::{Onboarding, OnboardingStatus, Transition};
use crate::domain::problem::Problem;
use crate::domain::store::StoreDetails;
use chrono::{DateTime, Utc};

use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A claimed fetch: the onboarding as claimed, and the claim's id that every outcome must name.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub row: Onboarding,
    pub claim_id: Uuid,
}

const COLUMNS: &str = "id, organization_id, partner_store_id, details, catalog_callback_url, webhook_url, status,
    attempts, next_attempt_at, locked_until, last_error, errors, catalog_set_id, store_id, webhook_endpoint_id, history, created_at, updated_at";

fn entry(status: OnboardingStatus, at: DateTime<Utc>, detail: Option<&str>) -> Json<Vec<Transition>> {
    Json(vec![Transition { status, at, detail: detail.map(str::to_string) }])
}

pub struct NewOnboarding<'a> {
    pub organization_id: Uuid,
    pub partner_store_id: &'a str,
    pub details: &'a StoreDetails,
    pub catalog_callback_url: &'a str,
    pub webhook_url: &'a str,
}

/// Registers an onboarding, or returns the one already open (or active) for the same partner
/// store id; `true` when it is new. The partial unique index settles two registrations racing.
pub async fn register(pool: &PgPool, new: NewOnboarding<'_>, now: DateTime<Utc>) -> sqlx::Result<(Onboarding, bool)> {
    let fetching = OnboardingStatus::FetchingCatalog;
    let inserted: Option<Onboarding> = sqlx::query_as(&format!(
        "INSERT INTO store_onboardings (id, organization_id, partner_store_id, details, catalog_callback_url, webhook_url,
                                        status, next_attempt_at, history, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, $8)
         ON CONFLICT (organization_id, partner_store_id) WHERE status <> 'cancelled' DO NOTHING
         RETURNING {COLUMNS}"
    ))
    .bind(Uuid::now_v7())
    .bind(new.organization_id)
    .bind(new.partner_store_id)
    .bind(Json(new.details))
    .bind(new.catalog_callback_url)
    .bind(new.webhook_url)
    .bind(fetching.as_str())
    .bind(now)
    .bind(entry(fetching, now, Some("registered")))
    .fetch_optional(pool)
    .await?;
    if let Some(row) = inserted {
        return Ok((row, true));
    }
    let existing = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM store_onboardings
         WHERE organization_id = $1 AND partner_store_id = $2 AND status <> 'cancelled'"
    ))
    .bind(new.organization_id)
    .bind(new.partner_store_id)
    .fetch_optional(pool)
    .await?;
    match existing {
        Some(row) => Ok((row, false)),
        // Cancelled between our insert and our read: the id is free again, so register anew.
        None => Box::pin(register(pool, new, now)).await,
    }
}

pub async fn get_owned(pool: &PgPool, organization_id: Uuid, id: Uuid) -> sqlx::Result<Option<Onboarding>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM store_onboardings WHERE id = $1 AND organization_id = $2"))
        .bind(id)
        .bind(organization_id)
        .fetch_optional(pool)
        .await
}

/// Locks an owned onboarding for the rest of the transaction: the partner's requests and the
/// fetch's outcome on one onboarding happen one at a time.
pub async fn lock_owned(conn: &mut PgConnection, organization_id: Uuid, id: Uuid) -> sqlx::Result<Option<Onboarding>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM store_onboardings WHERE id = $1 AND organization_id = $2 FOR UPDATE"
    ))
    .bind(id)
    .bind(organization_id)
    .fetch_optional(conn)
    .await
}

/// The checked catalog set of a locked onboarding that is ready to activate.
pub async fn catalog(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<CatalogSet>> {
    let set: Option<Json<CatalogSet>> =
        sqlx::query_scalar("SELECT catalog FROM store_onboardings WHERE id = $1").bind(id).fetch_one(conn).await?;
    Ok(set.map(|set| set.0))
}

/// The organisation's onboardings, newest first, optionally in one status; and how many there are.
pub async fn list_owned(
    pool: &PgPool,
    organization_id: Uuid,
    status: Option<OnboardingStatus>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<Onboarding>, i64)> {
    let status = status.map(OnboardingStatus::as_str);
    let rows = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM store_onboardings WHERE organization_id = $1 AND ($2::text IS NULL OR status = $2)
         ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
    ))
    .bind(organization_id)
    .bind(status)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar(
        "SELECT count(*) FROM store_onboardings WHERE organization_id = $1 AND ($2::text IS NULL OR status = $2)",
    )
    .bind(organization_id)
    .bind(status)
    .fetch_one(pool)
    .await?;
    Ok((rows, total))
}

/// Claims the next onboarding whose catalog is due to be fetched, for `lease`: new ones, retries
/// come due, and claims whose worker died. SKIP LOCKED lets every instance poll at once.
/// Organisations that already have `per_organization` fetches in flight are passed over.
pub async fn claim_next(
    pool: &PgPool,
    now: DateTime<Utc>,
    lease: chrono::Duration,
    per_organization: i64,
) -> sqlx::Result<Option<Claimed>> {
    let claim_id = Uuid::now_v7();
    let row: Option<Onboarding> = sqlx::query_as(&format!(
        "UPDATE store_onboardings SET attempts = attempts + 1, locked_until = $2, claim_id = $3, updated_at = $1
         WHERE id = (
             SELECT o.id FROM store_onboardings o
             WHERE o.status = 'fetching_catalog' AND o.next_attempt_at <= $1
               AND (o.locked_until IS NULL OR o.locked_until <= $1)
               AND (SELECT count(*) FROM store_onboardings f
                    WHERE f.organization_id = o.organization_id AND f.locked_until > $1) < $4
             ORDER BY o.next_attempt_at
             FOR UPDATE SKIP LOCKED
             LIMIT 1)
         RETURNING {COLUMNS}"
    ))
    .bind(now)
    .bind(now + lease)
    .bind(claim_id)
    .bind(per_organization)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| Claimed { row, claim_id }))
}

/// The fetch failed in a way that may pass: try again at `at`. Ignored if the claim is stale.
pub async fn retry_later(
    pool: &PgPool,
    claim: &Claimed,
    at: DateTime<Utc>,
    error: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE store_onboardings SET next_attempt_at = $3, locked_until = NULL, claim_id = NULL, last_error = $4,
             updated_at = $5
         WHERE id = $1 AND claim_id = $2 AND status = 'fetching_catalog'",
    )
    .bind(claim.row.id)
    .bind(claim.claim_id)
    .bind(at)
    .bind(error)
    .bind(now)
    .execute(pool)
    .await
    .map(|_| ())
}

/// How a claimed fetch ended: the catalog, checked and ready, or every problem it had.
pub enum FetchOutcome<'a> {
    Ready(&'a CatalogSet),
    Failed { error: &'a str, problems: Vec<Problem> },
}

/// Records the end of a claimed fetch; `false` if the claim was stale (the partner cancelled or
/// refetched meanwhile, or another worker took the job over), in which case nothing changes.
pub async fn finish_fetch(
    pool: &PgPool,
    claim: &Claimed,
    outcome: FetchOutcome<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let (status, catalog, error, problems, detail) = match outcome {
        FetchOutcome::Ready(set) => (
            OnboardingStatus::ReadyToActivate,
            Some(Json(set)),
            None,
            Vec::new(),
            "catalog fetched and valid".to_string(),
        ),
        FetchOutcome::Failed { error, problems } => {
            (OnboardingStatus::CatalogFailed, None, Some(error), problems, error.to_string())
        }
    };
    let catalog_set_id = catalog.as_ref().map(|set| set.0.catalog_set_id);
    let done = sqlx::query(
        "UPDATE store_onboardings SET status = $3, catalog = $4, catalog_set_id = $9, last_error = $5, errors = $6,
             next_attempt_at = NULL, locked_until = NULL, claim_id = NULL, history = history || $7, updated_at = $8
         WHERE id = $1 AND claim_id = $2 AND status = 'fetching_catalog'",
    )
    .bind(claim.row.id)
    .bind(claim.claim_id)
    .bind(status.as_str())
    .bind(catalog)
    .bind(error)
    .bind(Json(problems))
    .bind(entry(status, now, Some(&detail)))
    .bind(now)
    .bind(catalog_set_id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Starts a new fetch of a locked onboarding (a refetch): the previous outcome is forgotten.
pub async fn restart_fetch(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<Onboarding> {
    let fetching = OnboardingStatus::FetchingCatalog;
    sqlx::query_as(&format!(
        "UPDATE store_onboardings SET status = $2, attempts = 0, next_attempt_at = $3, locked_until = NULL,
             claim_id = NULL, last_error = NULL, errors = '[]', catalog = NULL,
             catalog_set_id = NULL, history = history || $4, updated_at = $3
         WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(fetching.as_str())
    .bind(now)
    .bind(entry(fetching, now, Some("refetch requested")))
    .fetch_one(conn)
    .await
}

/// Cancels a locked onboarding; a fetch under way finds its claim stale and changes nothing.
pub async fn cancel(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<Onboarding> {
    let cancelled = OnboardingStatus::Cancelled;
    sqlx::query_as(&format!(
        "UPDATE store_onboardings SET status = $2, next_attempt_at = NULL, locked_until = NULL, claim_id = NULL,
             catalog = NULL, catalog_set_id = NULL, history = history || $3, updated_at = $4
         WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(cancelled.as_str())
    .bind(entry(cancelled, now, Some("cancelled by the partner")))
    .bind(now)
    .fetch_one(conn)
    .await
}

/// Marks a locked onboarding active: its store and webhook endpoint exist now.
pub async fn activate(
    conn: &mut PgConnection,
    id: Uuid,
    store_id: Uuid,
    webhook_endpoint_id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<Onboarding> {
    let active = OnboardingStatus::Active;
    sqlx::query_as(&format!(
        "UPDATE store_onboardings SET status = $2, store_id = $3, webhook_endpoint_id = $4, catalog = NULL,
             history = history || $5, updated_at = $6
         WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(active.as_str())
    .bind(store_id)
    .bind(webhook_endpoint_id)
    .bind(entry(active, now, Some("store live")))
    .bind(now)
    .fetch_one(conn)
    .await
}
