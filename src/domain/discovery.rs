//! Discovery: which stores a partner is shown for a point, a fulfilment type and some text.
//! The query's rules (radius policy, text length, paging) live here, so every door that
//! discovers (REST, MCP) asks the same question.

use super::error_code::ErrorCode;
use super::geo::{round_coordinate, valid_coordinates};
use super::order::FulfillmentType;
use super::page::Page;
use super::problem::Problem;
use super::search::{Document, TextQuery};
use super::store::{Store, StoreStatus};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Stores farther than this from the given point are left out unless `radiusKm` says otherwise.
pub const DEFAULT_RADIUS_KM: f64 = 50.0;
pub const MAX_RADIUS_KM: f64 = 500.0;
pub const MAX_QUERY_LEN: usize = 100;
pub const MAX_CUISINE_LEN: usize = 50;

/// The problem of a point given by one coordinate only: a rule between parameters that the
/// OpenAPI document can only say in words, unlike a range or a length.
pub const LOCATION_PAIR: &str = "MISSING_COORDINATE";

/// The code for a query with these problems: INVALID_REQUEST when a parameter breaks what its
/// schema states, VALIDATION_FAILED when the parameters only break a rule between them.
pub fn refusal_code(problems: &[Problem]) -> ErrorCode {
    if problems.iter().all(|problem| problem.code == LOCATION_PAIR) {
        ErrorCode::ValidationFailed
    } else {
        ErrorCode::InvalidRequest
    }
}

/// A discovery query as asked (the REST query string, an agent's tool arguments): every field
/// optional, nothing checked yet.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveryRequest {
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub radius_km: Option<f64>,
    pub fulfillment_type: Option<String>,
    pub query: Option<String>,
    /// Only stores that take orders now: inside their opening hours in their own time zone, and
    /// not paused.
    pub open_now: Option<bool>,
    /// Only stores that list this cuisine (case does not matter).
    pub cuisine: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// A discovery query, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Discovery {
    pub near: Option<(f64, f64)>,
    pub radius_km: f64,
    pub fulfillment: Option<FulfillmentType>,
    /// Words to find in names, cuisines and menus.
    pub text: Option<TextQuery>,
    pub open_now: bool,
    /// Lower-case.
    pub cuisine: Option<String>,
    pub page: Page,
}

/// One store found, with its distance from the point asked about and, for a text query, up to
/// three of its item names that matched.
#[derive(Debug, Clone)]
pub struct Found {
    pub store: Store,
    pub distance_km: Option<f64>,
    pub matched_items: Option<Vec<String>>,
}

/// What discovery keeps of a store in its index (`discovery_entries`), derived from the store
/// alone; the menu's part is `Document`.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub location: [f64; 3],
    pub delivery_allowed: bool,
    pub pickup_allowed: bool,
    /// The delivery radius as a chord between unit vectors, compared with the chord the
    /// nearest-first scan computes anyway.
    pub delivery_reach: f64,
    pub paused: bool,
    pub resume_at: Option<DateTime<Utc>>,
    pub time_zone: String,
    pub open_hours: Vec<(i32, i32)>,
    pub cuisines: Vec<String>,
    pub name_words: Vec<String>,
    pub cuisine_words: Vec<String>,
}

impl Entry {
    pub fn of(store: &Store) -> Entry {
        let details = &store.details;
        let words = Document::new(&details.name, &details.cuisines, [], []);
        Entry {
            location: super::geo::unit_vector(details.address.latitude, details.address.longitude),
            delivery_allowed: details.delivery_allowed,
            pickup_allowed: details.pickup_allowed,
            delivery_reach: super::geo::chord_of_km(f64::try_from(details.delivery_radius_km).unwrap_or(0.0)),
            paused: store.pause.status == StoreStatus::Paused,
            resume_at: store.pause.resume_at,
            time_zone: details.timezone.clone(),
            // A time zone that does not parse closes the store (as `store::opening` does).
            open_hours: if details.time_zone().is_some() { details.schedule().week_ranges() } else { Vec::new() },
            cuisines: details.cuisines.iter().map(|c| cuisine_key(c)).collect(),
            name_words: words.name,
            cuisine_words: words.cuisines,
        }
    }
}

/// The menu's part of a store's index entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MenuEntry {
    pub words: Vec<String>,
    pub items_by_word: BTreeMap<String, Vec<String>>,
}

impl MenuEntry {
    pub fn of(set: &super::catalog::CatalogSet) -> MenuEntry {
        let sections = set.sections.values().map(|s| s.name.as_str());
        let items = set.items.values().map(|i| i.name.as_str());
        let document = Document::new("", &[], sections, items);
        MenuEntry { words: document.menu, items_by_word: document.items_by_word }
    }
}

/// A cuisine as it is stored in the index and compared with the `cuisine` parameter: trimmed,
/// lower-case. One rule for both sides, so "Italian " finds "italian".
pub fn cuisine_key(cuisine: &str) -> String {
    cuisine.trim().to_lowercase()
}

/// A count of matches, made by counting at most `cap` + 1, as `totalCount` shows it: the count
/// up to the cap, then the cap, and whether it is exact.
pub fn capped_total(matches: i64, cap: i64) -> (i64, bool) {
    (matches.min(cap), matches <= cap)
}

impl DiscoveryRequest {
    /// The checked query, or every problem with it at once.
    pub fn check(self) -> Result<Discovery, Vec<Problem>> {
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
                let missing = if self.latitude.is_none() { "$.latitude" } else { "$.longitude" };
                problems.push(Problem::at(LOCATION_PAIR, missing, "latitude and longitude go together"));
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
        let fulfillment = match self.fulfillment_type.as_deref() {
            None => None,
            Some(text) => FulfillmentType::parse(text).or_else(|| {
                problems.push(Problem::at(
                    "INVALID_PARAMETER",
                    "$.fulfillmentType",
                    format!("fulfillmentType must be Pickup or DeliveryByMerchant, got {text:?}"),
                ));
                None
            }),
        };
        if self.query.as_ref().is_some_and(|q| q.trim().chars().count() > MAX_QUERY_LEN) {
            problems.push(Problem::at(
                "INVALID_PARAMETER",
                "$.query",
                format!("query is at most {MAX_QUERY_LEN} characters"),
            ));
        }
        // Text with no word in it ("--") asks for nothing, like no text.
        let text = self.query.as_deref().and_then(TextQuery::parse);
        let cuisine = self.cuisine.as_deref().map(cuisine_key).filter(|c| !c.is_empty());
        if cuisine.as_ref().is_some_and(|c| c.chars().count() > MAX_CUISINE_LEN) {
            problems.push(Problem::at(
                "INVALID_PARAMETER",
                "$.cuisine",
                format!("cuisine is at most {MAX_CUISINE_LEN} characters"),
            ));
        }
        let open_now = self.open_now.unwrap_or(false);
        let page = Page::check(self.limit, self.offset).map_err(|page_problems| problems.extend(page_problems));
        match page {
            Ok(page) if problems.is_empty() => {
                Ok(Discovery { near, radius_km, fulfillment, text, open_now, cuisine, page })
            }
            _ => Err(problems),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_of_a_query_is_reported_at_once() {
        let bad = DiscoveryRequest {
            latitude: Some(91.0),
            longitude: Some(0.0),
            radius_km: Some(0.0),
            fulfillment_type: Some("Drone".into()),
            query: Some("x".repeat(MAX_QUERY_LEN + 1)),
            limit: Some(0),
            ..Default::default()
        };
        let paths: Vec<_> = bad.check().unwrap_err().into_iter().filter_map(|p| p.json_path).collect();
        assert_eq!(paths, ["$.latitude", "$.radiusKm", "$.fulfillmentType", "$.query", "$.limit"]);
    }

    #[test]
    fn a_count_past_the_cap_is_the_cap_and_says_so() {
        assert_eq!(capped_total(0, 3), (0, true));
        assert_eq!(capped_total(3, 3), (3, true));
        assert_eq!(capped_total(4, 3), (3, false));
    }

    #[test]
    fn a_plain_query_gets_the_default_radius_and_page() {
        let checked = DiscoveryRequest { query: Some("  Bagels ".into()), ..Default::default() }.check().unwrap();
        assert_eq!(checked.radius_km, DEFAULT_RADIUS_KM);
        assert_eq!(checked.text.map(|t| t.words), Some(vec!["bagels".to_string()]));
        assert_eq!(checked.page, Page { limit: super::super::page::DEFAULT_LIMIT, offset: 0, after: None });
        assert_eq!(checked.fulfillment, None);
    }
}
