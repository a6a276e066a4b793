//! `/v1/marketplace/…`: what a distribution partner calls to find stores and read menus.

use crate::app::error::AppResult;
use crate::app::{catalog, stores};
use crate::domain::discovery::DiscoveryRequest;
use crate::domain::error_code::ErrorCode;
use crate::http::auth::Distribution;
use crate::http::extract::{QueryParams, parse_id};
use crate::http::views::{CatalogSetView, DiscoveryPage, StoreView};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/marketplace/stores", get(discover_stores))
        .route("/v1/marketplace/stores/{store_id}", get(get_store))
        .route("/v1/marketplace/catalog-sets/{catalog_set_id}", get(get_catalog_set))
}

async fn discover_stores(
    State(state): State<AppState>,
    _caller: Distribution,
    QueryParams(request): QueryParams<DiscoveryRequest>,
) -> AppResult<Json<DiscoveryPage>> {
    let listed = stores::discover(&state, request).await?;
    Ok(Json(DiscoveryPage::of(listed, state.now())))
}

async fn get_store(
    State(state): State<AppState>,
    _caller: Distribution,
    Path(raw): Path<String>,
) -> AppResult<Json<StoreView>> {
    let id = parse_id(&raw, ErrorCode::StoreNotFound, "store")?;
    Ok(Json(StoreView::of(stores::get(&state, id).await?, state.now(), None)))
}

async fn get_catalog_set(
    State(state): State<AppState>,
    _caller: Distribution,
    Path(raw): Path<String>,
) -> AppResult<Json<CatalogSetView>> {
    let id = parse_id(&raw, ErrorCode::CatalogsetNotFound, "catalog set")?;
    Ok(Json(catalog::get(&state, id).await?.into()))
}
