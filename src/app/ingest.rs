//! Catalog pulls: a partner tells us where its menu is, a worker fetches and ingests it.
//!
//! The request is stored as a job before the 202 goes out, so a crash or restart never loses
//! it: whichever instance is free claims it, and a claim whose worker died is taken over when
//! its lease runs out.

use super::catalog::{PushOutcome, push};
use super::onboarding;
use crate::app::error::{AppError, AppResult};
use crate::app::queue::{Lease, Queue};
use crate::db::onboardings::{self as onboarding_db, Claimed};
use crate::db::{ingestions, stores};
use crate::domain::catalog::CatalogSet;
use crate::domain::error_code::ErrorCode;
use crate::domain::ingestion::Ingestion;
use crate::domain::problem::Problem;
use crate::domain::queue::{self, Failure, Retries, Settled};
use crate::input::parse_json;
use crate::outbound::{self, FetchError, Limits};
use crate::state::AppState;
use std::sync::Arc;
use tokio::sync::Notify;
use uuid::Uuid;

pub async fn request_pull(
    state: &AppState,
    organization_id: Uuid,
    store_id: Uuid,
    callback_url: &str,
) -> AppResult<Ingestion> {
    if let Err(message) = outbound::check_url(callback_url) {
        return Err(AppError::validation(
            "The callback URL cannot be used.",
            vec![Problem::at("INVALID_URL", "$.callbackUrl", message)],
        ));
    }
    stores::get_owned(&state.db, organization_id, store_id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::StoreNotFound, format!("No store with id {store_id}.")))?;
    let row = ingestions::create(&state.db, organization_id, store_id, callback_url, state.now()).await?;
    state.pull_wakeup.notify_one();
    Ok(row)
}

pub async fn get(state: &AppState, organization_id: Uuid, id: Uuid) -> AppResult<Ingestion> {
    ingestions::get_owned(&state.db, organization_id, id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, format!("No catalog ingestion with id {id}.")))
}

/// Catalog fetches one organisation may have under way at once, on all instances together.
fn per_organization(state: &AppState) -> i64 {
    i64::from(state.config.pull_organization_concurrency)
}

/// Every catalog document we fetch, as one queue: catalog pulls, and the catalogs of stores
/// being onboarded. Both share the `MARKETFRONT_PULL_CONCURRENCY` slots, so a URL that answers
/// slowly holds one of them, not the queue; each claim passes over organisations that already
/// have their share in flight (`MARKETFRONT_PULL_ORGANIZATION_CONCURRENCY`), so one partner's
/// slow URLs cannot hold them all.
pub struct CatalogFetches;

/// One claimed catalog fetch.
pub enum CatalogFetch {
    Pull(Ingestion),
    Onboarding(Box<Claimed>),
}

impl Queue for CatalogFetches {
    type Job = CatalogFetch;
    const NAME: &'static str = "catalog fetches";

    fn concurrency(&self, state: &AppState) -> usize {
        state.config.pull_concurrency
    }

    fn lease(&self, state: &AppState) -> chrono::Duration {
        chrono::Duration::from_std(state.config.pull_timeout * 3).unwrap_or(chrono::Duration::seconds(60))
    }

    fn poll_interval(&self, _state: &AppState) -> std::time::Duration {
        std::time::Duration::from_millis(500)
    }

    fn wakeup(&self, state: &AppState) -> Option<Arc<Notify>> {
        Some(state.pull_wakeup.clone())
    }

    /// Pulls and onboardings in turn, so neither kind can starve the other.
    async fn claim(&self, state: &AppState, lease: Lease, room: usize) -> AppResult<Vec<CatalogFetch>> {
        let share = per_organization(state);
        let (mut pulls_left, mut onboardings_left) = (true, true);
        let mut claimed = Vec::new();
        while claimed.len() < room && (pulls_left || onboardings_left) {
            if pulls_left {
                match ingestions::claim_next(&state.db, lease.now, lease.until, share).await? {
                    Some(job) => claimed.push(CatalogFetch::Pull(job)),
                    None => pulls_left = false,
                }
            }
            if onboardings_left && claimed.len() < room {
                match onboarding_db::claim_next(&state.db, lease.now, lease.until, share).await? {
                    Some(job) => claimed.push(CatalogFetch::Onboarding(Box::new(job))),
                    None => onboardings_left = false,
                }
            }
        }
        Ok(claimed)
    }

    async fn run(&self, state: &AppState, job: CatalogFetch) -> AppResult<()> {
        match job {
            CatalogFetch::Pull(job) => pull(state, job).await,
            CatalogFetch::Onboarding(claim) => onboarding::fetch(state, *claim).await,
        }
    }
}

/// What fetching a catalog document came to.
pub enum Fetched {
    /// A well-formed catalog set (its rules are still to be checked).
    Set(CatalogSet),
    /// A transient failure with attempts left: try again at this time.
    RetryAt(chrono::DateTime<chrono::Utc>, String),
    /// Nothing more to try: why, with every problem.
    Failed(String, Vec<Problem>),
}

/// A fetch's retries: the configured base delay, doubling, until the configured attempts are made.
fn retries(state: &AppState) -> Retries {
    Retries::Doubling {
        base: chrono::Duration::from_std(state.config.pull_retry_base).unwrap_or(chrono::Duration::seconds(2)),
        attempts: state.config.pull_max_attempts.max(1) as u32,
    }
}

/// Fetches and parses a catalog set from `url`, as the `attempt`th try (from 1); `url_path` is
/// the JSONPath of the field the partner gave the URL in. Shared by catalog pulls and store
/// onboarding, so both treat failures and retries the same way.
pub async fn fetch_catalog_set(state: &AppState, url: &str, url_path: &str, attempt: i32) -> Fetched {
    let limits = Limits {
        allow_private: state.config.allow_private_urls,
        timeout: state.config.pull_timeout,
        max_bytes: state.config.pull_max_bytes,
    };
    let failure = match outbound::fetch(url, limits).await {
        Ok(body) => return parsed(&body),
        Err(FetchError::Transient(error)) => Failure::transient(error),
        Err(FetchError::Permanent(error)) => Failure::permanent(error),
    };
    match queue::settle(&retries(state), attempt.max(1) as u32, failure, state.now(), 0.0) {
        Settled::RetryAt { at, error } => Fetched::RetryAt(at, error),
        Settled::Dead { error } => {
            let problem = Problem::at("FETCH_FAILED", url_path, error.clone());
            Fetched::Failed(error, vec![problem])
        }
    }
}

fn parsed(body: &[u8]) -> Fetched {
    match parse_json(body) {
        Ok(set) => Fetched::Set(set),
        Err(error) => {
            let problems = if error.errors().is_empty() {
                vec![Problem::new("INVALID_DOCUMENT", error.detail())]
            } else {
                error.errors().to_vec()
            };
            Fetched::Failed("the document is not a valid catalog set".to_string(), problems)
        }
    }
}

/// Runs one claimed pull and records its outcome.
async fn pull(state: &AppState, job: Ingestion) -> AppResult<()> {
    tracing::info!(ingestion_id = %job.id, store_id = %job.store_id, attempt = job.attempts, "pulling catalog set");
    let set = match fetch_catalog_set(state, &job.callback_url, "$.callbackUrl", job.attempts).await {
        Fetched::Set(set) => set,
        Fetched::RetryAt(at, error) => {
            tracing::warn!(ingestion_id = %job.id, %error, retry_at = %at, "catalog pull failed; will retry");
            ingestions::retry_later(&state.db, job.id, at, &error, state.now()).await?;
            return Ok(());
        }
        Fetched::Failed(error, problems) => {
            tracing::warn!(ingestion_id = %job.id, %error, "catalog pull failed");
            ingestions::fail(&state.db, job.id, &error, problems, state.now()).await?;
            return Ok(());
        }
    };
    match push(state, job.organization_id, job.store_id, set, Some(job.id)).await? {
        PushOutcome::Live { row, .. } => {
            tracing::info!(ingestion_id = %job.id, catalog_set_id = %row.id, "catalog set ingested");
        }
        PushOutcome::Rejected(problems) => {
            ingestions::fail(
                &state.db,
                job.id,
                "the catalog set has problems; the previous set stays live",
                problems,
                state.now(),
            )
            .await?;
        }
        PushOutcome::StoreNotFound => {
            ingestions::fail(&state.db, job.id, "the store no longer exists", vec![], state.now()).await?;
        }
    }
    Ok(())
}
