//! Store onboarding: a commerce partner brings a new store live by itself. It registers the
//! store with its details, where its menu lives and where it wants new orders; a worker fetches
//! and checks the menu (`fetch`, a job of the `ingest::CatalogFetches` queue); the partner
//! activates the result, which creates the store, its catalog set and its webhook endpoint in
//! one transaction.

use super::ingest::{self, Fetched};
use super::webhooks::{EndpointView, ensure_room_for_endpoint, events_for, new_secret};
use crate::app::error::{AppError, AppResult};
use crate::app::{Listed, Saved};
use crate::auth::OrgKind;
use crate::db::onboardings::{self as onboarding_db, Claimed, FetchOutcome, NewOnboarding};
use crate::db::{catalogs, stores, webhooks};
use crate::domain::catalog::{self, CatalogSet};
use crate::domain::cursor::{ListKind, Position};
use crate::domain::error_code::ErrorCode;
use crate::domain::onboarding::Onboarding;
use crate::domain::onboarding::{self as rules, Decision, OnboardingStatus, Request};
use crate::domain::page::Page;
use crate::domain::problem::Problem;
use crate::domain::store::StoreDetails;
use crate::outbound;
use crate::state::AppState;
use serde::Deserialize;
use sqlx::PgConnection;
use uuid::Uuid;

/// The body of `POST /v1/commerce/onboarding/stores`. `store` is exactly the body of
/// `PUT /v1/commerce/stores/{storeId}`, so a partner describes a store one way everywhere.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    pub partner_store_id: String,
    pub store: StoreDetails,
    pub catalog_callback_url: String,
    pub webhook_url: String,
}

fn not_found(id: Uuid) -> AppError {
    AppError::new(ErrorCode::NotFound, format!("No store onboarding with id {id}."))
}

fn refused(row: &Onboarding, why: String) -> AppError {
    AppError::new(ErrorCode::InvalidStatusTransition, format!("Not allowed: {why}."))
        .with_member("currentStatus", row.status.as_str())
}

/// Registers an onboarding and starts fetching its catalog; `false` with the onboarding already
/// open (or active) for the same `partnerStoreId`, which is returned unchanged.
pub async fn register(state: &AppState, organization_id: Uuid, mut new: Registration) -> AppResult<Saved<Onboarding>> {
    let mut problems = rules::check_registration(&new.partner_store_id, &new.store);
    let allow_private = state.config.allow_private_urls;
    for (path, url) in [("$.catalogCallbackUrl", &new.catalog_callback_url), ("$.webhookUrl", &new.webhook_url)] {
        if let Err(why) = outbound::check_partner_url(url, allow_private).await {
            problems.push(Problem::at("INVALID_URL", path, why));
        }
    }
    if !problems.is_empty() {
        return Err(AppError::validation("The registration has problems; nothing was saved.", problems));
    }
    new.store.normalise();
    let (row, created) = onboarding_db::register(
        &state.db,
        NewOnboarding {
            organization_id,
            partner_store_id: &new.partner_store_id,
            details: &new.store,
            catalog_callback_url: &new.catalog_callback_url,
            webhook_url: &new.webhook_url,
        },
        state.now(),
    )
    .await?;
    if created {
        state.pull_wakeup.notify_one();
    }
    Ok(Saved { record: row, created })
}

pub async fn get(state: &AppState, organization_id: Uuid, id: Uuid) -> AppResult<Onboarding> {
    onboarding_db::get_owned(&state.db, organization_id, id).await?.ok_or_else(|| not_found(id))
}

pub async fn list(
    state: &AppState,
    organization_id: Uuid,
    status: Option<&str>,
    page: Page,
) -> AppResult<Listed<Onboarding>> {
    let status = match status {
        None => None,
        Some(text) => Some(OnboardingStatus::parse(text).ok_or_else(|| {
            let known: Vec<&str> = OnboardingStatus::ALL.iter().map(|s| s.as_str()).collect();
            let message = format!("status must be one of {}", known.join(", "));
            AppError::invalid_request(format!("Query parameter status: {message}")).with_errors(vec![Problem::at(
                "INVALID_PARAMETER",
                "$.status",
                message,
            )])
        })?),
    };
    let (rows, counted) = onboarding_db::list_owned(&state.db, organization_id, status, &page).await?;
    Ok(Listed::keyset(rows, counted, page, ListKind::Onboardings, |row| Position {
        at: Some(row.created_at),
        id: row.id,
    }))
}

async fn locked(conn: &mut PgConnection, organization_id: Uuid, id: Uuid) -> AppResult<Onboarding> {
    onboarding_db::lock_owned(conn, organization_id, id).await?.ok_or_else(|| not_found(id))
}

/// Fetches the catalog again: after a `catalog_failed` (the partner fixed its file), or before
/// activating to pick up a newer menu. A no-op while a fetch is already under way.
pub async fn refetch(state: &AppState, organization_id: Uuid, id: Uuid) -> AppResult<Onboarding> {
    let mut tx = state.db.begin().await?;
    let row = locked(&mut tx, organization_id, id).await?;
    let row = match rules::decide(row.status, Request::Refetch).map_err(|why| refused(&row, why))? {
        Decision::Unchanged => return Ok(row),
        Decision::MoveTo(_) => onboarding_db::restart_fetch(&mut tx, id, state.now()).await?,
    };
    tx.commit().await?;
    state.pull_wakeup.notify_one();
    Ok(row)
}

/// Cancels an onboarding that is not active yet; cancelling a cancelled one changes nothing.
pub async fn cancel(state: &AppState, organization_id: Uuid, id: Uuid) -> AppResult<Onboarding> {
    let mut tx = state.db.begin().await?;
    let row = locked(&mut tx, organization_id, id).await?;
    let row = match rules::decide(row.status, Request::Cancel).map_err(|why| refused(&row, why))? {
        Decision::Unchanged => return Ok(row),
        Decision::MoveTo(_) => onboarding_db::cancel(&mut tx, id, state.now()).await?,
    };
    tx.commit().await?;
    Ok(row)
}

pub struct Activated {
    pub onboarding: Onboarding,
    /// The endpoint new orders go to; its secret is shown only when this activation created it.
    pub webhook_endpoint: EndpointView,
}

/// Makes the store live, in one transaction: the store, its catalog set (discoverable and
/// orderable from the commit on), and the partner's webhook endpoint for new orders. A partner
/// that already has an endpoint at the same URL keeps it (and its secret), so onboarding many
/// stores to one URL does not deliver each order several times.
pub async fn activate(state: &AppState, organization_id: Uuid, id: Uuid) -> AppResult<Activated> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let row = locked(&mut tx, organization_id, id).await?;
    rules::decide(row.status, Request::Activate).map_err(|why| refused(&row, why))?;
    let set =
        onboarding_db::catalog(&mut tx, id).await?.expect("an onboarding ready to activate holds its checked catalog");
    let store_id = Uuid::now_v7();
    stores::upsert(&mut tx, organization_id, store_id, &row.details, now).await?;
    if let catalogs::Replaced::IdTaken = catalogs::replace(&mut tx, store_id, &set, now).await? {
        // Another store took the id after the fetch checked it; nothing is kept.
        return Err(AppError::validation(
            "The catalog set's id now belongs to another store; give the set a new catalogSetId and refetch.",
            vec![id_in_use()],
        ));
    }
    let (endpoint, secret) = match webhooks::find_endpoint_by_url(&mut tx, organization_id, &row.webhook_url).await? {
        Some(existing) => (existing, None),
        None => {
            ensure_room_for_endpoint(state, &mut tx, organization_id).await?;
            let secret = new_secret();
            let events: Vec<String> = events_for(OrgKind::Commerce).iter().map(ToString::to_string).collect();
            let endpoint = webhooks::insert_endpoint(
                &mut *tx,
                Uuid::now_v7(),
                organization_id,
                &row.webhook_url,
                &events,
                &state.secrets.seal(crate::secret_box::Purpose::WebhookSecret, &secret),
                now,
            )
            .await?;
            (endpoint, Some(secret))
        }
    };
    let onboarding = onboarding_db::activate(&mut tx, id, store_id, endpoint.id, now).await?;
    tx.commit().await?;
    tracing::info!(onboarding_id = %id, %store_id, "store onboarded and live");
    Ok(Activated { onboarding, webhook_endpoint: EndpointView::of(endpoint, secret) })
}

fn id_in_use() -> Problem {
    Problem::at("ID_IN_USE", "$.catalogSetId", "this catalogSetId belongs to another store; use a new id")
}

/// Every problem a fetched catalog set has for this store: the catalog push's rules, and an id
/// that another store already uses.
async fn check_catalog(state: &AppState, set: &CatalogSet, details: &StoreDetails) -> sqlx::Result<Vec<Problem>> {
    let mut problems = catalog::validate(set, &details.currency);
    if problems.is_empty() && catalogs::owner_of(&state.db, set.catalog_set_id).await?.is_some() {
        problems.push(id_in_use());
    }
    Ok(problems)
}

/// Fetches and checks a claimed onboarding's catalog, and records the outcome (see
/// `ingest::CatalogFetches`, the queue it is claimed from).
pub(super) async fn fetch(state: &AppState, claim: Claimed) -> AppResult<()> {
    let job = &claim.row;
    tracing::info!(onboarding_id = %job.id, attempt = job.attempts, "fetching an onboarding's catalog set");
    let fetched =
        ingest::fetch_catalog_set(state, &job.catalog_callback_url, "$.catalogCallbackUrl", job.attempts).await;
    let recorded = match fetched {
        Fetched::RetryAt(at, error) => {
            tracing::warn!(onboarding_id = %job.id, %error, retry_at = %at, "onboarding catalog fetch failed; will retry");
            onboarding_db::retry_later(&state.db, &claim, at, &error, state.now()).await?;
            return Ok(());
        }
        Fetched::Failed(error, problems) => {
            let outcome = FetchOutcome::Failed { error: &error, problems };
            onboarding_db::finish_fetch(&state.db, &claim, outcome, state.now()).await?
        }
        Fetched::Set(mut set) => {
            let problems = check_catalog(state, &set, &job.details).await?;
            let outcome = if problems.is_empty() {
                set.normalise();
                FetchOutcome::Ready(&set)
            } else {
                FetchOutcome::Failed { error: "the catalog set has problems", problems }
            };
            onboarding_db::finish_fetch(&state.db, &claim, outcome, state.now()).await?
        }
    };
    if !recorded {
        tracing::info!(onboarding_id = %job.id, "onboarding changed during the fetch; its outcome was not kept");
    }
    Ok(())
}
