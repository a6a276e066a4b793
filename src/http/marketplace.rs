//! `/v1/marketplace/…`: what a distribution partner calls to find stores and read menus.

use super::auth::Distribution;
use super::extract::{QueryParams, parse_id};
use super::pagination::Page;
use super::views::{CatalogSetView, StorePage, StoreView};
use crate::app::error::{AppError, AppResult};
use crate::app::{catalog, stores};
use crate::db::stores::Discovery;
use crate::domain::error_code::ErrorCode;
use crate::domain::geo::{round_coordinate, valid_coordinates};
use crate::domain::problem::Problem;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/marketplace/stores", get(discover))
        .route("/v1/marketplace/stores/{store_id}", get(get_store))
        .route("/v1/marketplace/catalog-sets/{catalog_set_id}", get(get_catalog_set))
}

/// Stores farther than this from the given point are left out unless `radiusKm` says otherwise.
const DEFAULT_RADIUS_KM: f64 = 50.0;
const MAX_RADIUS_KM: f64 = 500.0;
const MAX_QUERY_LEN: usize = 100;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DiscoveryQuery {
    latitude: Option<f64>,
    longitude: Option<f64>,
    radius_km: Option<f64>,
    fulfillment_type: Option<String>,
    query: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

impl DiscoveryQuery {
    fn check(self) -> Result<Discovery, AppError> {
        let mut problems = Vec::new();
        let near = match (self.latitude, self.longitude) {
            (Some(lat), Some(lon)) if valid_coordinates(lat, lon) => {
                Some((round_coordinate(lat), round_coordinate(lon)))
            }
            (None, None) => None,
            (Some(_), Some(_)) => {
                problems.push(Problem::at(
                    "INVALID_PARAMETER",
                    "$.latitude",
                    "latitude must be within ±90 and longitude within ±180",
                ));
                None
            }
            _ => {
                problems.push(Problem::at("INVALID_PARAMETER", "$.latitude", "latitude and longitude go together"));
                None
            }
        };
        let radius_km = self.radius_km.unwrap_or(DEFAULT_RADIUS_KM);
        if !(radius_km > 0.0 && radius_km <= MAX_RADIUS_KM) {
            problems.push(Problem::at(
                "INVALID_PARAMETER",
                "$.radiusKm",
                format!("radiusKm must be above 0 and at most {MAX_RADIUS_KM}"),
            ));
        }
        let delivery = match self.fulfillment_type.as_deref() {
            None => None,
            Some("Pickup") => Some(false),
            Some("DeliveryByMerchant") => Some(true),
            Some(other) => {
                problems.push(Problem::at(
                    "INVALID_PARAMETER",
                    "$.fulfillmentType",
                    format!("fulfillmentType must be Pickup or DeliveryByMerchant, got {other:?}"),
                ));
                None
            }
        };
        let text = self.query.map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty());
        if text.as_ref().is_some_and(|q| q.chars().count() > MAX_QUERY_LEN) {
            problems.push(Problem::at(
                "INVALID_PARAMETER",
                "$.query",
                format!("query is at most {MAX_QUERY_LEN} characters"),
            ));
        }
        let page = Page::check(self.limit, self.offset);
        if let Err(error) = &page {
            problems.extend(error.errors().iter().cloned());
        }
        match page {
            Ok(page) if problems.is_empty() => {
                Ok(Discovery { near, radius_km, delivery, text, limit: page.limit, offset: page.offset })
            }
            _ => Err(AppError::invalid_request("Some query parameters are invalid.").with_errors(problems)),
        }
    }
}

async fn discover(
    State(state): State<AppState>,
    _caller: Distribution,
    QueryParams(query): QueryParams<DiscoveryQuery>,
) -> AppResult<Json<StorePage>> {
    let discovery = query.check()?;
    let (rows, total) = stores::discover(&state, &discovery).await?;
    let now = state.now();
    Ok(Json(StorePage {
        stores: rows.into_iter().map(|found| StoreView::of(found.store, now, found.distance_km)).collect(),
        total_count: total,
        has_more: discovery.offset + discovery.limit < total,
    }))
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
