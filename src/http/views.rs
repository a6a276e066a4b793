//! Response bodies: how stored rows look on the wire.

use crate::app::Listed;
use crate::domain::catalog::CatalogSet;
use crate::domain::catalog::StoredCatalogSet;
use crate::domain::discovery::Found;
use crate::domain::ingestion::{Ingestion, IngestionStatus};
use crate::domain::problem::Problem;
use crate::domain::store::{Store, StoreDetails, opening};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreView {
    pub store_id: Uuid,
    #[serde(flatten)]
    pub details: StoreDetails,
    #[serde(flatten)]
    pub status: StoreStatusView,
    pub catalog_set_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreStatusView {
    pub status: &'static str,
    pub pause_reason: Option<String>,
    pub resume_at: Option<DateTime<Utc>>,
    /// While busy: the minutes every new order takes longer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_preparation_minutes: Option<u32>,
    pub is_open: bool,
    pub next_open_at: Option<DateTime<Utc>>,
}

impl StoreStatusView {
    pub fn of(row: &Store, now: DateTime<Utc>) -> Self {
        let pause = row.pause.effective(now);
        let opening = opening(&row.details, &row.pause, now);
        StoreStatusView {
            status: pause.status.as_str(),
            pause_reason: pause.reason,
            resume_at: pause.resume_at,
            extra_preparation_minutes: pause.extra_preparation_minutes,
            is_open: opening.is_open,
            next_open_at: opening.next_open_at,
        }
    }
}

impl StoreView {
    pub fn of(row: Store, now: DateTime<Utc>, distance_km: Option<f64>) -> Self {
        let status = StoreStatusView::of(&row, now);
        StoreView {
            store_id: row.id,
            details: row.details,
            status,
            catalog_set_id: row.catalog_set_id,
            // Two decimals: enough to sort and show, not enough to pretend to survey precision.
            distance_km: distance_km.map(|d| (d * 100.0).round() / 100.0),
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// `GET|POST /v1/commerce/stores/{id}/status`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusResponse {
    pub store_id: Uuid,
    #[serde(flatten)]
    pub status: StoreStatusView,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

impl StatusResponse {
    pub fn of(row: &Store, now: DateTime<Utc>) -> Self {
        StatusResponse {
            store_id: row.id,
            status: StoreStatusView::of(row, now),
            version: row.version,
            updated_at: row.updated_at,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogSetView {
    pub store_id: Uuid,
    #[serde(flatten)]
    pub set: CatalogSet,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The items the restaurant holds back now (shown `available: false` in `items` too).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub item_availability: Vec<HeldItemView>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldItemView {
    pub item_id: String,
    pub available: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_again_at: Option<DateTime<Utc>>,
}

impl HeldItemView {
    pub fn of(held: crate::app::catalog::HeldItem) -> Self {
        HeldItemView { item_id: held.item_id, available: false, available_again_at: held.until }
    }
}

impl From<StoredCatalogSet> for CatalogSetView {
    fn from(row: StoredCatalogSet) -> Self {
        CatalogSetView {
            store_id: row.store_id,
            set: row.document,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
            item_availability: Vec::new(),
        }
    }
}

impl From<crate::app::catalog::Browsed> for CatalogSetView {
    fn from(browsed: crate::app::catalog::Browsed) -> Self {
        CatalogSetView {
            item_availability: browsed.held_back.into_iter().map(HeldItemView::of).collect(),
            ..CatalogSetView::from(browsed.set)
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngestionView {
    pub ingestion_id: Uuid,
    pub store_id: Uuid,
    pub callback_url: String,
    pub status: IngestionStatus,
    pub attempts: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub errors: Vec<Problem>,
    pub catalog_set_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl From<Ingestion> for IngestionView {
    fn from(row: Ingestion) -> Self {
        IngestionView {
            ingestion_id: row.id,
            store_id: row.store_id,
            callback_url: row.callback_url,
            next_attempt_at: (row.status == IngestionStatus::Pending).then_some(row.next_attempt_at),
            status: row.status,
            attempts: row.attempts,
            last_error: row.last_error,
            errors: row.errors,
            catalog_set_id: row.catalog_set_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
            completed_at: row.completed_at,
        }
    }
}

/// A page of a commerce partner's stores.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StorePage {
    pub stores: Vec<StoreView>,
    pub total_count: i64,
    pub total_count_exact: bool,
    pub has_more: bool,
    pub next_cursor: Option<String>,
}

/// `GET /v1/marketplace/stores`: a page of discovery, with the count capped.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveryPage {
    pub stores: Vec<DiscoveredStore>,
    pub total_count: i64,
    pub total_count_exact: bool,
    pub has_more: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveredStore {
    #[serde(flatten)]
    pub store: StoreView,
    /// For a text query only: up to three item names that matched it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_items: Option<Vec<String>>,
}

impl DiscoveryPage {
    pub fn of(listed: Listed<Found>, now: DateTime<Utc>) -> Self {
        DiscoveryPage {
            total_count: listed.total,
            total_count_exact: listed.total_exact,
            has_more: listed.has_more,
            stores: listed
                .items
                .into_iter()
                .map(|found| DiscoveredStore {
                    store: StoreView::of(found.store, now, found.distance_km),
                    matched_items: found.matched_items,
                })
                .collect(),
        }
    }
}

impl From<Listed<StoreView>> for StorePage {
    fn from(listed: Listed<StoreView>) -> Self {
        StorePage {
            stores: listed.items,
            total_count: listed.total,
            total_count_exact: listed.total_exact,
            has_more: listed.has_more,
            next_cursor: listed.next_cursor,
        }
    }
}
