//! Store onboardings: the partner's registration, the catalog-fetch job it carries, and its
//! status history.

use crate::domain::catalog::CatalogSet;
use crate::domain::onboarding::{Onboarding, OnboardingStatus, Transition};
use crate::domain::page::{COUNT_UP_TO, Page};
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

/// An onboarding's row, as the checked queries read it (every read repeats the column list: a
/// checked query is one literal).
struct OnboardingRow {
    id: Uuid,
    organization_id: Uuid,
    partner_store_id: String,
    details: Json<StoreDetails>,
    catalog_callback_url: String,
    webhook_url: String,
    status: OnboardingStatus,
    attempts: i32,
    next_attempt_at: Option<DateTime<Utc>>,
    locked_until: Option<DateTime<Utc>>,
    last_error: Option<String>,
    errors: Json<Vec<Problem>>,
    catalog_set_id: Option<Uuid>,
    store_id: Option<Uuid>,
    webhook_endpoint_id: Option<Uuid>,
    history: Json<Vec<Transition>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<OnboardingRow> for Onboarding {
    fn from(row: OnboardingRow) -> Self {
        Onboarding {
            id: row.id,
            organization_id: row.organization_id,
            partner_store_id: row.partner_store_id,
            details: row.details.0,
            catalog_callback_url: row.catalog_callback_url,
            webhook_url: row.webhook_url,
            status: row.status,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            locked_until: row.locked_until,
            last_error: row.last_error,
            errors: row.errors.0,
            catalog_set_id: row.catalog_set_id,
            store_id: row.store_id,
            webhook_endpoint_id: row.webhook_endpoint_id,
            history: row.history.0,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

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
    let inserted = sqlx::query_as!(
        OnboardingRow,
        r#"INSERT INTO store_onboardings (id, organization_id, partner_store_id, details, catalog_callback_url, webhook_url,
                                        status, next_attempt_at, history, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, $8)
         ON CONFLICT (organization_id, partner_store_id) WHERE status <> 'cancelled' DO NOTHING
         RETURNING id, organization_id, partner_store_id, details AS "details: Json<StoreDetails>", catalog_callback_url,
               webhook_url, status AS "status: OnboardingStatus", attempts, next_attempt_at, locked_until, last_error,
               errors AS "errors: Json<Vec<Problem>>", catalog_set_id, store_id, webhook_endpoint_id,
               history AS "history: Json<Vec<Transition>>", created_at, updated_at"#,
        Uuid::now_v7(),
        new.organization_id,
        new.partner_store_id,
        Json(new.details) as _,
        new.catalog_callback_url,
        new.webhook_url,
        fetching as OnboardingStatus,
        now,
        entry(fetching, now, Some("registered")) as _,
    )
    .fetch_optional(pool)
    .await?;
    if let Some(row) = inserted {
        return Ok((row.into(), true));
    }
    let existing = sqlx::query_as!(
        OnboardingRow,
        r#"SELECT id, organization_id, partner_store_id, details AS "details: Json<StoreDetails>", catalog_callback_url,
               webhook_url, status AS "status: OnboardingStatus", attempts, next_attempt_at, locked_until, last_error,
               errors AS "errors: Json<Vec<Problem>>", catalog_set_id, store_id, webhook_endpoint_id,
               history AS "history: Json<Vec<Transition>>", created_at, updated_at FROM store_onboardings
         WHERE organization_id = $1 AND partner_store_id = $2 AND status <> 'cancelled'"#,
        new.organization_id,
        new.partner_store_id,
    )
    .fetch_optional(pool)
    .await?;
    match existing {
        Some(row) => Ok((row.into(), false)),
        // Cancelled between our insert and our read: the id is free again, so register anew.
        None => Box::pin(register(pool, new, now)).await,
    }
}

pub async fn get_owned(
    db: impl sqlx::PgExecutor<'_>,
    organization_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Onboarding>> {
    sqlx::query_as!(
        OnboardingRow,
        r#"SELECT id, organization_id, partner_store_id, details AS "details: Json<StoreDetails>", catalog_callback_url,
               webhook_url, status AS "status: OnboardingStatus", attempts, next_attempt_at, locked_until, last_error,
               errors AS "errors: Json<Vec<Problem>>", catalog_set_id, store_id, webhook_endpoint_id,
               history AS "history: Json<Vec<Transition>>", created_at, updated_at FROM store_onboardings WHERE id = $1 AND organization_id = $2"#,
        id,
        organization_id,
    )
    .fetch_optional(db)
    .await
    .map(|row| row.map(Onboarding::from))
}

/// Locks an owned onboarding for the rest of the transaction: the partner's requests and the
/// fetch's outcome on one onboarding happen one at a time.
pub async fn lock_owned(conn: &mut PgConnection, organization_id: Uuid, id: Uuid) -> sqlx::Result<Option<Onboarding>> {
    sqlx::query_as!(
        OnboardingRow,
        r#"SELECT id, organization_id, partner_store_id, details AS "details: Json<StoreDetails>", catalog_callback_url,
               webhook_url, status AS "status: OnboardingStatus", attempts, next_attempt_at, locked_until, last_error,
               errors AS "errors: Json<Vec<Problem>>", catalog_set_id, store_id, webhook_endpoint_id,
               history AS "history: Json<Vec<Transition>>", created_at, updated_at FROM store_onboardings WHERE id = $1 AND organization_id = $2 FOR UPDATE"#,
        id,
        organization_id,
    )
    .fetch_optional(conn)
    .await
    .map(|row| row.map(Onboarding::from))
}

/// The checked catalog set of a locked onboarding that is ready to activate.
pub async fn catalog(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<CatalogSet>> {
    let set = sqlx::query_scalar!(
        r#"SELECT catalog AS "catalog: Json<CatalogSet>" FROM store_onboardings WHERE id = $1"#,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(set.map(|set| set.0))
}

/// A page of the organisation's onboardings, newest first, optionally in one status: up to
/// `page.fetch()` after the page's cursor, or from its offset. With their count, capped.
///
/// With and without the status filter are separate statements, so each keeps its index in a
/// cached generic plan.
pub async fn list_owned(
    pool: &PgPool,
    organization_id: Uuid,
    status: Option<OnboardingStatus>,
    page: &Page,
) -> sqlx::Result<(Vec<Onboarding>, i64)> {
    let (at, id) = page.newest_first_below();
    let (rows, total) = match status {
        None => {
            let rows = sqlx::query_as!(
                OnboardingRow,
                r#"SELECT id, organization_id, partner_store_id, details AS "details: Json<StoreDetails>", catalog_callback_url,
               webhook_url, status AS "status: OnboardingStatus", attempts, next_attempt_at, locked_until, last_error,
               errors AS "errors: Json<Vec<Problem>>", catalog_set_id, store_id, webhook_endpoint_id,
               history AS "history: Json<Vec<Transition>>", created_at, updated_at FROM store_onboardings
         WHERE organization_id = $1 AND (created_at, id) < ($2, $3)
         ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5"#,
                organization_id,
                at,
                id,
                page.fetch(),
                page.offset,
            )
            .fetch_all(pool)
            .await?;
            let total = sqlx::query_scalar!(
                r#"SELECT count(*) AS "count!" FROM (SELECT 1 FROM store_onboardings
                   WHERE organization_id = $1 LIMIT $2) counted"#,
                organization_id,
                COUNT_UP_TO,
            )
            .fetch_one(pool)
            .await?;
            (rows, total)
        }
        Some(status) => {
            let rows = sqlx::query_as!(
                OnboardingRow,
                r#"SELECT id, organization_id, partner_store_id, details AS "details: Json<StoreDetails>", catalog_callback_url,
               webhook_url, status AS "status: OnboardingStatus", attempts, next_attempt_at, locked_until, last_error,
               errors AS "errors: Json<Vec<Problem>>", catalog_set_id, store_id, webhook_endpoint_id,
               history AS "history: Json<Vec<Transition>>", created_at, updated_at FROM store_onboardings
         WHERE organization_id = $1 AND status = $2 AND (created_at, id) < ($3, $4)
         ORDER BY created_at DESC, id DESC LIMIT $5 OFFSET $6"#,
                organization_id,
                status as OnboardingStatus,
                at,
                id,
                page.fetch(),
                page.offset,
            )
            .fetch_all(pool)
            .await?;
            let total = sqlx::query_scalar!(
                r#"SELECT count(*) AS "count!" FROM (SELECT 1 FROM store_onboardings
                   WHERE organization_id = $1 AND status = $2 LIMIT $3) counted"#,
                organization_id,
                status as OnboardingStatus,
                COUNT_UP_TO,
            )
            .fetch_one(pool)
            .await?;
            (rows, total)
        }
    };
    Ok((rows.into_iter().map(Onboarding::from).collect(), total))
}

/// Claims the next onboarding whose catalog is due to be fetched, until `locked_until`: new ones, retries
/// come due, and claims whose worker died. SKIP LOCKED lets every instance poll at once.
/// Organisations that already have `per_organization` fetches in flight are passed over.
pub async fn claim_next(
    db: impl sqlx::PgExecutor<'_>,
    now: DateTime<Utc>,
    locked_until: DateTime<Utc>,
    per_organization: i64,
) -> sqlx::Result<Option<Claimed>> {
    let claim_id = Uuid::now_v7();
    let row = sqlx::query_as!(
        OnboardingRow,
        r#"UPDATE store_onboardings SET attempts = attempts + 1, locked_until = $2, claim_id = $3, updated_at = $1
         WHERE id = (
             SELECT o.id FROM store_onboardings o
             WHERE o.status = 'fetching_catalog' AND o.next_attempt_at <= $1
               AND (o.locked_until IS NULL OR o.locked_until <= $1)
               AND (SELECT count(*) FROM store_onboardings f
                    WHERE f.organization_id = o.organization_id AND f.locked_until > $1) < $4
             ORDER BY o.next_attempt_at
             FOR UPDATE SKIP LOCKED
             LIMIT 1)
         RETURNING id, organization_id, partner_store_id, details AS "details: Json<StoreDetails>", catalog_callback_url,
               webhook_url, status AS "status: OnboardingStatus", attempts, next_attempt_at, locked_until, last_error,
               errors AS "errors: Json<Vec<Problem>>", catalog_set_id, store_id, webhook_endpoint_id,
               history AS "history: Json<Vec<Transition>>", created_at, updated_at"#,
        now,
        locked_until,
        claim_id,
        per_organization,
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| Claimed { row: row.into(), claim_id }))
}

/// The fetch failed in a way that may pass: try again at `at`. Ignored if the claim is stale.
pub async fn retry_later(
    db: impl sqlx::PgExecutor<'_>,
    claim: &Claimed,
    at: DateTime<Utc>,
    error: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE store_onboardings SET next_attempt_at = $3, locked_until = NULL, claim_id = NULL, last_error = $4,
             updated_at = $5
         WHERE id = $1 AND claim_id = $2 AND status = 'fetching_catalog'",
        claim.row.id,
        claim.claim_id,
        at,
        error,
        now,
    )
    .execute(db)
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
    db: impl sqlx::PgExecutor<'_>,
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
    let done = sqlx::query!(
        "UPDATE store_onboardings SET status = $3, catalog = $4, catalog_set_id = $9, last_error = $5, errors = $6,
             next_attempt_at = NULL, locked_until = NULL, claim_id = NULL, history = history || $7, updated_at = $8
         WHERE id = $1 AND claim_id = $2 AND status = 'fetching_catalog'",
        claim.row.id,
        claim.claim_id,
        status as OnboardingStatus,
        catalog as _,
        error,
        Json(problems) as _,
        entry(status, now, Some(&detail)) as _,
        now,
        catalog_set_id,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Starts a new fetch of a locked onboarding (a refetch): the previous outcome is forgotten.
pub async fn restart_fetch(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<Onboarding> {
    let fetching = OnboardingStatus::FetchingCatalog;
    sqlx::query_as!(
        OnboardingRow,
        r#"UPDATE store_onboardings SET status = $2, attempts = 0, next_attempt_at = $3, locked_until = NULL,
             claim_id = NULL, last_error = NULL, errors = '[]', catalog = NULL,
             catalog_set_id = NULL, history = history || $4, updated_at = $3
         WHERE id = $1 RETURNING id, organization_id, partner_store_id, details AS "details: Json<StoreDetails>", catalog_callback_url,
               webhook_url, status AS "status: OnboardingStatus", attempts, next_attempt_at, locked_until, last_error,
               errors AS "errors: Json<Vec<Problem>>", catalog_set_id, store_id, webhook_endpoint_id,
               history AS "history: Json<Vec<Transition>>", created_at, updated_at"#,
        id,
        fetching as OnboardingStatus,
        now,
        entry(fetching, now, Some("refetch requested")) as _,
    )
    .fetch_one(conn)
    .await
    .map(Onboarding::from)
}

/// Cancels a locked onboarding; a fetch under way finds its claim stale and changes nothing.
pub async fn cancel(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<Onboarding> {
    let cancelled = OnboardingStatus::Cancelled;
    sqlx::query_as!(
        OnboardingRow,
        r#"UPDATE store_onboardings SET status = $2, next_attempt_at = NULL, locked_until = NULL, claim_id = NULL,
             catalog = NULL, catalog_set_id = NULL, history = history || $3, updated_at = $4
         WHERE id = $1 RETURNING id, organization_id, partner_store_id, details AS "details: Json<StoreDetails>", catalog_callback_url,
               webhook_url, status AS "status: OnboardingStatus", attempts, next_attempt_at, locked_until, last_error,
               errors AS "errors: Json<Vec<Problem>>", catalog_set_id, store_id, webhook_endpoint_id,
               history AS "history: Json<Vec<Transition>>", created_at, updated_at"#,
        id,
        cancelled as OnboardingStatus,
        entry(cancelled, now, Some("cancelled by the partner")) as _,
        now,
    )
    .fetch_one(conn)
    .await
    .map(Onboarding::from)
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
    sqlx::query_as!(
        OnboardingRow,
        r#"UPDATE store_onboardings SET status = $2, store_id = $3, webhook_endpoint_id = $4, catalog = NULL,
             history = history || $5, updated_at = $6
         WHERE id = $1 RETURNING id, organization_id, partner_store_id, details AS "details: Json<StoreDetails>", catalog_callback_url,
               webhook_url, status AS "status: OnboardingStatus", attempts, next_attempt_at, locked_until, last_error,
               errors AS "errors: Json<Vec<Problem>>", catalog_set_id, store_id, webhook_endpoint_id,
               history AS "history: Json<Vec<Transition>>", created_at, updated_at"#,
        id,
        active as OnboardingStatus,
        store_id,
        webhook_endpoint_id,
        entry(active, now, Some("store live")) as _,
        now,
    )
    .fetch_one(conn)
    .await
    .map(Onboarding::from)
}
