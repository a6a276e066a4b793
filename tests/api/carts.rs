//! The stateless cart helpers: one change to the cart sent, priced exactly as validate prices
//! the same order, with nothing stored.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const ADD: &str = "/v1/marketplace/carts/add";
const REMOVE: &str = "/v1/marketplace/carts/remove";
const QUANTITY: &str = "/v1/marketplace/carts/update-quantity";

fn large() -> Value {
    json!({"itemId": "margherita", "quantity": 1,
           "modifierGroups": [{"modifierGroupId": "size", "selectedModifiers": [{"itemId": "large"}]}]})
}

async fn cart_call(app: &TestApp, path: &str, key: &str, body: &Value) -> Value {
    json_of(app.post(path, key, body).await, StatusCode::OK).await
}

/// validate's amounts for `cart` picked up: what every cart answer must agree with.
async fn validated_amounts(app: &TestApp, key: &str, cart: &Value) -> Value {
    let order = json!({"cart": cart, "fulfillmentType": "Pickup"});
    json_of(app.post("/v1/marketplace/orders/validate", key, &order).await, StatusCode::OK).await["amounts"].clone()
}

#[tokio::test]
async fn a_cart_is_built_change_by_change_and_priced_as_validate_prices_it() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let key = &shop.distribution;
    let new_cart = json!({"cart": null, "storeId": shop.store, "catalogSetId": shop.catalog, "item": large()});
    let one = cart_call(&app, ADD, key, &new_cart).await;
    assert_eq!((one["isValid"].clone(), one["fulfillmentType"].clone()), (json!(true), json!("Pickup")), "{one}");
    assert_eq!(one["fulfillmentSource"], "default");
    let line = one["cart"]["lineItems"][0]["lineItemId"].as_str().unwrap().to_string();
    line.parse::<Uuid>().expect("the server names a line with a UUID");

    // An unavailable item joins the cart, and the answer says why it cannot be ordered.
    let calzone = json!({"lineItemId": "c1", "itemId": "calzone", "quantity": 1});
    let two = cart_call(&app, ADD, key, &json!({"cart": one["cart"], "item": calzone})).await;
    assert_eq!(two["isValid"], false);
    assert_eq!(two["errors"][0]["code"], "ITEM_UNAVAILABLE", "{two}");
    let three = cart_call(&app, QUANTITY, key, &json!({"cart": two["cart"], "lineItemId": line, "quantity": 3})).await;
    assert_eq!(three["cart"]["lineItems"][0]["quantity"], 3);
    let fixed =
        cart_call(&app, QUANTITY, key, &json!({"cart": three["cart"], "lineItemId": "c1", "quantity": 0})).await;
    assert_eq!((fixed["isValid"].clone(), fixed["cart"]["lineItems"].as_array().unwrap().len()), (json!(true), 1));
    let empty = cart_call(&app, REMOVE, key, &json!({"cart": fixed["cart"], "lineItemId": line})).await;
    assert_eq!((empty["isValid"].clone(), empty["errors"][0]["code"].clone()), (json!(false), json!("CART_EMPTY")));
    assert_eq!(app.count("SELECT count(*) FROM validated_orders").await, 0, "no token, nothing stored");

    // The same amounts validate gives for the same cart, at every step.
    for answer in [&one, &fixed] {
        assert_eq!(answer["amounts"], validated_amounts(&app, key, &answer["cart"]).await, "{answer}");
    }

    // What cannot be done at all is a 4xx, not a cart.
    let no_store = json!({"cart": null, "catalogSetId": shop.catalog, "item": large()});
    problem_of(app.post(ADD, key, &no_store).await, StatusCode::BAD_REQUEST, "MISSING_STORE_ID").await;
    let no_menu = json!({"cart": null, "storeId": shop.store, "item": large()});
    problem_of(app.post(ADD, key, &no_menu).await, StatusCode::BAD_REQUEST, "CATALOGSET_REQUIRED").await;
    let unknown_line = json!({"cart": fixed["cart"], "lineItemId": "nope"});
    let problem =
        problem_of(app.post(REMOVE, key, &unknown_line).await, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    assert_eq!(paths(&problem), ["$.lineItemId"]);
    let twice = json!({"cart": two["cart"], "item": {"lineItemId": "c1", "itemId": "calzone"}});
    problem_of(app.post(ADD, key, &twice).await, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    // A cart beyond a request's limits is refused as validate refuses it, even when the change
    // would remove the line that breaks them.
    let crowded: Vec<Value> = (0..51).map(|_| json!({"itemId": "basil"})).collect();
    let mut oversized = fixed["cart"].clone();
    oversized["lineItems"][0]["modifierGroups"] =
        json!([{"modifierGroupId": "toppings", "selectedModifiers": crowded}]);
    let body = json!({"cart": oversized, "lineItemId": line});
    let refused =
        problem_of(app.post(REMOVE, key, &body).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_eq!(refused["errors"][0]["code"], "TOO_MANY_MODIFIERS", "{refused}");
    // So is a delivery beyond them that pricing for pickup would have left aside.
    let long = json!({"cart": null, "storeId": shop.store, "catalogSetId": shop.catalog, "item": large(),
                      "delivery": {"address": "1 Main St", "postalCode": "9".repeat(200)}});
    let refused = problem_of(app.post(ADD, key, &long).await, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    assert_eq!(paths(&refused), ["$.delivery.postalCode"]);
    let elsewhere = json!({"cart": null, "storeId": Uuid::new_v4(), "catalogSetId": shop.catalog, "item": large()});
    problem_of(app.post(ADD, key, &elsewhere).await, StatusCode::NOT_FOUND, "STORE_NOT_FOUND").await;
}

#[tokio::test]
async fn a_cart_is_priced_for_the_sessions_fulfilment_context_unless_the_body_says_otherwise() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let created = app.post("/v1/marketplace/session/create", &shop.distribution, &json!({})).await;
    let token = json_of(created, StatusCode::CREATED).await["token"].as_str().unwrap().to_string();
    let address = json!({"address1": "1 Main St", "city": "New York", "state": "NY", "postalCode": "10001",
                         "latitude": 40.76, "longitude": -73.99});
    let saved =
        json_of(app.post("/v1/marketplace/session/addresses", &token, &address).await, StatusCode::CREATED).await;
    let context = json!({"mode": "DeliveryByMerchant", "addressId": saved["addressId"]});
    json_of(app.put("/v1/marketplace/session/fulfillment-context", &token, &context).await, StatusCode::OK).await;

    let new_cart = json!({"cart": null, "storeId": shop.store, "catalogSetId": shop.catalog, "item": large()});
    let delivered = cart_call(&app, ADD, &token, &new_cart).await;
    assert_eq!(
        (delivered["fulfillmentType"].clone(), delivered["fulfillmentSource"].clone()),
        (json!("DeliveryByMerchant"), json!("context")),
        "{delivered}"
    );
    assert_eq!(delivered["amounts"]["feesBreakdown"][0]["type"], "delivery");
    let mut picked_up = new_cart.clone();
    picked_up["fulfillmentType"] = json!("Pickup");
    let picked_up = cart_call(&app, ADD, &token, &picked_up).await;
    assert_eq!(picked_up["fulfillmentSource"], "request");
    assert!(picked_up["amounts"]["feesBreakdown"].as_array().unwrap().iter().all(|fee| fee["type"] != "delivery"));
}

/// A line of a random cart: an item of the menu (or one it lacks), any quantity around the
/// allowed range, and some modifier choices from any of the menu's groups (so some carts miss a
/// required group, pick too many, or pick from a group the item does not have).
#[derive(Debug, Clone)]
struct RandomLine {
    item: String,
    quantity: i64,
    choices: Vec<(String, String, i64)>,
}

fn random_line(
    items: Vec<String>,
    choices: Vec<(String, String)>,
) -> impl proptest::strategy::Strategy<Value = RandomLine> {
    use proptest::prelude::*;
    let choice =
        (proptest::sample::select(choices), 0i64..=3).prop_map(|((group, item), quantity)| (group, item, quantity));
    (proptest::sample::select(items), -1i64..=102, proptest::collection::vec(choice, 0..3))
        .prop_map(|(item, quantity, choices)| RandomLine { item, quantity, choices })
}

fn line_json(index: usize, line: &RandomLine) -> Value {
    let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
    for (group, item, quantity) in &line.choices {
        let selected = json!({"itemId": item, "quantity": quantity});
        match groups.iter_mut().find(|(id, _)| id == group) {
            Some((_, list)) => list.push(selected),
            None => groups.push((group.clone(), vec![selected])),
        }
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(id, selected)| json!({"modifierGroupId": id, "selectedModifiers": selected}))
        .collect();
    json!({"lineItemId": format!("l{index}"), "itemId": line.item, "quantity": line.quantity, "modifierGroups": groups})
}

/// Over random carts from the demo's bagel menu: the cart carts/add builds, line by line, is
/// priced with exactly validate's amounts and problems for the same lines.
#[test]
fn carts_built_line_by_line_price_exactly_as_validate_prices_the_same_lines() {
    use proptest::prelude::*;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (app, items, choices) = runtime.block_on(async {
        let app = TestApp::spawn().await;
        marketfront::demo::load(&app.state).await.unwrap();
        let menu =
            app.get(&format!("/v1/marketplace/catalog-sets/{BAGELS_MENU}"), marketfront::demo::DISTRIBUTION_KEY).await;
        let menu = json_of(menu, StatusCode::OK).await;
        let mut items: Vec<String> = menu["items"].as_object().unwrap().keys().cloned().collect();
        items.push("no-such-item".into());
        let mut choices = Vec::new();
        for (group_id, group) in menu["modifierGroups"].as_object().unwrap() {
            for item in group["itemIds"].as_array().unwrap() {
                choices.push((group_id.clone(), item.as_str().unwrap().to_string()));
            }
        }
        (app, items, choices)
    });
    let key = marketfront::demo::DISTRIBUTION_KEY;
    let config = ProptestConfig { cases: 40, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(lines in proptest::collection::vec(random_line(items.clone(), choices.clone()), 1..6))| {
        let outcome: Result<(), TestCaseError> = runtime.block_on(async {
            let mut cart = Value::Null;
            let mut answer = Value::Null;
            for (index, line) in lines.iter().enumerate() {
                let body = json!({"cart": cart, "storeId": MIDTOWN_BAGELS, "catalogSetId": BAGELS_MENU,
                                  "item": line_json(index, line)});
                answer = json_of(app.post(ADD, key, &body).await, StatusCode::OK).await;
                cart = answer["cart"].clone();
            }
            let order = json!({"cart": cart, "fulfillmentType": "Pickup"});
            let validated = json_of(app.post("/v1/marketplace/orders/validate", key, &order).await, StatusCode::OK).await;
            prop_assert_eq!(&answer["amounts"], &validated["amounts"]);
            prop_assert_eq!(&answer["errors"], &validated["errors"]);
            prop_assert_eq!(&answer["isValid"], &validated["isValid"]);
            Ok(())
        });
        outcome?;
    });
}

const BAGELS_MENU: &str = "0195a1b0-0000-7000-8000-000000000102";
const MIDTOWN_BAGELS: &str = "0195a1b0-0000-7000-8000-000000000002";
