//! A restaurant's out-of-stock marks ("86 an item") without a menu push: the request and its
//! rules. The overlay itself lives with the menu (`snapshot::MenuSnapshot::availability`).

use super::catalog::CatalogSet;
use super::problem::Problem;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::HashSet;

/// Items one request may change.
pub const MAX_ITEMS: usize = 500;
/// The furthest ahead an item may be held back until.
pub const MAX_UNTIL_DAYS: i64 = 365;

/// `PUT /v1/commerce/stores/{storeId}/item-availability`, as sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AvailabilityUpdate {
    pub items: Vec<ItemAvailability>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemAvailability {
    pub item_id: String,
    pub available: bool,
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
}

/// One change to make, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    HoldBack { item_id: String, until: Option<DateTime<Utc>> },
    Release { item_id: String },
}

/// Why the request cannot be applied: its shape (`Malformed`, a 400), or what only the menu
/// and the clock can say (`Invalid`, a 422); every problem is listed.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    Malformed(Vec<Problem>),
    Invalid(Vec<Problem>),
}

/// Checks every entry against the store's menu and the clock.
pub fn check(update: &AvailabilityUpdate, menu: &CatalogSet, now: DateTime<Utc>) -> Result<Vec<Change>, Refusal> {
    if update.items.is_empty() || update.items.len() > MAX_ITEMS {
        let message = format!("items lists between 1 and {MAX_ITEMS} entries");
        return Err(Refusal::Malformed(vec![Problem::at("INVALID_FIELD", "$.items", message)]));
    }
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    let mut changes = Vec::with_capacity(update.items.len());
    for (i, entry) in update.items.iter().enumerate() {
        let at = |field: &str| format!("$.items[{i}].{field}");
        if !menu.items.contains_key(&entry.item_id) {
            problems.push(
                Problem::at("UNKNOWN_ITEM", at("itemId"), format!("the store's menu has no item {:?}", entry.item_id))
                    .with_item(entry.item_id.clone()),
            );
            continue;
        }
        if !seen.insert(entry.item_id.as_str()) {
            problems.push(Problem::at("DUPLICATE_ITEM", at("itemId"), format!("{:?} is listed twice", entry.item_id)));
            continue;
        }
        match (entry.available, entry.until) {
            (true, Some(_)) => {
                problems.push(Problem::at("INVALID_FIELD", at("until"), "until goes with available: false"));
            }
            (true, None) => changes.push(Change::Release { item_id: entry.item_id.clone() }),
            (false, Some(until)) if until <= now => {
                problems.push(Problem::at("INVALID_FIELD", at("until"), "until must be in the future"));
            }
            (false, Some(until)) if until > now + chrono::Duration::days(MAX_UNTIL_DAYS) => {
                let message = format!("until is at most {MAX_UNTIL_DAYS} days ahead");
                problems.push(Problem::at("INVALID_FIELD", at("until"), message));
            }
            (false, until) => changes.push(Change::HoldBack { item_id: entry.item_id.clone(), until }),
        }
    }
    if problems.is_empty() { Ok(changes) } else { Err(Refusal::Invalid(problems)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn menu() -> CatalogSet {
        serde_json::from_value(serde_json::json!({
            "catalogSetId": "0195a1b0-0000-7000-8000-000000000102", "currency": "USD",
            "items": {
                "bagel": {"itemId": "bagel", "name": "Bagel", "basePrice": 2},
                "latte": {"itemId": "latte", "name": "Latte", "basePrice": 4}
            }
        }))
        .unwrap()
    }

    fn entry(item_id: &str, available: bool, until: Option<DateTime<Utc>>) -> ItemAvailability {
        ItemAvailability { item_id: item_id.into(), available, until }
    }

    #[test]
    fn every_problem_is_listed_and_nothing_is_applied() {
        let now = Utc::now();
        let update = AvailabilityUpdate {
            items: vec![
                entry("bagel", false, Some(now - chrono::Duration::minutes(1))),
                entry("nope", false, None),
                entry("latte", true, Some(now + chrono::Duration::hours(1))),
                entry("latte", false, None),
            ],
        };
        let Err(Refusal::Invalid(problems)) = check(&update, &menu(), now) else { panic!("refused") };
        let paths: Vec<_> = problems.iter().map(|p| p.json_path.clone().unwrap()).collect();
        assert_eq!(paths, ["$.items[0].until", "$.items[1].itemId", "$.items[2].until", "$.items[3].itemId"]);
    }

    #[test]
    fn holds_and_releases() {
        let now = Utc::now();
        let later = now + chrono::Duration::hours(2);
        let update = AvailabilityUpdate { items: vec![entry("bagel", false, Some(later)), entry("latte", true, None)] };
        assert_eq!(
            check(&update, &menu(), now),
            Ok(vec![
                Change::HoldBack { item_id: "bagel".into(), until: Some(later) },
                Change::Release { item_id: "latte".into() }
            ])
        );
        assert!(matches!(check(&AvailabilityUpdate { items: vec![] }, &menu(), now), Err(Refusal::Malformed(_))));
    }
}
