//! Catalog pulls: a partner tells us where its menu is, a worker fetches and ingests it.
//!
//! The request is stored as a job before the 202 goes out, so a crash or restart never loses
//! it: whichever instance is free claims it, and a claim whose worker died is taken over when
//! its lease runs out.

use super::catalog::{PushOutcome, push};
use crate::app::error::{AppError, AppResult};
use crate::db::{ingestions, stores};
use crate::domain::catalog::CatalogSet;
use crate::domain::error_code::ErrorCode;
use crate::domain::ingestion::Ingestion;
use crate::domain::problem::Problem;
use crate::domain::retry::Schedule;
use crate::input::parse_json;
use crate::outbound::{self, FetchError, Limits};
use crate::state::AppState;
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
pub fn per_organization(state: &AppState) -> i64 {
    i64::from(state.config.pull_organization_concurrency)
}

/// How long a claimed pull is ours before another instance may take it over.
pub fn lease(state: &AppState) -> chrono::Duration {
    chrono::Duration::from_std(state.config.pull_timeout * 3).unwrap_or(chrono::Duration::seconds(60))
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

/// Fetches and parses a catalog set from `url`, as the `attempt`th try (from 1); `url_path` is
/// the JSONPath of the field the partner gave the URL in. Shared by catalog pulls and store
/// onboarding, so both treat failures and retries the same way.
/// A fetch's retries: the configured base delay, doubling, until the configured attempts are made.
fn retries(state: &AppState) -> Schedule {
    Schedule::Doubling {
        base: chrono::Duration::from_std(state.config.pull_retry_base).unwrap_or(chrono::Duration::seconds(2)),
        attempts: state.config.pull_max_attempts.max(1) as u32,
    }
}

pub async fn fetch_catalog_set(state: &AppState, url: &str, url_path: &str, attempt: i32) -> Fetched {
    let limits = Limits {
        allow_private: state.config.allow_private_urls,
        timeout: state.config.pull_timeout,
        max_bytes: state.config.pull_max_bytes,
    };
    let body = match (outbound::fetch(url, limits).await, retries(state).after(attempt.max(1) as u32, 0.0)) {
        (Ok(body), _) => body,
        (Err(FetchError::Transient(error)), Some(delay)) => return Fetched::RetryAt(state.now() + delay, error),
        (Err(FetchError::Transient(error) | FetchError::Permanent(error)), _) => {
            let problem = Problem::at("FETCH_FAILED", url_path, error.clone());
            return Fetched::Failed(error, vec![problem]);
        }
    };
    match parse_json(&body) {
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

/// Claims and runs one due pull; `false` when there was none. `claimed` is called as soon as
/// a job is claimed, before the (possibly slow) fetch.
pub async fn run_one(state: &AppState, claimed: impl FnOnce()) -> AppResult<bool> {
    let Some(job) = ingestions::claim_next(&state.db, state.now(), lease(state), per_organization(state)).await? else {
        return Ok(false);
    };
    claimed();
    tracing::info!(ingestion_id = %job.id, store_id = %job.store_id, attempt = job.attempts, "pulling catalog set");
    let set = match fetch_catalog_set(state, &job.callback_url, "$.callbackUrl", job.attempts).await {
        Fetched::Set(set) => set,
        Fetched::RetryAt(at, error) => {
            tracing::warn!(ingestion_id = %job.id, %error, retry_at = %at, "catalog pull failed; will retry");
            ingestions::retry_later(&state.db, job.id, at, &error, state.now()).await?;
            return Ok(true);
        }
        Fetched::Failed(error, problems) => {
            tracing::warn!(ingestion_id = %job.id, %error, "catalog pull failed");
            ingestions::fail(&state.db, job.id, &error, problems, state.now()).await?;
            return Ok(true);
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
    Ok(true)
}
