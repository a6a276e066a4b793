//! Webhooks end to end: a receiver the test runs, which verifies both signatures with its own
//! code written from the two specifications, fails on demand and records what it got.

use crate::helpers::*;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::response::IntoResponse;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Duration;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug)]
pub struct Received {
    headers: HeaderMap,
    body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(|v| v.to_str().unwrap()).unwrap_or_default()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// One scripted answer: a status, and a Retry-After to send with it.
type Answer = (u16, Option<&'static str>);

/// An HTTP server that answers from a script (then 200) and keeps every request.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<Answer>>>,
}

impl Receiver {
    pub async fn start(script: &[Answer]) -> Receiver {
        let receiver = Receiver {
            url: String::new(),
            got: Arc::default(),
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
        };
        let state = receiver.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move {
                    state.got.lock().unwrap().push(Received { headers, body });
                    let (status, retry_after) = state.script.lock().unwrap().pop_front().unwrap_or((200, None));
                    let mut response = AxumStatus::from_u16(status).unwrap().into_response();
                    if let Some(seconds) = retry_after {
                        response.headers_mut().insert("retry-after", seconds.parse().unwrap());
                    }
                    response
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url, ..receiver }
    }

    pub fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// The receiver's own check of the portal scheme: hex HMAC-SHA256 of the raw body.
pub fn portal_signature_ok(secret: &str, received: &Received) -> bool {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(&received.body);
    let expected = hex::encode(mac.finalize().into_bytes());
    received.header("signature").split(',').any(|s| s == expected)
}

/// The receiver's own check of Standard Webhooks: base64 HMAC of "{id}.{timestamp}.{body}".
pub fn standard_signature_ok(secret: &str, received: &Received) -> bool {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.", received.header("webhook-id"), received.header("webhook-timestamp")).as_bytes());
    mac.update(&received.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    received.header("webhook-signature").split(' ').any(|s| s == expected)
}

async fn register(app: &TestApp, key: &str, url: &str) -> Value {
    json_of(app.post("/v1/webhooks/endpoints", key, &json!({"url": url})).await, StatusCode::CREATED).await
}

pub async fn received(app: &TestApp, receiver: &Receiver, count: usize) -> Vec<Received> {
    app.eventually(&format!("{count} webhook requests"), || async {
        let got = receiver.got();
        (got.len() >= count).then_some(got)
    })
    .await
}

async fn deliveries(app: &TestApp, key: &str) -> Vec<Value> {
    let page = json_of(app.get("/v1/webhooks/deliveries", key).await, StatusCode::OK).await;
    page["deliveries"].as_array().unwrap().clone()
}

/// What a dispatcher's claim would take now: nothing, when no delivery is due.
async fn nothing_due(app: &TestApp) -> bool {
    use marketfront::app::queue::{Queue, lease_now};
    let queue = marketfront::app::webhooks::Deliveries;
    queue.claim(&app.state, lease_now(&app.state, &queue), 64).await.unwrap().is_empty()
}

#[tokio::test]
async fn each_party_is_told_and_every_delivery_is_signed_both_ways() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let partner = Receiver::start(&[]).await;
    let restaurant = Receiver::start(&[]).await;
    let endpoint = register(&app, &shop.distribution, &partner.url).await;
    assert_eq!(endpoint["eventTypes"], json!(["order_create", "order_update"]));
    let secret = endpoint["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    let restaurant_secret =
        register(&app, &shop.commerce, &restaurant.url).await["secret"].as_str().unwrap().to_string();
    let listed = json_of(app.get("/v1/webhooks/endpoints", &shop.distribution).await, StatusCode::OK).await;
    assert!(listed["endpoints"][0].get("secret").is_none(), "a secret is shown once");

    let order = app.place_one(&shop, &shop.distribution).await;
    let created = &received(&app, &partner, 1).await[0];
    assert!(portal_signature_ok(&secret, created) && standard_signature_ok(&secret, created));
    assert!(!portal_signature_ok(&restaurant_secret, created), "another secret does not verify");
    let payload = created.json();
    assert_eq!(payload["eventType"], "order_create");
    assert_eq!(created.header("webhook-id"), payload["eventId"].as_str().unwrap());
    assert_eq!(created.header("api-version"), "2026-11-01");
    assert_eq!(created.header("timestamp"), app.clock_now().timestamp().to_string());
    assert_eq!((payload["orderId"].clone(), payload["version"].clone()), (order["gettOrderId"].clone(), json!(1)));
    assert_eq!(payload["order"]["amounts"]["total"].to_string(), "20.79");

    let to_fulfil = &received(&app, &restaurant, 1).await[0];
    assert!(portal_signature_ok(&restaurant_secret, to_fulfil) && standard_signature_ok(&restaurant_secret, to_fulfil));
    assert_eq!(to_fulfil.json()["eventType"], "order_new");

    let path = format!("/v1/commerce/orders/{}/status", order["gettOrderId"].as_str().unwrap());
    json_of(app.post(&path, &shop.commerce, &json!({"status": "confirmed"})).await, StatusCode::OK).await;
    let update = received(&app, &partner, 2).await[1].json();
    assert_eq!((update["eventType"].as_str(), update["version"].as_i64()), (Some("order_update"), Some(2)));
    assert_eq!(update["status"], "confirmed");
    // The receiver has the request a moment before the dispatcher has recorded the answer.
    app.eventually("both deliveries recorded as delivered", || async {
        let delivered = deliveries(&app, &shop.distribution).await.iter().filter(|d| d["state"] == "delivered").count();
        (delivered == 2).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_failing_receiver_gets_every_event_after_back_off() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let partner = Receiver::start(&[(500, None), (502, None)]).await;
    register(&app, &shop.distribution, &partner.url).await;
    let started = app.clock_now();
    app.place_one(&shop, &shop.distribution).await;

    received(&app, &partner, 1).await;
    let failed = app
        .eventually("the failure recorded", || async {
            let list = deliveries(&app, &shop.distribution).await;
            (list[0]["lastStatus"] == 500).then_some(list[0].clone())
        })
        .await;
    assert_eq!((failed["state"].as_str(), failed["attempts"].as_i64()), (Some("pending"), Some(1)));
    let next: chrono::DateTime<chrono::Utc> = failed["nextAttemptAt"].as_str().unwrap().parse().unwrap();
    let wait = next - started;
    assert!(wait >= Duration::seconds(27) && wait <= Duration::seconds(33), "30 s ± 10%: {wait}");

    // Nothing happens until the clock reaches the retry (a dispatcher's claim finds nothing due);
    // then 502 and about 2 minutes more.
    assert!(nothing_due(&app).await, "no attempt before the retry's time");
    assert_eq!(partner.got().len(), 1);
    app.clock.advance(Duration::seconds(34));
    received(&app, &partner, 2).await;
    // The next attempt's time is reckoned when the answer is recorded: wait for that first.
    app.eventually("the 502 recorded", || async {
        (deliveries(&app, &shop.distribution).await[0]["lastStatus"] == 502).then_some(())
    })
    .await;
    app.clock.advance(Duration::seconds(140));
    let got = received(&app, &partner, 3).await;
    let ids: Vec<&str> = got.iter().map(|r| r.header("webhook-id")).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "the same event each time, so it can be de-duplicated: {ids:?}");
    let delivered = app
        .eventually("delivered", || async {
            let list = deliveries(&app, &shop.distribution).await;
            (list[0]["state"] == "delivered").then_some(list[0].clone())
        })
        .await;
    assert_eq!(delivered["attempts"], 3);
    assert_eq!(delivered["lastStatus"], 200);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let partner = Receiver::start(&[(503, Some("600"))]).await;
    register(&app, &shop.distribution, &partner.url).await;
    let started = app.clock_now();
    app.place_one(&shop, &shop.distribution).await;
    let failed = app
        .eventually("the 503 recorded", || async {
            let list = deliveries(&app, &shop.distribution).await;
            (list[0]["lastStatus"] == 503).then_some(list[0].clone())
        })
        .await;
    let next: chrono::DateTime<chrono::Utc> = failed["nextAttemptAt"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        next - started,
        Duration::seconds(600),
        "the receiver asked for 10 minutes, more than the 30 s back-off"
    );
}

#[tokio::test]
async fn gone_disables_the_endpoint_until_enabled_and_replay_sends_again() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let partner = Receiver::start(&[(410, None)]).await;
    let endpoint = register(&app, &shop.distribution, &partner.url).await;
    let order = app.place_one(&shop, &shop.distribution).await;
    let dead = app
        .eventually("the 410 recorded", || async {
            let list = deliveries(&app, &shop.distribution).await;
            (list[0]["state"] == "dead").then_some(list[0].clone())
        })
        .await;
    assert_eq!(dead["lastStatus"], 410);
    let listed = json_of(app.get("/v1/webhooks/endpoints", &shop.distribution).await, StatusCode::OK).await;
    assert_eq!(listed["endpoints"][0]["enabled"], false);

    // While disabled, new events wait for it rather than being lost.
    let path = format!("/v1/commerce/orders/{}/status", order["gettOrderId"].as_str().unwrap());
    json_of(app.post(&path, &shop.commerce, &json!({"status": "confirmed"})).await, StatusCode::OK).await;
    assert!(nothing_due(&app).await, "a disabled endpoint's deliveries wait");
    assert_eq!(partner.got().len(), 1);
    let id = endpoint["endpointId"].as_str().unwrap();
    json_of(
        app.post(&format!("/v1/webhooks/endpoints/{id}/enable"), &shop.distribution, &json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(received(&app, &partner, 2).await[1].json()["eventType"], "order_update");

    // The dead one, replayed by hand.
    let replay = format!("/v1/webhooks/deliveries/{}/replay", dead["deliveryId"].as_str().unwrap());
    json_of(app.post(&replay, &shop.distribution, &json!({})).await, StatusCode::ACCEPTED).await;
    let again = &received(&app, &partner, 3).await[2];
    assert_eq!(again.json()["eventType"], "order_create");
    let stranger = app.key("Another App", marketfront::auth::OrgKind::Distribution).await;
    problem_of(app.post(&replay, &stranger, &json!({})).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}

/// The delivery of the first event of `event_type`.
async fn delivery_of(app: &TestApp, key: &str, event_type: &str) -> Value {
    deliveries(app, key).await.into_iter().rev().find(|d| d["eventType"] == event_type).unwrap()
}

#[tokio::test]
async fn a_delivery_out_of_attempts_is_dead_until_replayed() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let partner = Receiver::start(&[(500, None), (500, None)]).await;
    register(&app, &shop.distribution, &partner.url).await;
    app.place_one(&shop, &shop.distribution).await;
    let first = received(&app, &partner, 1).await[0].header("webhook-id").to_string();
    app.eventually("the failure recorded", || async {
        (delivery_of(&app, &shop.distribution, "order_create").await["lastStatus"] == 500).then_some(())
    })
    .await;
    // Skip ahead to the last attempt of the three days. (The order is cancelled meanwhile, as
    // nobody confirms it: those events are delivered too.)
    crate::white_box::set_delivery_attempts(&app, 74).await;
    app.clock.advance(Duration::hours(2));
    let dead = app
        .eventually("dead", || async {
            let delivery = delivery_of(&app, &shop.distribution, "order_create").await;
            (delivery["state"] == "dead").then_some(delivery)
        })
        .await;
    assert!(dead["lastError"].as_str().unwrap().contains("out of attempts"), "{dead}");
    let replayed =
        json_of(app.post("/v1/webhooks/deliveries/replay", &shop.distribution, &json!({})).await, StatusCode::ACCEPTED)
            .await;
    assert!(replayed["replayed"].as_u64().unwrap() >= 1, "{replayed}");
    app.eventually("delivered after the replay", || async {
        (delivery_of(&app, &shop.distribution, "order_create").await["state"] == "delivered").then_some(())
    })
    .await;
    let copies = partner.got().iter().filter(|r| r.header("webhook-id") == first).count();
    assert_eq!(copies, 3, "two failures, then the replay, and never a copy more");
}

#[tokio::test]
async fn during_a_rotation_both_secrets_verify_then_only_the_new_one() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let partner = Receiver::start(&[]).await;
    let endpoint = register(&app, &shop.distribution, &partner.url).await;
    let old = endpoint["secret"].as_str().unwrap().to_string();
    let path = format!("/v1/webhooks/endpoints/{}/rotate-secret", endpoint["endpointId"].as_str().unwrap());
    let rotated =
        json_of(app.post(&path, &shop.distribution, &json!({"overlapHours": 24})).await, StatusCode::OK).await;
    let new = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(old, new);
    assert_eq!(rotated["previousSecretExpiresAt"], "2026-11-24T17:00:00Z");

    app.place_one(&shop, &shop.distribution).await;
    let during = &received(&app, &partner, 1).await[0];
    for secret in [&old, &new] {
        assert!(portal_signature_ok(secret, during) && standard_signature_ok(secret, during), "{secret}");
    }
    app.clock.advance(Duration::hours(25));
    // (The first order is cancelled meanwhile, unconfirmed: its events arrive too.)
    let order = app.place_one(&shop, &shop.distribution).await;
    let after = app
        .eventually("the second order's event", || async {
            partner.got().into_iter().find(|r| r.json()["orderId"] == order["gettOrderId"])
        })
        .await;
    let after = &after;
    assert!(portal_signature_ok(&new, after) && standard_signature_ok(&new, after));
    assert!(!portal_signature_ok(&old, after) && !standard_signature_ok(&old, after), "the old secret has expired");
}

#[tokio::test]
async fn endpoints_are_checked_when_registered() {
    let app = TestApp::spawn_with(|config| config.allow_private_urls = false).await;
    let key = app.distribution_key().await;
    let commerce = app.commerce_key().await;
    let refused = |body: Value, key: String| {
        let app = &app;
        async move {
            problem_of(
                app.post("/v1/webhooks/endpoints", &key, &body).await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "VALIDATION_FAILED",
            )
            .await
        }
    };
    let private = refused(json!({"url": "http://127.0.0.1:9/hook"}), key.clone()).await;
    assert!(private["errors"][0]["message"].as_str().unwrap().contains("private or loopback"), "{private}");
    assert_eq!(paths(&refused(json!({"url": "ftp://example.com/x"}), key.clone()).await), ["$.url"]);
    // A public address (an IP literal, so no DNS is needed) with an event this partner cannot get.
    let wrong_events =
        refused(json!({"url": "https://93.184.215.14/x", "eventTypes": ["order_new"]}), key.clone()).await;
    assert_eq!(paths(&wrong_events), ["$.eventTypes[0]"]);
    let for_restaurant = refused(json!({"url": "ftp://x", "eventTypes": ["order_create"]}), commerce).await;
    assert_eq!(paths(&for_restaurant), ["$.url", "$.eventTypes[0]"]);
    let session = json_of(
        app.post("/v1/marketplace/session/create", &key, &json!({"partnerUserId": "u"})).await,
        StatusCode::CREATED,
    )
    .await;
    let token = session["token"].as_str().unwrap();
    problem_of(app.get("/v1/webhooks/endpoints", token).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
}
