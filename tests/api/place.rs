//! `POST /v1/marketplace/orders/place` and reading orders: the key, replays and conflicts, the
//! token, re-validation, payment outcomes, races and the completer.

use crate::helpers::*;
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use uuid::Uuid;

const APPROVED: &str = "tok_visa";

async fn ready(app: &TestApp) -> (Shop, Value) {
    let shop = pizzeria(app).await;
    let order = pickup(&shop, json!([margherita("l1", 1, "large", 1)]));
    let body = app.validated(&shop.distribution, &order, APPROVED).await;
    (shop, body)
}

async fn orders_placed(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM orders WHERE placement = 'placed'").await
}

/// How many times the processor was asked, over every key.
async fn processor_requests(app: &TestApp) -> i64 {
    app.count("SELECT coalesce(sum(requests), 0) FROM sandbox_processor_ledger").await
}

async fn processor_approvals(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM sandbox_processor_ledger WHERE outcome = 'approved'").await
}

#[tokio::test]
async fn a_validated_order_is_placed_paid_and_readable() {
    let app = TestApp::spawn().await;
    let (shop, body) = ready(&app).await;
    let response = app.place(&shop.distribution, &fresh_key(), &body).await;
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(response.headers()["idempotency-expires"], "86400");
    assert!(response.headers().get("idempotent-replayed").is_none());
    let order = json_of(response, StatusCode::CREATED).await;

    let id = order["gettOrderId"].as_str().unwrap();
    assert_eq!(location, format!("/v1/marketplace/orders/{id}"));
    assert_eq!(order["state"], "open");
    assert_eq!(order["status"], "pending");
    assert_eq!(order["version"], 1);
    assert_eq!(order["placedAt"], "2026-11-23T17:00:00Z");
    assert_eq!(order["amounts"]["total"].to_string(), "21.64");
    assert_eq!(order["payment"]["method"], "cardOnFile");
    assert_eq!(order["payment"]["state"], "authorized");
    assert_eq!(order["payment"]["amount"].to_string(), "21.64");
    assert_eq!(order["customer"]["firstName"], "Ann");
    assert_eq!(order["cart"]["lineItems"][0]["itemId"], "margherita");

    let read = json_of(app.get(&location, &shop.distribution).await, StatusCode::OK).await;
    assert_eq!(read, order);
    let listed = json_of(app.get("/v1/marketplace/orders", &shop.distribution).await, StatusCode::OK).await;
    assert_eq!(listed["totalCount"], 1);
    assert_eq!(listed["hasMore"], false);
    assert_eq!(listed["orders"][0], order);

    // Money and messages: one authorisation for the total; the partner and the restaurant
    // each have an event waiting in the outbox.
    assert_eq!(processor_approvals(&app).await, 1);
    let (amount, state) = crate::white_box::authorization(&app).await;
    assert_eq!((amount.to_string().as_str(), state.as_str()), ("21.64", "authorized"));
    let events = crate::white_box::outbox_event_audiences(&app).await;
    assert_eq!(events, [("order_create".into(), "distribution".into()), ("order_new".into(), "commerce".into())]);
}

#[tokio::test]
async fn the_idempotency_key_is_required_and_must_be_a_uuid_v4() {
    let app = TestApp::spawn().await;
    let (shop, body) = ready(&app).await;
    let missing = app.place_at(None, &shop.distribution, None, &body).await;
    problem_of(missing, StatusCode::BAD_REQUEST, "MISSING_IDEMPOTENCY_KEY").await;
    for bad in ["order-1", "0195a1b0-0000-7000-8000-000000000001", "\"\""] {
        let response = app.place(&shop.distribution, bad, &body).await;
        problem_of(response, StatusCode::BAD_REQUEST, "INVALID_IDEMPOTENCY_KEY").await;
    }
    assert_eq!(app.count("SELECT count(*) FROM idempotency_keys").await, 0);
    // Quoted, as a structured-field string, is accepted.
    let quoted = format!("\"{}\"", fresh_key());
    json_of(app.place(&shop.distribution, &quoted, &body).await, StatusCode::CREATED).await;
}

#[tokio::test]
async fn a_retry_replays_the_answer_and_a_different_body_is_a_conflict() {
    let app = TestApp::spawn().await;
    let (shop, body) = ready(&app).await;
    let key = fresh_key();
    let first = app.place(&shop.distribution, &key, &body).await;
    let first_location = first.headers()["location"].clone();
    let first_body = first.text().await.unwrap();

    // The same body, re-serialised with other key order and white space, replays.
    let reordered =
        serde_json::to_string_pretty(&serde_json::from_str::<BTreeMap<String, Value>>(&body.to_string()).unwrap())
            .unwrap()
            .replace("  ", "    ");
    let replay = app
        .client
        .post(format!("{}{PLACE}", app.address))
        .bearer_auth(&shop.distribution)
        .header("idempotency-key", &key)
        .header("content-type", "application/json")
        .body(reordered)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.headers()["location"], first_location);
    assert_eq!(replay.text().await.unwrap(), first_body, "byte for byte the first answer");

    let mut changed = body.clone();
    changed["customer"]["firstName"] = json!("Bob");
    let conflict =
        problem_of(app.place(&shop.distribution, &key, &changed).await, StatusCode::CONFLICT, "ORDER_ALREADY_PLACED")
            .await;
    let placed: Value = serde_json::from_str(&first_body).unwrap();
    assert_eq!(conflict["orderId"], placed["gettOrderId"]);
    assert_eq!(conflict["retryable"], false);

    // Keys are per organisation: another partner's same key is its own (and fails on the token).
    let other = app.key("Another App", marketfront::auth::OrgKind::Distribution).await;
    problem_of(app.place(&other, &key, &body).await, StatusCode::BAD_REQUEST, "TOKEN_INVALID").await;
    assert_eq!(orders_placed(&app).await, 1);
    assert_eq!(processor_approvals(&app).await, 1);
}

#[tokio::test]
async fn a_final_refusal_is_replayed_and_a_new_body_on_its_key_is_422() {
    let app = TestApp::spawn().await;
    let (shop, mut body) = ready(&app).await;
    body["validatedOrderToken"] = json!("vot_made_up");
    let key = fresh_key();
    problem_of(app.place(&shop.distribution, &key, &body).await, StatusCode::BAD_REQUEST, "TOKEN_INVALID").await;
    let replay = app.place(&shop.distribution, &key, &body).await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    problem_of(replay, StatusCode::BAD_REQUEST, "TOKEN_INVALID").await;
    body["validatedOrderToken"] = json!("vot_another");
    problem_of(
        app.place(&shop.distribution, &key, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "IDEMPOTENCY_KEY_REUSED",
    )
    .await;
}

#[tokio::test]
async fn a_token_backs_one_order_and_expires() {
    let app = TestApp::spawn().await;
    let (shop, body) = ready(&app).await;
    let placed = json_of(app.place(&shop.distribution, &fresh_key(), &body).await, StatusCode::CREATED).await;
    let again = problem_of(
        app.place(&shop.distribution, &fresh_key(), &body).await,
        StatusCode::CONFLICT,
        "ORDER_ALREADY_PLACED",
    )
    .await;
    assert_eq!(again["orderId"], placed["gettOrderId"]);

    let order = pickup(&shop, json!([margherita("l1", 2, "small", 0)]));
    let late = app.validated(&shop.distribution, &order, APPROVED).await;
    app.clock.advance(Duration::minutes(15));
    problem_of(app.place(&shop.distribution, &fresh_key(), &late).await, StatusCode::BAD_REQUEST, "TOKEN_EXPIRED")
        .await;

    // Another partner cannot use it.
    app.clock.set(monday_noon_new_york());
    let stranger = app.key("Another App", marketfront::auth::OrgKind::Distribution).await;
    problem_of(app.place(&stranger, &fresh_key(), &late).await, StatusCode::BAD_REQUEST, "TOKEN_INVALID").await;
    assert_eq!(orders_placed(&app).await, 1);
}

#[tokio::test]
async fn the_order_is_repriced_and_revalidated_against_the_live_store() {
    let app = TestApp::spawn().await;
    let (shop, body) = ready(&app).await;

    let mut wrong = body.clone();
    wrong["amounts"]["total"] = json!(19.99);
    let problem = problem_of(
        app.place(&shop.distribution, &fresh_key(), &wrong).await,
        StatusCode::BAD_REQUEST,
        "ORDER_TOTAL_DIFFERENT",
    )
    .await;
    assert_eq!(problem["amounts"]["total"].to_string(), "21.64", "the new amounts come with the refusal");

    // The price changes after validation: the shown total no longer holds.
    let mut menu = catalog_body(shop.catalog);
    menu["items"]["margherita"]["basePrice"] = json!(13.5);
    json_of(
        app.put(&format!("/v1/commerce/stores/{}/catalog-set", shop.store), &shop.commerce, &menu).await,
        StatusCode::OK,
    )
    .await;
    let problem = problem_of(
        app.place(&shop.distribution, &fresh_key(), &body).await,
        StatusCode::BAD_REQUEST,
        "ORDER_TOTAL_DIFFERENT",
    )
    .await;
    assert_eq!(problem["amounts"]["subTotal"].to_string(), "18.25");
    assert_eq!(paths(&problem), ["$.amounts.total"]);

    // The store pauses: every rule is checked again.
    let paused = json!({"status": "paused", "reason": "Power cut"});
    json_of(
        app.post(&format!("/v1/commerce/stores/{}/status", shop.store), &shop.commerce, &paused).await,
        StatusCode::OK,
    )
    .await;
    let problem =
        problem_of(app.place(&shop.distribution, &fresh_key(), &body).await, StatusCode::BAD_REQUEST, "STORE_CLOSED")
            .await;
    assert_eq!(problem["errors"][0]["code"], "STORE_CLOSED");
    assert_eq!(orders_placed(&app).await, 0);
    assert_eq!(app.count("SELECT count(*) FROM orders").await, 0, "a refused place leaves no order behind");
}

#[tokio::test]
async fn the_body_must_be_complete_and_match_the_token() {
    let app = TestApp::spawn().await;
    let (shop, body) = ready(&app).await;
    let without = |pointer: &str| {
        let mut changed = body.clone();
        let (parent, field) = pointer.rsplit_once('/').unwrap();
        changed.pointer_mut(parent).unwrap().as_object_mut().unwrap().remove(field);
        changed
    };
    let problem = problem_of(
        app.place(&shop.distribution, &fresh_key(), &without("/customer")).await,
        StatusCode::BAD_REQUEST,
        "INVALID_REQUEST",
    )
    .await;
    assert_eq!(paths(&problem), ["$.customer"]);
    let problem = problem_of(
        app.place(&shop.distribution, &fresh_key(), &without("/amounts/total")).await,
        StatusCode::BAD_REQUEST,
        "INVALID_REQUEST",
    )
    .await;
    assert_eq!(paths(&problem), ["$.amounts.total"]);
    problem_of(
        app.place(&shop.distribution, &fresh_key(), &without("/payment")).await,
        StatusCode::BAD_REQUEST,
        "PAYMENT_METHOD_INVALID",
    )
    .await;
    let mut two_ways = body.clone();
    two_ways["payment"]["gettPayment"] = json!({});
    problem_of(
        app.place(&shop.distribution, &fresh_key(), &two_ways).await,
        StatusCode::BAD_REQUEST,
        "PAYMENT_METHOD_INVALID",
    )
    .await;
    let mut saved = body.clone();
    saved["payment"] = json!({"savedCard": {"paymentId": "pm_1"}});
    let needs_user = app.place(&shop.distribution, &fresh_key(), &saved).await;
    assert_eq!(needs_user.headers()["www-authenticate"], "Bearer realm=\"marketfront\"", "every 401 names its scheme");
    problem_of(needs_user, StatusCode::UNAUTHORIZED, "SESSION_USER_REQUIRED").await;
    let mut other_cart = body.clone();
    other_cart["cart"]["lineItems"][0]["quantity"] = json!(3);
    let problem = problem_of(
        app.place(&shop.distribution, &fresh_key(), &other_cart).await,
        StatusCode::BAD_REQUEST,
        "TOKEN_INVALID",
    )
    .await;
    assert_eq!(paths(&problem), ["$.cart"]);
    let malformed = app.place(&shop.distribution, &fresh_key(), &json!({"amounts": {"total": "lots"}})).await;
    let problem = problem_of(malformed, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    assert_eq!(paths(&problem), ["$.amounts.total"]);
    assert_eq!(app.count("SELECT count(*) FROM orders").await, 0);
    // The token is still good.
    json_of(app.place(&shop.distribution, &fresh_key(), &body).await, StatusCode::CREATED).await;
}

#[tokio::test]
async fn a_declined_card_is_final_for_its_key_and_frees_the_token() {
    let app = TestApp::spawn().await;
    let (shop, mut body) = ready(&app).await;
    body["payment"]["cardOnFile"]["cardToken"] = json!("tok_chargeDeclined");
    let key = fresh_key();
    let declined =
        problem_of(app.place(&shop.distribution, &key, &body).await, StatusCode::BAD_REQUEST, "PAYMENT_DECLINED").await;
    assert_eq!(declined["errorCategory"], "payment");
    let replay = app.place(&shop.distribution, &key, &body).await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    problem_of(replay, StatusCode::BAD_REQUEST, "PAYMENT_DECLINED").await;

    // Another card, under a new key, with the same token.
    body["payment"]["cardOnFile"]["cardToken"] = json!(APPROVED);
    json_of(app.place(&shop.distribution, &fresh_key(), &body).await, StatusCode::CREATED).await;
    assert_eq!(orders_placed(&app).await, 1);
    assert_eq!(app.count("SELECT count(*) FROM payment_authorizations WHERE state = 'declined'").await, 1);
}

#[tokio::test]
async fn a_processor_failure_is_not_stored_and_an_abandoned_request_is_rolled_back() {
    let app = TestApp::spawn().await;
    let (shop, mut body) = ready(&app).await;
    body["payment"]["cardOnFile"]["cardToken"] = json!("tok_processorError");
    let key = fresh_key();
    let response = app.place(&shop.distribution, &key, &body).await;
    assert_eq!(response.headers()["retry-after"], "2");
    let failed = problem_of(response, StatusCode::BAD_REQUEST, "PAYMENT_FAILED").await;
    assert_eq!(failed["retryable"], true);
    // Not stored: the same key runs again (and fails again: the sandbox card always does).
    let again = app.place(&shop.distribution, &key, &body).await;
    assert!(again.headers().get("idempotent-replayed").is_none());
    problem_of(again, StatusCode::BAD_REQUEST, "PAYMENT_FAILED").await;
    assert_eq!(app.count("SELECT count(*) FROM orders").await, 1, "the retry resumed the same order");

    // Nobody retries: once the lease has run out, the completer voids and rolls back, and
    // frees the token and the key.
    app.clock.advance(Duration::seconds(31));
    app.eventually("the completer", || async {
        (app.count("SELECT count(*) FROM idempotency_keys").await == 0).then_some(())
    })
    .await;
    assert_eq!(app.count("SELECT count(*) FROM orders WHERE placement = 'failed'").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM payment_authorizations WHERE state = 'voided'").await, 1);
    body["payment"]["cardOnFile"]["cardToken"] = json!(APPROVED);
    app.clock.set(monday_noon_new_york());
    json_of(app.place(&shop.distribution, &key, &body).await, StatusCode::CREATED).await;
}

#[tokio::test]
async fn fifty_concurrent_requests_with_one_key_place_one_order() {
    let app = TestApp::spawn().await;
    let (shop, mut body) = ready(&app).await;
    body["payment"]["cardOnFile"]["cardToken"] = json!("tok_slow_300");
    let key = fresh_key();
    let answers =
        futures_util::future::join_all((0..50).map(|_| async { app.place(&shop.distribution, &key, &body).await }))
            .await;
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for answer in answers {
        let status = answer.status();
        let replayed = answer.headers().contains_key("idempotent-replayed");
        let text = answer.text().await.unwrap();
        let label = match status {
            StatusCode::CREATED if replayed => "replayed".to_string(),
            StatusCode::CREATED => "created".to_string(),
            StatusCode::CONFLICT => {
                serde_json::from_str::<Value>(&text).unwrap()["errorCode"].as_str().unwrap().to_string()
            }
            other => panic!("unexpected {other}: {text}"),
        };
        *seen.entry(label).or_default() += 1;
    }
    assert_eq!(seen.get("created"), Some(&1), "{seen:?}");
    assert_eq!(
        seen.keys().filter(|k| !["created", "replayed", "IDEMPOTENCY_KEY_IN_USE"].contains(&k.as_str())).count(),
        0,
        "{seen:?}"
    );
    assert_eq!(orders_placed(&app).await, 1);
    assert_eq!(app.count("SELECT count(*) FROM orders").await, 1);
    assert_eq!(processor_approvals(&app).await, 1);
    assert_eq!(processor_requests(&app).await, 1, "never a second execution: the processor was asked once");
}

#[tokio::test]
async fn two_instances_given_one_key_at_once_place_one_order() {
    let app = TestApp::spawn().await;
    let other = app.another_instance().await;
    let (shop, mut body) = ready(&app).await;
    body["payment"]["cardOnFile"]["cardToken"] = json!("tok_slow_200");
    let key = fresh_key();
    let (a, b) = tokio::join!(
        app.place_at(None, &shop.distribution, Some(&key), &body),
        app.place_at(Some(&other), &shop.distribution, Some(&key), &body)
    );
    // Exactly one of them placed. The other either met the key in use (they overlapped, as
    // they almost always do) or, had the first finished before it began, replayed its answer:
    // both are right, and neither depends on how fast this machine is.
    let fresh =
        |r: &reqwest::Response| r.status() == StatusCode::CREATED && !r.headers().contains_key("idempotent-replayed");
    let (placed, other_answer) = if fresh(&a) { (a, b) } else { (b, a) };
    assert!(fresh(&placed), "one of the two placed the order: {}", placed.status());
    let placed_body: Value = placed.json().await.unwrap();
    match other_answer.status() {
        StatusCode::CONFLICT => {
            assert!(other_answer.headers().contains_key("retry-after"));
            let problem: Value = other_answer.json().await.unwrap();
            assert_eq!(problem["errorCode"], "IDEMPOTENCY_KEY_IN_USE");
        }
        StatusCode::CREATED => {
            assert_eq!(other_answer.headers()["idempotent-replayed"], "true");
            let replayed: Value = other_answer.json().await.unwrap();
            assert_eq!(replayed, placed_body);
        }
        other => panic!("the second answer was {other}"),
    }
    // Once the first has finished, either instance replays it.
    let replay = app.place_at(Some(&other), &shop.distribution, Some(&key), &body).await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(orders_placed(&app).await, 1);
    assert_eq!(processor_approvals(&app).await, 1);
    assert_eq!(processor_requests(&app).await, 1);
}

#[tokio::test]
async fn orders_are_private_to_their_partner_and_session_user() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let session = |user: &'static str| {
        let key = shop.distribution.clone();
        let app = &app;
        async move {
            let created = app
                .post(
                    "/v1/marketplace/session/create",
                    &key,
                    &json!({"partnerUserId": user, "firstName": "Sam", "lastName": "Lee", "email": "sam@example.com"}),
                )
                .await;
            json_of(created, StatusCode::CREATED).await["token"].as_str().unwrap().to_string()
        }
    };
    let sam = session("sam").await;
    let kim = session("kim").await;

    // A session places with its user's saved card; the customer comes from the session.
    let mut order = pickup(&shop, json!([margherita("l1", 1, "small", 0)]));
    order.as_object_mut().unwrap().remove("customer");
    let mut body = app.validated(&sam, &order, APPROVED).await;
    let card = json!({"cardNumber": "4242424242424242", "expiration": "2030-01", "cvc": "123"});
    let card = json_of(app.post("/v1/marketplace/checkout/payments", &sam, &card).await, StatusCode::CREATED).await;
    body["payment"] = json!({"savedCard": {"paymentId": card["paymentId"]}});
    let placed = json_of(app.place(&sam, &fresh_key(), &body).await, StatusCode::CREATED).await;
    assert_eq!(placed["customer"]["firstName"], "Sam");
    assert_eq!(placed["payment"]["method"], "savedCard");
    let path = format!("/v1/marketplace/orders/{}", placed["gettOrderId"].as_str().unwrap());

    json_of(app.get(&path, &sam).await, StatusCode::OK).await;
    json_of(app.get(&path, &shop.distribution).await, StatusCode::OK).await;
    problem_of(app.get(&path, &kim).await, StatusCode::NOT_FOUND, "ORDER_NOT_FOUND").await;
    let stranger = app.key("Another App", marketfront::auth::OrgKind::Distribution).await;
    problem_of(app.get(&path, &stranger).await, StatusCode::NOT_FOUND, "ORDER_NOT_FOUND").await;
    problem_of(app.get(&path, &shop.commerce).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    problem_of(app.get("/v1/marketplace/orders/ord_1", &sam).await, StatusCode::NOT_FOUND, "ORDER_NOT_FOUND").await;
    problem_of(
        app.get(&format!("/v1/marketplace/orders/{}", Uuid::now_v7()), &sam).await,
        StatusCode::NOT_FOUND,
        "ORDER_NOT_FOUND",
    )
    .await;

    assert_eq!(json_of(app.get("/v1/marketplace/orders", &kim).await, StatusCode::OK).await["totalCount"], 0);
    assert_eq!(json_of(app.get("/v1/marketplace/orders", &sam).await, StatusCode::OK).await["totalCount"], 1);
    assert_eq!(json_of(app.get("/v1/marketplace/orders", &stranger).await, StatusCode::OK).await["totalCount"], 0);
    problem_of(app.get("/v1/marketplace/orders?limit=0", &sam).await, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    let anonymous = app.request(Method::GET, "/v1/marketplace/orders", None, None).await;
    problem_of(anonymous, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
}

#[tokio::test]
async fn orders_are_listed_newest_first_with_pagination() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let mut ids = Vec::new();
    for quantity in 1..=3 {
        let order = pickup(&shop, json!([margherita("l1", quantity, "small", 0)]));
        let body = app.validated(&shop.distribution, &order, APPROVED).await;
        let placed = json_of(app.place(&shop.distribution, &fresh_key(), &body).await, StatusCode::CREATED).await;
        ids.push(placed["gettOrderId"].clone());
        app.clock.advance(Duration::minutes(1));
    }
    let first = json_of(app.get("/v1/marketplace/orders?limit=2", &shop.distribution).await, StatusCode::OK).await;
    assert_eq!(first["totalCount"], 3);
    assert_eq!(first["hasMore"], true);
    let listed: Vec<Value> = first["orders"].as_array().unwrap().iter().map(|o| o["gettOrderId"].clone()).collect();
    assert_eq!(listed, [ids[2].clone(), ids[1].clone()]);
    let rest =
        json_of(app.get("/v1/marketplace/orders?limit=2&offset=2", &shop.distribution).await, StatusCode::OK).await;
    assert_eq!(rest["orders"][0]["gettOrderId"], ids[0]);
    assert_eq!(rest["hasMore"], false);
}

#[tokio::test]
async fn after_the_key_is_reaped_a_retry_still_cannot_place_twice() {
    let app = TestApp::spawn().await;
    let (shop, body) = ready(&app).await;
    let key = fresh_key();
    json_of(app.place(&shop.distribution, &key, &body).await, StatusCode::CREATED).await;
    // The reaper's pass, driven at the test clock.
    let reap = || marketfront::app::housekeeping::reap(&app.state);
    app.clock.advance(Duration::hours(23));
    reap().await.unwrap();
    assert_eq!(app.count("SELECT count(*) FROM idempotency_keys").await, 1, "kept 24 hours");
    app.clock.advance(Duration::hours(2));
    reap().await.unwrap();
    assert_eq!(app.count("SELECT count(*) FROM idempotency_keys").await, 0);

    // The same request a day later: the key is forgotten, so it runs again, and the token
    // (consumed, then reaped) cannot back a second order.
    problem_of(app.place(&shop.distribution, &key, &body).await, StatusCode::BAD_REQUEST, "TOKEN_INVALID").await;
    assert_eq!(app.count("SELECT count(*) FROM orders").await, 1);
    assert_eq!(processor_requests(&app).await, 1);
}
