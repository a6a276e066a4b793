//! `POST /v1/marketplace/orders/validate`: pricing, every rule, the token, and the cache.

use crate::helpers::*;
use crate::white_box::token_rows;
use chrono::{Duration, TimeZone, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

const VALIDATE: &str = "/v1/marketplace/orders/validate";

fn delivery_to(shop: &Shop, lines: Value, delivery: Value) -> Value {
    let mut order = pickup(shop, lines);
    order["fulfillmentType"] = json!("DeliveryByMerchant");
    order["delivery"] = delivery;
    order["amounts"] = json!({"tip": 0});
    order
}

fn codes(answer: &Value) -> Vec<String> {
    answer["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap().to_string()).collect()
}

async fn validate(app: &TestApp, key: &str, order: &Value) -> Value {
    json_of(app.post(VALIDATE, key, order).await, StatusCode::OK).await
}

#[tokio::test]
async fn a_valid_pickup_order_is_priced_to_the_cent_and_gets_a_stored_hashed_token() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let answer = validate(&app, &shop.distribution, &pickup(&shop, json!([margherita("l1", 1, "large", 1)]))).await;

    assert_eq!(answer["isValid"], true, "{answer}");
    assert_eq!(answer["errors"], json!([]));
    let amounts = &answer["amounts"];
    // 12.50 + large 4.00 + basil 0.75 = 17.25; service 5% = 0.8625 → 0.86; tax 8.875% = 1.5309… → 1.53.
    assert_eq!(amounts["currency"], "USD");
    assert_eq!(amounts["subTotal"].to_string(), "17.25");
    assert_eq!(amounts["feesBreakdown"], json!([{"type": "service", "amount": 0.86}]));
    assert_eq!(amounts["fees"].to_string(), "0.86");
    assert_eq!(amounts["taxesBreakdown"], json!([{"type": "salesTax", "amount": 1.53}]));
    assert_eq!(amounts["promotions"].to_string(), "0.00");
    assert_eq!(amounts["adjustments"].to_string(), "0.00");
    assert_eq!(amounts["tip"].to_string(), "2.00");
    assert_eq!(amounts["total"].to_string(), "21.64");
    assert_eq!(answer["tokenExpiresAt"], "2026-11-23T17:15:00Z", "now + 15 minutes");
    assert_eq!(answer["estimatedReadyAt"], "2026-11-23T17:20:00Z", "now + the store's 20 preparation minutes");
    assert_eq!(answer["cart"]["lineItems"][0]["lineItemId"], "l1", "the order comes back as sent");
    assert!(answer.get("traceId").is_none(), "a trace id only accompanies errors");

    let token = answer["validatedOrderToken"].as_str().unwrap();
    assert!(token.starts_with("vot_") && token.len() >= 4 + 43, "256 random bits, base64: {token}");
    let (hash, organization, total) = crate::white_box::stored_token(&app).await;
    assert_eq!(hash, Sha256::digest(token.as_bytes()).to_vec(), "only the token's hash is stored");
    assert_eq!(total.to_string(), "21.64");
    let distributor: Uuid = crate::white_box::organization_of_kind(&app, "distribution").await.parse().unwrap();
    assert_eq!(organization, distributor, "the token belongs to the partner that validated");
    let stored_text = crate::white_box::stored_token_snapshot(&app).await;
    assert!(!stored_text.contains(token), "the stored snapshot does not hold the token");

    // Each valid validate issues a new token.
    let again = validate(&app, &shop.distribution, &pickup(&shop, json!([margherita("l1", 1, "large", 1)]))).await;
    assert_ne!(again["validatedOrderToken"], answer["validatedOrderToken"]);
    assert_eq!(token_rows(&app).await, 2);
}

#[tokio::test]
async fn a_delivery_order_pays_the_delivery_fee() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let near = json!({"address": "10 W 34th St, New York, NY", "latitude": 40.7484, "longitude": -73.9857});
    let answer =
        validate(&app, &shop.distribution, &delivery_to(&shop, json!([margherita("l1", 2, "small", 0)]), near)).await;
    assert_eq!(answer["isValid"], true, "{answer}");
    let amounts = &answer["amounts"];
    // 2 × 12.50 = 25.00; delivery 2.50 + service 1.25; tax 8.875% of 25.00 = 2.21875 → 2.22.
    assert_eq!(amounts["subTotal"].to_string(), "25.00");
    let fees: Vec<String> = amounts["feesBreakdown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|fee| format!("{} {}", fee["type"].as_str().unwrap(), fee["amount"]))
        .collect();
    assert_eq!(fees, ["delivery 2.50", "service 1.25"]);
    assert_eq!(amounts["fees"].to_string(), "3.75");
    assert_eq!(amounts["taxes"].to_string(), "2.22");
    assert_eq!(amounts["total"].to_string(), "30.97");
}

#[tokio::test]
async fn every_problem_is_reported_at_once_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let lines = json!([
        {"lineItemId": "a", "itemId": "calzone", "quantity": 1},
        {"lineItemId": "b", "itemId": "margherita", "quantity": 1},
        margherita("c", 0, "large", 3),
        {"lineItemId": "d", "itemId": "ghost", "quantity": 1},
        {"lineItemId": "e", "itemId": "margherita", "quantity": 1, "modifierGroups": [
            {"modifierGroupId": "size", "selectedModifiers": [{"itemId": "basil", "quantity": 1}]}]},
        margherita("e", 1, "small", 0)
    ]);
    let mut order = delivery_to(&shop, lines, json!({"address": "Times Square", "latitude": 40.6, "longitude": -74.2}));
    order["amounts"] = json!({"tip": -1});
    let answer = validate(&app, &shop.distribution, &order).await;

    assert_eq!(answer["isValid"], false);
    assert_eq!(answer["validatedOrderToken"], json!(null));
    assert_eq!(answer["tokenExpiresAt"], json!(null));
    assert_eq!(answer["amounts"], json!(null), "an unknown item cannot be priced");
    assert_eq!(answer["traceId"].as_str().unwrap().len(), 32);
    let mut found = codes(&answer);
    found.sort();
    assert_eq!(
        found,
        [
            "ADDRESS_OUT_OF_RANGE",
            "DUPLICATE_LINE_ITEM",
            "INVALID_QUANTITY",
            "INVALID_TIP",
            "ITEM_UNAVAILABLE",
            "ITEM_UNAVAILABLE",
            "MODIFIER_INVALID",
            "MODIFIER_LIMIT_EXCEEDED",
            "MODIFIER_REQUIRED",
            "MODIFIER_REQUIRED",
        ],
        "{answer}"
    );
    let by_path = |path: &str| {
        answer["errors"].as_array().unwrap().iter().find(|e| e["jsonPath"] == path).cloned().unwrap_or(json!(null))
    };
    assert_eq!(by_path("$.cart.lineItems[0].itemId")["itemId"], "calzone");
    assert_eq!(by_path("$.cart.lineItems[2].quantity")["code"], "INVALID_QUANTITY");
    assert_eq!(by_path("$.cart.lineItems[2].modifierGroups[1].selectedModifiers")["code"], "MODIFIER_LIMIT_EXCEEDED");
    assert_eq!(by_path("$.cart.lineItems[3].itemId")["itemId"], "ghost");
    assert_eq!(
        by_path("$.cart.lineItems[4].modifierGroups[0].selectedModifiers[0].itemId")["code"],
        "MODIFIER_INVALID"
    );
    assert_eq!(by_path("$.amounts.tip")["code"], "INVALID_TIP");
    assert_eq!(token_rows(&app).await, 0, "an invalid order writes nothing");
}

#[tokio::test]
async fn an_empty_cart_and_a_small_order_are_inline_problems() {
    let app = TestApp::spawn().await;
    let mut details = store_body("Pricey Place");
    details["minimumOrderAmount"] = json!(20);
    let shop = shop(&app, &details, catalog_body).await;

    let empty = validate(&app, &shop.distribution, &pickup(&shop, json!([]))).await;
    assert_eq!(codes(&empty), ["CART_EMPTY"]);
    assert_eq!(empty["errors"][0]["jsonPath"], "$.cart.lineItems");

    let small = validate(&app, &shop.distribution, &pickup(&shop, json!([margherita("l1", 1, "small", 0)]))).await;
    assert_eq!(codes(&small), ["ORDER_BELOW_MINIMUM"]);
    let message = small["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("12.50") && message.contains("add 7.50 more"), "{message}");
    assert_eq!(small["amounts"]["subTotal"].to_string(), "12.50", "the amounts are still shown");
    assert_eq!(token_rows(&app).await, 0);
}

#[tokio::test]
async fn a_closed_or_paused_store_is_store_closed() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let order = pickup(&shop, json!([margherita("l1", 1, "small", 0)]));

    // 22:30 in New York: after the 09:00–21:00 hours.
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 24, 3, 30, 0).unwrap());
    let closed = validate(&app, &shop.distribution, &order).await;
    assert_eq!(codes(&closed), ["STORE_CLOSED"]);
    let message = closed["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("2026-11-24T14:00:00Z"), "names the next opening (09:00 New York): {message}");

    app.clock.set(monday_noon_new_york());
    let paused = json!({"status": "paused", "reason": "Oven repair"});
    json_of(
        app.post(&format!("/v1/commerce/stores/{}/status", shop.store), &shop.commerce, &paused).await,
        StatusCode::OK,
    )
    .await;
    let answer = validate(&app, &shop.distribution, &order).await;
    assert_eq!(codes(&answer), ["STORE_CLOSED"]);
    assert!(answer["errors"][0]["message"].as_str().unwrap().contains("Oven repair"), "{answer}");
}

#[tokio::test]
async fn opening_hours_are_judged_in_the_store_time_zone_across_midnight() {
    let app = TestApp::spawn().await;
    let mut details = store_body("Late Tacos");
    details["timezone"] = json!("America/Los_Angeles");
    details["availability"] = every_day("18:00:00", "02:00:00");
    let shop = shop(&app, &details, catalog_body).await;
    let order = pickup(&shop, json!([margherita("l1", 1, "small", 0)]));

    // Monday 09:00 in Los Angeles (noon in New York): closed.
    assert_eq!(codes(&validate(&app, &shop.distribution, &order).await), ["STORE_CLOSED"]);
    // Tuesday 01:30 in Los Angeles, inside Monday's overnight window (04:30 in New York).
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 24, 9, 30, 0).unwrap());
    let open = validate(&app, &shop.distribution, &order).await;
    assert_eq!(open["isValid"], true, "{open}");
    // Tuesday 02:30 in Los Angeles: the window has ended.
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 24, 10, 30, 0).unwrap());
    assert_eq!(codes(&validate(&app, &shop.distribution, &order).await), ["STORE_CLOSED"]);
}

/// A menu with an all-day catalog and a breakfast catalog (07:00–11:00) serving bagels.
fn breakfast_menu(id: Uuid) -> Value {
    let mut menu = catalog_body(id);
    menu["catalogs"]["breakfast"] = json!({"catalogId": "breakfast", "name": "Breakfast", "sectionIds": ["morning"],
        "availability": every_day("07:00:00", "11:00:00")});
    menu["sections"]["morning"] = json!({"sectionId": "morning", "name": "Morning", "itemIds": ["bagel"]});
    menu["items"]["bagel"] = json!({"itemId": "bagel", "name": "Everything Bagel", "basePrice": 11});
    menu
}

#[tokio::test]
async fn an_item_only_on_a_closed_catalog_is_unavailable() {
    let app = TestApp::spawn().await;
    let shop = shop(&app, &store_body("Bagel Place"), breakfast_menu).await;
    let order = pickup(&shop, json!([{"lineItemId": "b", "itemId": "bagel", "quantity": 1}]));

    let lunch = validate(&app, &shop.distribution, &order).await;
    assert_eq!(codes(&lunch), ["ITEM_UNAVAILABLE"]);
    assert!(lunch["errors"][0]["message"].as_str().unwrap().contains("not served at this time"), "{lunch}");
    assert_eq!(lunch["errors"][0]["itemId"], "bagel");

    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 23, 14, 30, 0).unwrap()); // 09:30 in New York
    assert_eq!(validate(&app, &shop.distribution, &order).await["isValid"], true);
}

#[tokio::test]
async fn fulfilment_and_delivery_address_rules() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let lines = || json!([margherita("l1", 1, "small", 0)]);
    let check = |delivery: Value| delivery_to(&shop, lines(), delivery);

    let by_postcode =
        validate(&app, &shop.distribution, &check(json!({"address": "2 Main St", "postalCode": "10001-2345"}))).await;
    assert_eq!(by_postcode["isValid"], true, "the store's own postal code is delivered to: {by_postcode}");
    let far_postcode =
        validate(&app, &shop.distribution, &check(json!({"address": "Mission St", "postalCode": "94110"}))).await;
    assert_eq!(codes(&far_postcode), ["ADDRESS_OUT_OF_RANGE"]);
    let unreadable =
        validate(&app, &shop.distribution, &check(json!({"address": "somewhere", "postalCode": "nowhere"}))).await;
    assert_eq!(codes(&unreadable), ["ADDRESS_INVALID"]);
    let half = validate(&app, &shop.distribution, &check(json!({"address": "x", "latitude": 40.75}))).await;
    assert_eq!(codes(&half), ["ADDRESS_INVALID"]);
    let mut no_delivery = check(json!(null));
    no_delivery.as_object_mut().unwrap().remove("delivery");
    let missing = validate(&app, &shop.distribution, &no_delivery).await;
    assert_eq!(codes(&missing), ["ADDRESS_INVALID"]);
    assert_eq!(missing["errors"][0]["jsonPath"], "$.delivery");

    let mut pickup_only = store_body("Counter Only");
    pickup_only["deliveryAllowed"] = json!(false);
    pickup_only["deliveryRadiusKm"] = json!(0);
    let counter = self::shop(&app, &pickup_only, catalog_body).await;
    let answer = validate(
        &app,
        &counter.distribution,
        &delivery_to(&counter, lines(), json!({"address": "1 Main St", "postalCode": "10001"})),
    )
    .await;
    assert_eq!(codes(&answer), ["FULFILLMENT_UNAVAILABLE"]);
    assert_eq!(answer["errors"][0]["jsonPath"], "$.fulfillmentType");
}

#[tokio::test]
async fn another_store_catalog_set_is_an_inline_problem() {
    let app = TestApp::spawn().await;
    let first = pizzeria(&app).await;
    let second = pizzeria(&app).await;
    let mut order = pickup(&first, json!([margherita("l1", 1, "small", 0)]));
    order["cart"]["catalogSetId"] = json!(second.catalog);
    let answer = validate(&app, &first.distribution, &order).await;
    assert_eq!(codes(&answer), ["CATALOGSET_MISMATCH"]);
    assert_eq!(answer["errors"][0]["jsonPath"], "$.cart.catalogSetId");
}

#[tokio::test]
async fn an_unusable_request_is_a_problem_response() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let good = pickup(&shop, json!([margherita("l1", 1, "small", 0)]));
    let with = |pointer: &str, value: Value| {
        let mut order = good.clone();
        *order.pointer_mut(pointer).unwrap() = value;
        order
    };

    let unknown_store = with("/cart/storeId", json!(Uuid::now_v7()));
    problem_of(app.post(VALIDATE, &shop.distribution, &unknown_store).await, StatusCode::NOT_FOUND, "STORE_NOT_FOUND")
        .await;
    let not_an_id = with("/cart/storeId", json!("store_123"));
    problem_of(app.post(VALIDATE, &shop.distribution, &not_an_id).await, StatusCode::NOT_FOUND, "STORE_NOT_FOUND")
        .await;
    let unknown_menu = with("/cart/catalogSetId", json!(Uuid::now_v7()));
    problem_of(
        app.post(VALIDATE, &shop.distribution, &unknown_menu).await,
        StatusCode::NOT_FOUND,
        "CATALOGSET_NOT_FOUND",
    )
    .await;
    let mut no_menu = good.clone();
    no_menu["cart"].as_object_mut().unwrap().remove("catalogSetId");
    problem_of(app.post(VALIDATE, &shop.distribution, &no_menu).await, StatusCode::BAD_REQUEST, "CATALOGSET_REQUIRED")
        .await;

    let wrong_type = with("/cart/lineItems/0/quantity", json!("two"));
    let problem = problem_of(
        app.post(VALIDATE, &shop.distribution, &wrong_type).await,
        StatusCode::BAD_REQUEST,
        "INVALID_REQUEST",
    )
    .await;
    assert_eq!(paths(&problem), ["$.cart.lineItems[0].quantity"]);
    // JSON Schema counts 1.0 as an integer, and Python's and JavaScript's encoders send it.
    let whole_float = with("/cart/lineItems/0/quantity", json!(2.0));
    let answer = validate(&app, &shop.distribution, &whole_float).await;
    assert_eq!(answer["isValid"], true, "{answer}");
    assert_eq!(answer["cart"]["lineItems"][0]["quantity"], 2, "read as the integer it is");
    assert_eq!(answer["amounts"]["subTotal"].to_string(), "25.00", "two small margheritas");
    let fractional = with("/cart/lineItems/0/quantity", json!(1.5));
    let problem = problem_of(
        app.post(VALIDATE, &shop.distribution, &fractional).await,
        StatusCode::BAD_REQUEST,
        "INVALID_REQUEST",
    )
    .await;
    assert_eq!(paths(&problem), ["$.cart.lineItems[0].quantity"]);
    assert!(problem["detail"].as_str().unwrap().contains("expected a whole number"), "{problem}");
    let bad_mode = with("/fulfillmentType", json!("Drone"));
    let problem =
        problem_of(app.post(VALIDATE, &shop.distribution, &bad_mode).await, StatusCode::BAD_REQUEST, "INVALID_REQUEST")
            .await;
    assert_eq!(paths(&problem), ["$.fulfillmentType"]);

    problem_of(app.post(VALIDATE, &shop.commerce, &good).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let anonymous = app.request(Method::POST, VALIDATE, None, Some(&good)).await;
    problem_of(anonymous, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    assert_eq!(token_rows(&app).await, 1, "only the whole-float cart was priced and given a token");
}

#[tokio::test]
async fn expired_tokens_are_reaped_an_hour_after_expiry() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    validate(&app, &shop.distribution, &pickup(&shop, json!([margherita("l1", 1, "small", 0)]))).await;
    // The reaper's pass, driven at the test clock.
    let reap = || marketfront::app::housekeeping::reap(&app.state);
    reap().await.unwrap();
    assert_eq!(token_rows(&app).await, 1, "not expired yet");
    app.clock.advance(Duration::minutes(16));
    reap().await.unwrap();
    assert_eq!(token_rows(&app).await, 1, "kept an hour past expiry");
    app.clock.advance(Duration::hours(1));
    reap().await.unwrap();
    assert_eq!(token_rows(&app).await, 0);
}

#[tokio::test]
async fn a_change_through_one_instance_is_seen_by_the_next_validate_on_another() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let other = app.another_instance().await;
    let order = pickup(&shop, json!([margherita("l1", 1, "small", 0)]));
    let validate_on_other = || async {
        let response = app.request_at(&other, Method::POST, VALIDATE, &shop.distribution, Some(&order)).await;
        json_of(response, StatusCode::OK).await
    };
    // The other instance caches the menu and the store.
    assert_eq!(validate_on_other().await["amounts"]["subTotal"].to_string(), "12.50");
    assert_eq!(validate_on_other().await["amounts"]["subTotal"].to_string(), "12.50");

    let mut menu = catalog_body(shop.catalog);
    menu["items"]["margherita"]["basePrice"] = json!(13.75);
    let path = format!("/v1/commerce/stores/{}/catalog-set", shop.store);
    json_of(app.put(&path, &shop.commerce, &menu).await, StatusCode::OK).await;
    let repriced = app
        .eventually("the other instance to see the new price", || async {
            let answer = validate_on_other().await;
            // Compared as rendered: the exact JSON number, scale included.
            let sub_total = answer["amounts"]["subTotal"].to_string();
            (sub_total == "13.75").then_some(answer)
        })
        .await;
    assert_eq!(repriced["isValid"], true);

    let paused = json!({"status": "paused", "reason": "Closed for a private party"});
    json_of(
        app.post(&format!("/v1/commerce/stores/{}/status", shop.store), &shop.commerce, &paused).await,
        StatusCode::OK,
    )
    .await;
    app.eventually("the other instance to see the pause", || async {
        (codes(&validate_on_other().await) == ["STORE_CLOSED"]).then_some(())
    })
    .await;
}

/// A cache too small for any menu (a bound of one byte) changes no answer: every read goes
/// through to Postgres, and a pause is seen at once.
#[tokio::test]
async fn a_tiny_cache_bound_still_answers_correctly() {
    let app = TestApp::spawn_with(|config| config.cache_bytes = 1).await;
    let shop = pizzeria(&app).await;
    let order = pickup(&shop, json!([margherita("l1", 1, "large", 1)]));
    for _ in 0..3 {
        let answer = validate(&app, &shop.distribution, &order).await;
        assert_eq!(answer["isValid"], true, "{answer}");
        assert_eq!(answer["amounts"]["total"].to_string(), "21.64");
    }
    assert_eq!(app.state.cache.weighed_bytes(), 0, "nothing fits, so nothing is kept");
    let paused = json!({"status": "paused", "reason": "Oven repair"});
    let status = format!("/v1/commerce/stores/{}/status", shop.store);
    json_of(app.post(&status, &shop.commerce, &paused).await, StatusCode::OK).await;
    assert_eq!(codes(&validate(&app, &shop.distribution, &order).await), ["STORE_CLOSED"]);
    json_of(app.post(&status, &shop.commerce, &json!({"status": "online"})).await, StatusCode::OK).await;
    assert_eq!(validate(&app, &shop.distribution, &order).await["isValid"], true);
}
