//! No tenant can stall another's background work: webhook deliveries are claimed fairly across
//! endpoints and organisations, a failing endpoint trips a circuit, endpoints per organisation
//! are capped, and catalog fetches run side by side with a share per organisation.

use crate::catalog_server::{Step, catalog_server};
use crate::helpers::*;
use crate::webhooks::{Receiver, received};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use uuid::Uuid;

/// A receiver that takes every request and never answers: how a dead or malicious endpoint
/// looks from the dispatcher's side. Counts the requests it is holding.
async fn black_hole() -> (String, Arc<AtomicUsize>) {
    let held = Arc::new(AtomicUsize::new(0));
    let counter = held.clone();
    let app = axum::Router::new().route(
        "/{*rest}",
        axum::routing::post(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                std::future::pending::<()>().await;
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, held)
}

async fn register(app: &TestApp, key: &str, url: &str) -> Value {
    json_of(app.post("/v1/webhooks/endpoints", key, &json!({"url": url})).await, StatusCode::CREATED).await
}

fn order_ids(got: &[crate::webhooks::Received]) -> Vec<String> {
    got.iter().map(|r| r.json()["orderId"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_tenant_whose_64_endpoints_hang_delays_only_its_own_deliveries() {
    let app = TestApp::spawn_with(|config| {
        config.webhook_max_endpoints = 64;
        config.webhook_timeout = std::time::Duration::from_secs(10);
        config.webhook_organization_concurrency = 32;
    })
    .await;
    let shop = pizzeria(&app).await;
    let restaurant = Receiver::start(&[]).await;
    register(&app, &shop.commerce, &restaurant.url).await;

    // The abuser: 64 endpoints at a receiver that never answers, and one order to feed them.
    let (hole, held) = black_hole().await;
    for i in 0..64 {
        register(&app, &shop.distribution, &format!("{hole}/hook/{i}")).await;
    }
    app.place_one(&shop, &shop.distribution).await;
    app.eventually("the abuser's endpoints to hold requests", || async {
        (held.load(Ordering::SeqCst) >= 32).then_some(())
    })
    .await;

    // A good partner orders from the same restaurant while those requests hang.
    let good = app.key("Good Delivery App", marketfront::auth::OrgKind::Distribution).await;
    let good_receiver = Receiver::start(&[]).await;
    register(&app, &good, &good_receiver.url).await;
    let started = Instant::now();
    let order = app.place_one(&shop, &good).await;
    let id = order["gettOrderId"].as_str().unwrap().to_string();
    app.eventually("the restaurant's order_new for the good partner's order", || async {
        order_ids(&restaurant.got()).contains(&id).then_some(())
    })
    .await;
    let created = received(&app, &good_receiver, 1).await;
    let waited = started.elapsed();
    assert_eq!(order_ids(&created), vec![id]);
    assert!(waited < std::time::Duration::from_secs(2), "the good tenant's webhooks took {waited:?}");
    let hanging = held.load(Ordering::SeqCst);
    assert!(hanging <= 32, "the abuser holds at most its organisation's share, {hanging} requests");
}

#[tokio::test]
async fn a_failing_endpoint_trips_its_circuit_then_a_probe_closes_it() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let failing = Receiver::start(&[(500, None); 5]).await;
    let endpoint = register(&app, &shop.distribution, &failing.url).await;
    let restaurant = Receiver::start(&[]).await;
    register(&app, &shop.commerce, &restaurant.url).await;
    for _ in 0..5 {
        app.place_one(&shop, &shop.distribution).await;
    }
    received(&app, &failing, 5).await;
    let listed = app
        .eventually("the circuit to open", || async {
            let list = json_of(app.get("/v1/webhooks/endpoints", &shop.distribution).await, StatusCode::OK).await;
            let listed = list["endpoints"][0].clone();
            listed["circuitOpenUntil"].is_string().then_some(listed)
        })
        .await;
    assert_eq!(listed["endpointId"], endpoint["endpointId"]);
    assert_eq!(listed["consecutiveFailures"], 5);
    let open_until: chrono::DateTime<chrono::Utc> = listed["circuitOpenUntil"].as_str().unwrap().parse().unwrap();
    assert_eq!(open_until - app.clock_now(), Duration::seconds(30));

    // While it is open, a new order reaches the restaurant but not the resting endpoint.
    let sixth = app.place_one(&shop, &shop.distribution).await;
    let sixth_id = sixth["gettOrderId"].as_str().unwrap().to_string();
    app.eventually("the sixth order at the restaurant", || async {
        order_ids(&restaurant.got()).contains(&sixth_id).then_some(())
    })
    .await;
    app.eventually("the dispatcher to pass the sixth order's delivery over", || async {
        let list = json_of(app.get("/v1/webhooks/deliveries", &shop.distribution).await, StatusCode::OK).await;
        let sixth = list["deliveries"].as_array().unwrap().iter().find(|d| d["orderId"] == sixth_id.as_str())?.clone();
        (sixth["attempts"] == 0).then_some(())
    })
    .await;
    assert_eq!(failing.got().len(), 5, "nothing is sent while the circuit is open");

    // After the rest (and the failed deliveries' own back-off), one probe, then the rest.
    app.clock.advance(Duration::seconds(40));
    let got = received(&app, &failing, 11).await;
    assert_eq!(got.len(), 11, "each of the six orders delivered, the five failures once more");
    let healed = app
        .eventually("the circuit to close", || async {
            let list = json_of(app.get("/v1/webhooks/endpoints", &shop.distribution).await, StatusCode::OK).await;
            let listed = list["endpoints"][0].clone();
            (listed["consecutiveFailures"] == 0).then_some(listed)
        })
        .await;
    assert!(healed.get("circuitOpenUntil").is_none(), "{healed}");
}

#[tokio::test]
async fn endpoints_per_organisation_are_capped_and_can_be_deleted_with_their_deliveries() {
    let app = TestApp::spawn_with(|config| config.webhook_max_endpoints = 3).await;
    let shop = pizzeria(&app).await;
    let (hole, _) = black_hole().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(register(&app, &shop.distribution, &format!("{hole}/hook/{i}")).await["endpointId"].clone());
    }
    let refused = app.post("/v1/webhooks/endpoints", &shop.distribution, &json!({"url": format!("{hole}/x")})).await;
    let problem = problem_of(refused, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_eq!(problem["errors"][0]["code"], "TOO_MANY_ENDPOINTS", "{problem}");
    // Another organisation has a cap of its own.
    register(&app, &shop.commerce, &format!("{hole}/restaurant")).await;

    app.place_one(&shop, &shop.distribution).await;
    let deliveries = |key: String| {
        let app = &app;
        async move {
            let page = json_of(app.get("/v1/webhooks/deliveries", &key).await, StatusCode::OK).await;
            page["deliveries"].as_array().unwrap().clone()
        }
    };
    assert_eq!(deliveries(shop.distribution.clone()).await.len(), 3);

    let gone = ids[0].as_str().unwrap();
    let path = format!("/v1/webhooks/endpoints/{gone}");
    let response = app.request(reqwest::Method::DELETE, &path, Some(&shop.distribution), None).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let left = deliveries(shop.distribution.clone()).await;
    assert_eq!(left.len(), 2, "the deleted endpoint's deliveries went with it");
    assert!(left.iter().all(|d| d["endpointId"] != gone));
    let again = app.request(reqwest::Method::DELETE, &path, Some(&shop.distribution), None).await;
    problem_of(again, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let others = app
        .request(reqwest::Method::DELETE, &path.replace(gone, ids[1].as_str().unwrap()), Some(&shop.commerce), None)
        .await;
    problem_of(others, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    register(&app, &shop.distribution, &format!("{hole}/hook/new")).await;
}

#[tokio::test]
async fn catalog_urls_that_drip_a_byte_a_second_delay_only_their_own_organisation() {
    // Longer than the test runs, so no dripping fetch times out and frees its slot for the
    // organisation's third: then at most two fetches ever reach the dripping server.
    let app = TestApp::spawn_with(|config| config.pull_timeout = std::time::Duration::from_secs(60)).await;
    let slow_key = app.key("Slow Menus Inc", marketfront::auth::OrgKind::Commerce).await;
    let slow_store = app.store_with_menu(&slow_key, &store_body("Slow")).await;
    let (drip, drip_menu) = catalog_server(vec![Step::Drip]).await;
    let notify = |key: &str, store: Uuid, url: &str| {
        let (key, url) = (key.to_string(), url.to_string());
        let app = &app;
        async move {
            let path = format!("/v1/commerce/catalogset-notification?storeId={store}");
            let body = json_of(app.post(&path, &key, &json!({"callbackUrl": url})).await, StatusCode::ACCEPTED).await;
            format!("/v1/commerce/catalogset-ingestions/{}", body["ingestionId"].as_str().unwrap())
        }
    };
    for _ in 0..3 {
        notify(&slow_key, slow_store, &drip).await;
    }
    app.eventually("the slow organisation's pulls to start", || async { (drip_menu.hits() >= 2).then_some(()) }).await;

    let quick_key = app.commerce_key().await;
    let quick_store = app.store_with_menu(&quick_key, &store_body("Quick")).await;
    let (menu, _) = catalog_server(vec![Step::Serve(catalog_body(Uuid::now_v7()))]).await;
    let started = Instant::now();
    let location = notify(&quick_key, quick_store, &menu).await;
    app.eventually("the quick organisation's pull", || async {
        let body = json_of(app.get(&location, &quick_key).await, StatusCode::OK).await;
        (body["status"] == "succeeded").then_some(())
    })
    .await;
    let waited = started.elapsed();
    assert!(waited < std::time::Duration::from_secs(3), "another partner's pull waited {waited:?}");
    assert_eq!(drip_menu.hits(), 2, "one organisation has at most two fetches under way");
}
