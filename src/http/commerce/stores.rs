//! `/v1/commerce/…`: what a restaurant system calls to describe its stores and menus.

use crate::domain::cursor::ListKind;
use crate::http::auth::Commerce;
use crate::http::extract::{JsonBody, QueryParams, parse_id};

use crate::app::error::AppResult;
use crate::app::{catalog, ingest, stores};
use crate::domain::catalog::CatalogSet;
use crate::domain::error_code::ErrorCode;
use crate::domain::item_availability::AvailabilityUpdate;
use crate::domain::store::{StatusUpdate, StoreDetails};
use crate::http::views::{CatalogSetView, HeldItemView, IngestionView, StatusResponse, StorePage, StoreView};
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;

/// A whole menu may be larger than other bodies.
pub const CATALOG_BODY_LIMIT: usize = 5 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/commerce/stores", get(list_stores))
        .route("/v1/commerce/stores/{store_id}", get(get_store).put(upsert_store))
        .route("/v1/commerce/stores/{store_id}/status", get(get_store_status).post(update_store_status))
        .route(
            "/v1/commerce/stores/{store_id}/catalog-set",
            put(push_catalog_set).get(get_catalog_set).layer(DefaultBodyLimit::max(CATALOG_BODY_LIMIT)),
        )
        .route("/v1/commerce/stores/{store_id}/item-availability", put(set_item_availability))
        .route("/v1/commerce/catalogset-notification", post(request_catalog_pull))
        .route("/v1/commerce/catalogset-ingestions/{ingestion_id}", get(get_ingestion))
}

fn store_id(raw: &str) -> AppResult<uuid::Uuid> {
    parse_id(raw, ErrorCode::StoreNotFound, "store")
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    limit: Option<i64>,
    offset: Option<i64>,
    cursor: Option<String>,
}

async fn list_stores(
    State(state): State<AppState>,
    Commerce(caller): Commerce,
    QueryParams(query): QueryParams<ListQuery>,
) -> AppResult<Json<StorePage>> {
    let page = crate::app::list_page(query.limit, query.offset, query.cursor.as_deref(), ListKind::Stores)?;
    let now = state.now();
    let listed = stores::list_owned(&state, caller.organization_id, page).await?;
    Ok(Json(StorePage::from(listed.map(|store| StoreView::of(store, now, None)))))
}

async fn get_store(
    State(state): State<AppState>,
    Commerce(caller): Commerce,
    Path(raw): Path<String>,
) -> AppResult<Json<StoreView>> {
    let row = stores::get_owned(&state, caller.organization_id, store_id(&raw)?).await?;
    Ok(Json(StoreView::of(row, state.now(), None)))
}

/// 201 when the store is new, 200 when it replaced an existing description.
async fn upsert_store(
    State(state): State<AppState>,
    Commerce(caller): Commerce,
    Path(raw): Path<String>,
    JsonBody(details): JsonBody<StoreDetails>,
) -> AppResult<Response> {
    let id = store_id(&raw)?;
    let saved = stores::upsert(&state, caller.organization_id, id, details).await?;
    let status = if saved.created { StatusCode::CREATED } else { StatusCode::OK };
    let location = format!("/v1/commerce/stores/{id}");
    Ok((status, [(header::LOCATION, location)], Json(StoreView::of(saved.record, state.now(), None))).into_response())
}

async fn get_store_status(
    State(state): State<AppState>,
    Commerce(caller): Commerce,
    Path(raw): Path<String>,
) -> AppResult<Json<StatusResponse>> {
    let row = stores::get_owned(&state, caller.organization_id, store_id(&raw)?).await?;
    Ok(Json(StatusResponse::of(&row, state.now())))
}

async fn update_store_status(
    State(state): State<AppState>,
    Commerce(caller): Commerce,
    Path(raw): Path<String>,
    JsonBody(update): JsonBody<StatusUpdate>,
) -> AppResult<Json<StatusResponse>> {
    let row = stores::update_status(&state, caller.organization_id, store_id(&raw)?, &update).await?;
    Ok(Json(StatusResponse::of(&row, state.now())))
}

async fn push_catalog_set(
    State(state): State<AppState>,
    Commerce(caller): Commerce,
    Path(raw): Path<String>,
    JsonBody(set): JsonBody<CatalogSet>,
) -> AppResult<Response> {
    let saved = catalog::push_for_api(&state, caller.organization_id, store_id(&raw)?, set).await?;
    let status = if saved.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(CatalogSetView::from(saved.record))).into_response())
}

async fn get_catalog_set(
    State(state): State<AppState>,
    Commerce(caller): Commerce,
    Path(raw): Path<String>,
) -> AppResult<Json<CatalogSetView>> {
    let row = catalog::get_for_owned_store(&state, caller.organization_id, store_id(&raw)?).await?;
    Ok(Json(row.into()))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NotificationQuery {
    store_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    callback_url: String,
}

/// 202: the pull happens in the background; `Location` is where to read how it went.
async fn request_catalog_pull(
    State(state): State<AppState>,
    Commerce(caller): Commerce,
    QueryParams(query): QueryParams<NotificationQuery>,
    JsonBody(body): JsonBody<Notification>,
) -> AppResult<Response> {
    let row =
        ingest::request_pull(&state, caller.organization_id, store_id(&query.store_id)?, &body.callback_url).await?;
    let location = format!("/v1/commerce/catalogset-ingestions/{}", row.id);
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, location)], Json(IngestionView::from(row))).into_response())
}

async fn get_ingestion(
    State(state): State<AppState>,
    Commerce(caller): Commerce,
    Path(raw): Path<String>,
) -> AppResult<Json<IngestionView>> {
    let id = parse_id(&raw, ErrorCode::NotFound, "catalog ingestion")?;
    Ok(Json(ingest::get(&state, caller.organization_id, id).await?.into()))
}

#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ItemAvailabilityView {
    store_id: uuid::Uuid,
    /// Every item held back now, after the update.
    items: Vec<HeldItemView>,
}

/// 200 with the items held back now: the sparse marks of what is out of stock, kept across menu
/// pushes, each restored by itself at its `until`.
async fn set_item_availability(
    State(state): State<AppState>,
    Commerce(caller): Commerce,
    Path(raw): Path<String>,
    JsonBody(update): JsonBody<AvailabilityUpdate>,
) -> AppResult<Json<ItemAvailabilityView>> {
    let id = store_id(&raw)?;
    let held = catalog::set_availability(&state, caller.organization_id, id, &update).await?;
    Ok(Json(ItemAvailabilityView { store_id: id, items: held.into_iter().map(HeldItemView::of).collect() }))
}
