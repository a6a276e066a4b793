//! `/v1/commerce/onboarding/stores…`: a commerce partner brings a new store live by itself.

use crate::domain::cursor::ListKind;
use crate::http::auth::Commerce;
use crate::http::extract::{JsonBody, QueryParams, parse_id};

use crate::app::error::AppResult;
use crate::app::onboarding::{self, Registration};
use crate::app::webhooks::EndpointView;
use crate::domain::error_code::ErrorCode;
use crate::domain::onboarding::OnboardingStatus;
use crate::domain::onboarding::{Onboarding, Transition};
use crate::domain::problem::Problem;
use crate::domain::store::StoreDetails;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/commerce/onboarding/stores", post(create_onboarding).get(list_onboardings))
        .route("/v1/commerce/onboarding/stores/{onboarding_id}", get(get_onboarding).delete(cancel_onboarding))
        .route("/v1/commerce/onboarding/stores/{onboarding_id}/activate", post(activate_onboarding))
        .route("/v1/commerce/onboarding/stores/{onboarding_id}/refetch", post(refetch_onboarding))
}

/// An onboarding as its partner sees it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OnboardingView {
    pub onboarding_id: Uuid,
    pub partner_store_id: String,
    pub status: String,
    pub store: StoreDetails,
    pub catalog_callback_url: String,
    pub webhook_url: String,
    /// Fetch attempts of the current fetch.
    pub attempts: i32,
    /// While the fetch waits for its next attempt (absent while an attempt is under way).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Every problem found with the catalog (or why it could not be fetched).
    pub errors: Vec<Problem>,
    /// The fetched catalog set's id, once it passed every check.
    pub catalog_set_id: Option<Uuid>,
    /// The live store, once active.
    pub store_id: Option<Uuid>,
    pub webhook_endpoint_id: Option<Uuid>,
    pub history: Vec<Transition>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Onboarding> for OnboardingView {
    fn from(row: Onboarding) -> Self {
        let waiting = row.status == OnboardingStatus::FetchingCatalog && row.locked_until.is_none();
        OnboardingView {
            onboarding_id: row.id,
            partner_store_id: row.partner_store_id,
            status: row.status.as_str().to_string(),
            store: row.details,
            catalog_callback_url: row.catalog_callback_url,
            webhook_url: row.webhook_url,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at.filter(|_| waiting),
            last_error: row.last_error,
            errors: row.errors,
            catalog_set_id: row.catalog_set_id,
            store_id: row.store_id,
            webhook_endpoint_id: row.webhook_endpoint_id,
            history: row.history,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct OnboardingPage {
    onboardings: Vec<OnboardingView>,
    total_count: i64,
    total_count_exact: bool,
    has_more: bool,
    next_cursor: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ActivationView {
    #[serde(flatten)]
    onboarding: OnboardingView,
    webhook_endpoint: EndpointView,
}

fn onboarding_id(raw: &str) -> AppResult<Uuid> {
    parse_id(raw, ErrorCode::NotFound, "store onboarding")
}

fn location(id: Uuid) -> (header::HeaderName, String) {
    (header::LOCATION, format!("/v1/commerce/onboarding/stores/{id}"))
}

/// 202 for a new onboarding (its catalog is fetched in the background); 200 with the existing
/// one when the `partnerStoreId` is already being onboarded or is live.
async fn create_onboarding(
    State(state): State<AppState>,
    Commerce(caller): Commerce,
    JsonBody(body): JsonBody<Registration>,
) -> AppResult<Response> {
    let saved = onboarding::register(&state, caller.organization_id, body).await?;
    let status = if saved.created { StatusCode::ACCEPTED } else { StatusCode::OK };
    Ok((status, [location(saved.record.id)], Json(OnboardingView::from(saved.record))).into_response())
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    limit: Option<i64>,
    offset: Option<i64>,
    cursor: Option<String>,
    status: Option<String>,
}

async fn list_onboardings(
    State(state): State<AppState>,
    Commerce(caller): Commerce,
    QueryParams(query): QueryParams<ListQuery>,
) -> AppResult<Json<OnboardingPage>> {
    let page = crate::app::list_page(query.limit, query.offset, query.cursor.as_deref(), ListKind::Onboardings)?;
    let listed = onboarding::list(&state, caller.organization_id, query.status.as_deref(), page).await?;
    Ok(Json(OnboardingPage {
        onboardings: listed.items.into_iter().map(OnboardingView::from).collect(),
        total_count: listed.total,
        total_count_exact: listed.total_exact,
        has_more: listed.has_more,
        next_cursor: listed.next_cursor,
    }))
}

async fn get_onboarding(
    State(state): State<AppState>,
    Commerce(caller): Commerce,
    Path(raw): Path<String>,
) -> AppResult<Json<OnboardingView>> {
    let row = onboarding::get(&state, caller.organization_id, onboarding_id(&raw)?).await?;
    Ok(Json(row.into()))
}

async fn cancel_onboarding(
    State(state): State<AppState>,
    Commerce(caller): Commerce,
    Path(raw): Path<String>,
) -> AppResult<Json<OnboardingView>> {
    let row = onboarding::cancel(&state, caller.organization_id, onboarding_id(&raw)?).await?;
    Ok(Json(row.into()))
}

/// 202: the fetch happens in the background, as on registration.
async fn refetch_onboarding(
    State(state): State<AppState>,
    Commerce(caller): Commerce,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    let row = onboarding::refetch(&state, caller.organization_id, onboarding_id(&raw)?).await?;
    Ok((StatusCode::ACCEPTED, [location(row.id)], Json(OnboardingView::from(row))).into_response())
}

async fn activate_onboarding(
    State(state): State<AppState>,
    Commerce(caller): Commerce,
    Path(raw): Path<String>,
) -> AppResult<Json<ActivationView>> {
    let activated = onboarding::activate(&state, caller.organization_id, onboarding_id(&raw)?).await?;
    Ok(Json(ActivationView { onboarding: activated.onboarding.into(), webhook_endpoint: activated.webhook_endpoint }))
}
