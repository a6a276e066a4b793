//! Discovery: which stores a partner is shown for a point, a fulfilment type and some text.
//! The query's rules (radius policy, text length, paging) live here, so every door that
//! discovers (REST, MCP) asks the same question.

use super::error_code::ErrorCode;
use super::geo::{round_coordinate, valid_coordinates};
use super::order::FulfillmentType;
use super::page::Page;
use super::problem::Problem;
use super::store::Store;
use serde::Deserialize;

/// Stores farther than this from the given point are left out unless `radiusKm` says otherwise.
pub const DEFAULT_RADIUS_KM: f64 = 50.0;
pub const MAX_RADIUS_KM: f64 = 500.0;
pub const MAX_QUERY_LEN: usize = 100;

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
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// A discovery query, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Discovery {
    pub near: Option<(f64, f64)>,
    pub radius_km: f64,
    pub fulfillment: Option<FulfillmentType>,
    /// Lower-case text to find in names, cuisines and menus.
    pub text: Option<String>,
    pub page: Page,
}

/// One store found, with its distance from the point asked about.
#[derive(Debug, Clone)]
pub struct Found {
    pub store: Store,
    pub distance_km: Option<f64>,
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
        let text = self.query.map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty());
        if text.as_ref().is_some_and(|q| q.chars().count() > MAX_QUERY_LEN) {
            problems.push(Problem::at(
                "INVALID_PARAMETER",
                "$.query",
                format!("query is at most {MAX_QUERY_LEN} characters"),
            ));
        }
        let page = Page::check(self.limit, self.offset).map_err(|page_problems| problems.extend(page_problems));
        match page {
            Ok(page) if problems.is_empty() => Ok(Discovery { near, radius_km, fulfillment, text, page }),
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
    fn a_plain_query_gets_the_default_radius_and_page() {
        let checked = DiscoveryRequest { query: Some("  Bagels ".into()), ..Default::default() }.check().unwrap();
        assert_eq!(checked.radius_km, DEFAULT_RADIUS_KM);
        assert_eq!(checked.text.as_deref(), Some("bagels"));
        assert_eq!(checked.page, Page { limit: super::super::page::DEFAULT_LIMIT, offset: 0 });
        assert_eq!(checked.fulfillment, None);
    }
}
