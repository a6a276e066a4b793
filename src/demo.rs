//! Demo data a newcomer can call at once: two partner organisations with published keys, four
//! stores in two time zones (one paused, one pickup-only, one open around the clock), and menus
//! with required and optional modifier groups, nested sections, an unavailable item and a
//! breakfast-only catalog. Loading twice changes nothing.

use crate::app::catalog::{PushOutcome, push};
use crate::app::keys;
use crate::app::stores;
use crate::auth::OrgKind;
use crate::domain::catalog::CatalogSet;
use crate::domain::store::{StatusUpdate, StoreDetails};
use crate::state::AppState;
use serde_json::{Value, json};
use uuid::Uuid;

/// Published on purpose: demo databases only. `keys revoke` them anywhere that matters.
pub const DISTRIBUTION_KEY: &str = "mfk_demodistrib0_public-demo-key-for-local-use-only";
pub const COMMERCE_KEY: &str = "mfk_democommerce_public-demo-key-for-local-use-only";

pub const BROOKLYN_SLICE: Uuid = Uuid::from_u128(0x0195a1b0_0000_7000_8000_000000000001);
pub const MIDTOWN_BAGELS: Uuid = Uuid::from_u128(0x0195a1b0_0000_7000_8000_000000000002);
pub const SUNSET_TACOS: Uuid = Uuid::from_u128(0x0195a1b0_0000_7000_8000_000000000003);
pub const MISSION_NOODLES: Uuid = Uuid::from_u128(0x0195a1b0_0000_7000_8000_000000000004);

fn every_day(start: &str, end: &str) -> Value {
    let days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    Value::Array(days.iter().map(|d| json!({"dayOfWeek": d, "start": start, "end": end})).collect())
}

fn address(street: &str, city: &str, state: &str, postal: &str, lat: f64, lon: f64) -> Value {
    json!({"street": street, "city": city, "state": state, "postalCode": postal, "country": "US", "latitude": lat, "longitude": lon})
}

fn stores_json() -> Vec<(Uuid, Value)> {
    vec![
        (
            BROOKLYN_SLICE,
            json!({
                "name": "Brooklyn Slice", "phone": "+1-718-555-0101", "timezone": "America/New_York",
                "address": address("215 Atlantic Ave", "Brooklyn", "NY", "11201", 40.6903, -73.9927),
                "cuisines": ["pizza", "italian"], "deliveryAllowed": true, "pickupAllowed": true,
                "minimumOrderAmount": 15, "deliveryFee": 3.99, "serviceFeeRate": 0.05, "taxRate": 0.08875, "deliveryRadiusKm": 6,
                "availability": [
                    {"dayOfWeek": "Monday", "start": "11:00:00", "end": "23:00:00"},
                    {"dayOfWeek": "Tuesday", "start": "11:00:00", "end": "23:00:00"},
                    {"dayOfWeek": "Wednesday", "start": "11:00:00", "end": "23:00:00"},
                    {"dayOfWeek": "Thursday", "start": "11:00:00", "end": "23:00:00"},
                    {"dayOfWeek": "Friday", "start": "11:00:00", "end": "02:00:00"},
                    {"dayOfWeek": "Saturday", "start": "11:00:00", "end": "02:00:00"},
                    {"dayOfWeek": "Sunday", "start": "12:00:00", "end": "22:00:00"}
                ]
            }),
        ),
        (
            MIDTOWN_BAGELS,
            json!({
                "name": "Midtown Bagels", "phone": "+1-212-555-0102", "timezone": "America/New_York",
                "address": address("350 5th Ave", "New York", "NY", "10118", 40.7484, -73.9857),
                "cuisines": ["bagels", "breakfast", "coffee"], "deliveryAllowed": false, "pickupAllowed": true,
                "minimumOrderAmount": 0, "deliveryFee": 0, "serviceFeeRate": 0.03, "taxRate": 0.08875, "deliveryRadiusKm": 0,
                "availability": every_day("00:00:00", "00:00:00")
            }),
        ),
        (
            SUNSET_TACOS,
            json!({
                "name": "Sunset Tacos", "phone": "+1-323-555-0103", "timezone": "America/Los_Angeles",
                "address": address("4500 Sunset Blvd", "Los Angeles", "CA", "90027", 34.0983, -118.2923),
                "cuisines": ["mexican", "tacos"], "deliveryAllowed": true, "pickupAllowed": true,
                "minimumOrderAmount": 10, "deliveryFee": 2.99, "serviceFeeRate": 0.04, "taxRate": 0.095, "deliveryRadiusKm": 8,
                "availability": [
                    {"dayOfWeek": "Monday", "start": "11:00:00", "end": "22:00:00"},
                    {"dayOfWeek": "Tuesday", "start": "11:00:00", "end": "22:00:00"},
                    {"dayOfWeek": "Wednesday", "start": "11:00:00", "end": "22:00:00"},
                    {"dayOfWeek": "Thursday", "start": "17:00:00", "end": "03:00:00"},
                    {"dayOfWeek": "Friday", "start": "17:00:00", "end": "03:00:00"},
                    {"dayOfWeek": "Saturday", "start": "17:00:00", "end": "03:00:00"},
                    {"dayOfWeek": "Sunday", "start": "11:00:00", "end": "22:00:00"}
                ]
            }),
        ),
        (
            MISSION_NOODLES,
            json!({
                "name": "Mission Noodle Bar", "phone": "+1-415-555-0104", "timezone": "America/Los_Angeles",
                "address": address("2400 Mission St", "San Francisco", "CA", "94110", 37.7585, -122.4188),
                "cuisines": ["noodles", "asian"], "deliveryAllowed": true, "pickupAllowed": true,
                "minimumOrderAmount": 12, "deliveryFee": 4.49, "serviceFeeRate": 0.05, "taxRate": 0.08625, "deliveryRadiusKm": 5,
                "availability": every_day("11:00:00", "22:00:00")
            }),
        ),
    ]
}

fn item(id: &str, name: &str, price: f64, groups: &[&str]) -> (String, Value) {
    (id.to_string(), json!({"itemId": id, "name": name, "basePrice": price, "modifierGroupIds": groups}))
}

fn group(id: &str, name: &str, min: i64, max: i64, items: &[&str]) -> (String, Value) {
    (
        id.to_string(),
        json!({"modifierGroupId": id, "name": name, "minSelections": min, "maxSelections": max, "itemIds": items}),
    )
}

fn section(id: &str, name: &str, items: &[&str], sections: &[&str]) -> (String, Value) {
    (id.to_string(), json!({"sectionId": id, "name": name, "itemIds": items, "sectionIds": sections}))
}

fn catalog(id: &str, name: &str, sections: &[&str], availability: Value) -> (String, Value) {
    (id.to_string(), json!({"catalogId": id, "name": name, "sectionIds": sections, "availability": availability}))
}

fn set(
    id: u128,
    catalogs: Vec<(String, Value)>,
    sections: Vec<(String, Value)>,
    items: Vec<(String, Value)>,
    groups: Vec<(String, Value)>,
) -> Value {
    let map = |entries: Vec<(String, Value)>| Value::Object(entries.into_iter().collect());
    json!({
        "catalogSetId": Uuid::from_u128(id), "currency": "USD",
        "catalogs": map(catalogs), "sections": map(sections), "items": map(items), "modifierGroups": map(groups)
    })
}

fn catalog_sets_json() -> Vec<(Uuid, Value)> {
    let pizza_groups = ["pizza-size", "pizza-toppings"];
    let brooklyn = set(
        0x0195a1b0_0000_7000_8000_000000000101,
        vec![catalog("all-day", "All day", &["pizzas", "drinks"], every_day("00:00:00", "00:00:00"))],
        vec![
            section("pizzas", "Pizzas", &["margherita", "pepperoni"], &["specialty"]),
            section("specialty", "Specialty pizzas", &["white-pie", "truffle-pie"], &[]),
            section("drinks", "Drinks", &["soda", "water"], &[]),
        ],
        vec![
            item("margherita", "Margherita Pizza", 14.99, &pizza_groups),
            item("pepperoni", "Pepperoni Pizza", 16.49, &pizza_groups),
            item("white-pie", "White Pie", 17.99, &pizza_groups),
            (
                "truffle-pie".into(),
                json!({"itemId": "truffle-pie", "name": "Truffle Pie", "basePrice": 24.0, "available": false,
                       "description": "Back when the truffles are", "modifierGroupIds": pizza_groups}),
            ),
            item("size-small", "Small 10\"", 0.0, &[]),
            item("size-large", "Large 16\"", 6.0, &[]),
            item("top-mushroom", "Mushrooms", 1.5, &[]),
            item("top-olive", "Olives", 1.25, &[]),
            item("top-basil", "Fresh basil", 1.0, &[]),
            item("top-extra-cheese", "Extra cheese", 2.0, &["cheese-kind"]),
            item("cheese-mozzarella", "Mozzarella", 0.0, &[]),
            item("cheese-burrata", "Burrata", 3.0, &[]),
            item("soda", "Soda", 2.5, &[]),
            item("water", "Sparkling water", 3.0, &[]),
        ],
        vec![
            group("pizza-size", "Size", 1, 1, &["size-small", "size-large"]),
            group("pizza-toppings", "Toppings", 0, 3, &["top-mushroom", "top-olive", "top-basil", "top-extra-cheese"]),
            group("cheese-kind", "Which cheese", 1, 1, &["cheese-mozzarella", "cheese-burrata"]),
        ],
    );
    let bagels = set(
        0x0195a1b0_0000_7000_8000_000000000102,
        vec![
            catalog("breakfast", "Breakfast", &["breakfast-sandwiches"], every_day("06:00:00", "11:00:00")),
            catalog("all-day", "All day", &["bagels", "coffee"], every_day("00:00:00", "00:00:00")),
        ],
        vec![
            section("breakfast-sandwiches", "Breakfast sandwiches", &["bacon-egg-cheese", "lox-bagel"], &[]),
            section("bagels", "Bagels", &["plain-bagel", "everything-bagel"], &[]),
            section("coffee", "Coffee", &["drip-coffee", "latte"], &[]),
        ],
        vec![
            item("bacon-egg-cheese", "Bacon, Egg & Cheese", 7.5, &["bagel-kind"]),
            item("lox-bagel", "Lox & Cream Cheese", 12.0, &["bagel-kind"]),
            item("plain-bagel", "Plain Bagel", 2.25, &["spread"]),
            item("everything-bagel", "Everything Bagel", 2.5, &["spread"]),
            item("drip-coffee", "Drip Coffee", 2.75, &["milk"]),
            item("latte", "Latte", 4.75, &["milk"]),
            item("kind-plain", "On plain", 0.0, &[]),
            item("kind-everything", "On everything", 0.25, &[]),
            item("spread-butter", "Butter", 0.75, &[]),
            item("spread-cream-cheese", "Cream cheese", 1.5, &[]),
            item("milk-whole", "Whole milk", 0.0, &[]),
            item("milk-oat", "Oat milk", 0.75, &[]),
        ],
        vec![
            group("bagel-kind", "Bagel", 1, 1, &["kind-plain", "kind-everything"]),
            group("spread", "Spread", 0, 2, &["spread-butter", "spread-cream-cheese"]),
            group("milk", "Milk", 0, 1, &["milk-whole", "milk-oat"]),
        ],
    );
    let tacos = set(
        0x0195a1b0_0000_7000_8000_000000000103,
        vec![catalog("all-day", "All day", &["tacos", "sides"], every_day("00:00:00", "00:00:00"))],
        vec![
            section("tacos", "Tacos", &["al-pastor", "carnitas", "veggie"], &[]),
            section("sides", "Sides", &["chips-salsa"], &[]),
        ],
        vec![
            item("al-pastor", "Al Pastor Taco", 4.5, &["salsa"]),
            item("carnitas", "Carnitas Taco", 4.5, &["salsa"]),
            item("veggie", "Veggie Taco", 4.0, &["salsa"]),
            item("chips-salsa", "Chips & Salsa", 5.0, &[]),
            item("salsa-verde", "Salsa verde", 0.0, &[]),
            item("salsa-roja", "Salsa roja", 0.0, &[]),
        ],
        vec![group("salsa", "Salsa", 0, 2, &["salsa-verde", "salsa-roja"])],
    );
    let noodles = set(
        0x0195a1b0_0000_7000_8000_000000000104,
        vec![catalog("all-day", "All day", &["bowls"], every_day("00:00:00", "00:00:00"))],
        vec![section("bowls", "Noodle bowls", &["dan-dan", "pho"], &[])],
        vec![
            item("dan-dan", "Dan Dan Noodles", 13.5, &["spice"]),
            item("pho", "Beef Pho", 15.0, &["spice"]),
            item("spice-mild", "Mild", 0.0, &[]),
            item("spice-hot", "Hot", 0.0, &[]),
        ],
        vec![group("spice", "Spice level", 1, 1, &["spice-mild", "spice-hot"])],
    );
    vec![(BROOKLYN_SLICE, brooklyn), (MIDTOWN_BAGELS, bagels), (SUNSET_TACOS, tacos), (MISSION_NOODLES, noodles)]
}

/// Loads (or refreshes) the demo data.
pub async fn load(state: &AppState) -> anyhow::Result<()> {
    let partner =
        keys::install_fixed(&state.db, "Demo Delivery App", OrgKind::Distribution, DISTRIBUTION_KEY, "demo").await?;
    // The demo's curl lines pay with a stripe card token: set up, as the portal requires.
    crate::app::interchange::enable(&state.db, &partner.name, "stripe", state.now()).await?;
    let restaurants =
        keys::install_fixed(&state.db, "Demo Restaurant Group", OrgKind::Commerce, COMMERCE_KEY, "demo").await?;
    for (id, body) in stores_json() {
        let details: StoreDetails = serde_json::from_value(body)?;
        stores::upsert(state, restaurants.id, id, details)
            .await
            .map_err(|e| anyhow::anyhow!("demo store {id}: {e}"))?;
    }
    for (store_id, body) in catalog_sets_json() {
        let set: CatalogSet = serde_json::from_value(body)?;
        match push(state, restaurants.id, store_id, set, None).await? {
            PushOutcome::Live { .. } => {}
            PushOutcome::Rejected(problems) => anyhow::bail!("demo catalog for {store_id} is invalid: {problems:?}"),
            PushOutcome::StoreNotFound => anyhow::bail!("demo store {store_id} is missing"),
        }
    }
    let pause = StatusUpdate {
        status: "paused".into(),
        reason: Some("Kitchen maintenance".into()),
        resume_at: Some(state.now() + chrono::Duration::hours(2)),
        extra_preparation_minutes: None,
    };
    stores::update_status(state, restaurants.id, MISSION_NOODLES, &pause)
        .await
        .map_err(|e| anyhow::anyhow!("demo pause: {e}"))?;
    Ok(())
}

pub fn describe() -> String {
    format!(
        "Demo data loaded: 4 stores (Brooklyn Slice, Midtown Bagels, Sunset Tacos, Mission Noodle Bar [paused]).\n\
         Distribution (marketplace) key: {DISTRIBUTION_KEY}\n\
         Commerce (restaurant) key:      {COMMERCE_KEY}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_documents_pass_the_same_validation_as_a_partner_push() {
        for (_, body) in stores_json() {
            let details: StoreDetails = serde_json::from_value(body).unwrap();
            assert_eq!(crate::domain::store::validate(&details), vec![]);
        }
        for (_, body) in catalog_sets_json() {
            let set: CatalogSet = serde_json::from_value(body).unwrap();
            assert_eq!(crate::domain::catalog::validate(&set, "USD"), vec![]);
        }
    }
}
