//! The holes a probe as an attacker and a careless partner found (issue 11), one test each:
//! forged sessions, money past its ceiling, unbounded bodies, guessing keys, label growth,
//! stalled connections, another user's idempotency key, lax place bodies, out-of-range
//! times, and secrets stored in clear.

use crate::helpers::*;
use crate::white_box::tables_holding;
use chrono::Duration;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use marketfront::app::keys;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

const STORES: &str = "/v1/marketplace/stores";
const VALIDATE: &str = "/v1/marketplace/orders/validate";

/// A session signed with the server's own secret, with whatever claims the test likes: what
/// anyone holding a leaked secret, or a careless minting service, could produce.
fn signed(app: &TestApp, claims: Value) -> String {
    let key = EncodingKey::from_secret(app.state.config.jwt_secret.as_bytes());
    encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap()
}

fn claims(org: Uuid, iat: i64, exp: i64) -> Value {
    json!({"iss": "marketfront", "sub": "user-1", "org": org, "email": "ann@example.com",
           "iat": iat, "exp": exp, "jti": Uuid::new_v4()})
}

async fn org_id(app: &TestApp, key: &str) -> Uuid {
    let prefix = keys::prefix_of(key).unwrap();
    crate::white_box::organization_of_key(app, &prefix).await
}

#[tokio::test]
async fn a_well_signed_session_still_has_to_follow_every_rule() {
    let app = TestApp::spawn().await;
    let key = app.distribution_key().await;
    let org = org_id(&app, &key).await;
    let now = app.clock_now().timestamp();
    let fine = signed(&app, claims(org, now, now + 600));
    json_of(app.get(STORES, &fine).await, StatusCode::OK).await;

    let mut not_yet = claims(org, now, now + 600);
    not_yet["nbf"] = json!(now + 300);
    let commerce = app.commerce_key().await;
    let refused = [
        ("expiring in a hundred years", signed(&app, claims(org, now, now + 100 * 365 * 86_400))),
        ("issued in the future", signed(&app, claims(org, now + 3_600, now + 3_700))),
        ("not valid yet", signed(&app, not_yet)),
        ("of an organisation that does not exist", signed(&app, claims(Uuid::now_v7(), now, now + 600))),
        ("of a commerce organisation", signed(&app, claims(org_id(&app, &commerce).await, now, now + 600))),
    ];
    for (what, token) in refused {
        let response = app.get(STORES, &token).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "a session {what}");
        problem_of(response, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    }
}

#[tokio::test]
async fn a_session_dies_with_its_organisations_keys() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let created = app.post("/v1/marketplace/session/create", &shop.distribution, &json!({"partnerUserId": "u"})).await;
    let token = json_of(created, StatusCode::CREATED).await["token"].as_str().unwrap().to_string();
    let order = pickup(&shop, json!([margherita("l1", 1, "large", 0)]));
    let body = app.validated(&token, &order, "tok_visa").await;

    keys::revoke(&app.db, &shop.distribution, app.clock_now()).await.unwrap();
    let after = app.until_status(STORES, &token, StatusCode::UNAUTHORIZED).await;
    let problem = problem_of(after, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    assert!(problem["detail"].as_str().unwrap().contains("no longer holds a live API key"), "{problem}");
    let place = app.place(&token, &fresh_key(), &body).await;
    problem_of(place, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    assert_eq!(app.count("SELECT count(*) FROM orders").await, 0, "no order, no authorisation");
}

#[tokio::test]
async fn rolling_an_expired_key_mints_nothing() {
    let app = TestApp::spawn().await;
    let key = app.distribution_key().await;
    keys::roll(&app.db, &key, Duration::zero(), app.clock_now() - Duration::hours(1)).await.unwrap();
    let refused = keys::roll(&app.db, &key, Duration::hours(24), app.clock_now()).await;
    assert!(matches!(refused, Err(keys::KeyError::Expired(_))), "{refused:?}");
}

#[tokio::test]
async fn the_bearer_scheme_is_matched_in_any_case() {
    let app = TestApp::spawn().await;
    let key = app.distribution_key().await;
    for scheme in ["BEARER", "bearer", "bEaReR"] {
        let response =
            app.client.get(format!("{}{STORES}", app.address)).header("authorization", format!("{scheme} {key}"));
        json_of(response.send().await.unwrap(), StatusCode::OK).await;
    }
}

#[tokio::test]
async fn money_past_its_ceiling_is_a_clean_refusal_never_a_panic() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    for tip in [json!(79228162514264337593543950335u128), json!(1e27), json!(1000000.01)] {
        let mut order = pickup(&shop, json!([margherita("l1", 1, "large", 0)]));
        order["amounts"]["tip"] = tip.clone();
        let problem = problem_of(
            app.post(VALIDATE, &shop.distribution, &order).await,
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
        )
        .await;
        assert_eq!(paths(&problem), ["$.amounts.tip"], "tip {tip}: {problem}");
    }
    let mut order = pickup(&shop, json!([margherita("l1", 1, "large", 0)]));
    order["amounts"]["tip"] = json!(1000000);
    let answer = json_of(app.post(VALIDATE, &shop.distribution, &order).await, StatusCode::OK).await;
    assert_eq!(answer["isValid"], false, "the ceiling is for the whole order: {answer}");
    assert_eq!(answer["errors"][0]["code"], "ORDER_ABOVE_MAXIMUM", "{answer}");
    assert!(answer["validatedOrderToken"].is_null(), "{answer}");

    let mut menu = catalog_body(Uuid::now_v7());
    menu["items"]["margherita"]["basePrice"] = json!(79228162514264337593543950335u128);
    let pushed = app.put(&format!("/v1/commerce/stores/{}/catalog-set", shop.store), &shop.commerce, &menu).await;
    let problem = problem_of(pushed, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_eq!(problem["errors"][0]["code"], "AMOUNT_TOO_LARGE", "{problem}");
    assert_eq!(paths(&problem), ["$.items.margherita.basePrice"]);

    let mut store = store_body("Dear");
    store["deliveryFee"] = json!(79228162514264337593543950335u128);
    let upsert = app.put(&format!("/v1/commerce/stores/{}", Uuid::now_v7()), &shop.commerce, &store).await;
    let problem = problem_of(upsert, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_eq!(paths(&problem), ["$.deliveryFee"]);
}

#[tokio::test]
async fn a_menu_priced_at_the_ceiling_makes_an_order_above_the_maximum() {
    let app = TestApp::spawn().await;
    let shop = shop(&app, &store_body("Gold"), |id| {
        let mut menu = catalog_body(id);
        menu["items"]["margherita"]["basePrice"] = json!(1000000);
        menu["items"]["large"]["basePrice"] = json!(1000000);
        menu
    })
    .await;
    let order = pickup(&shop, json!([margherita("l1", 100, "large", 0)]));
    let answer = json_of(app.post(VALIDATE, &shop.distribution, &order).await, StatusCode::OK).await;
    assert_eq!(answer["errors"][0]["code"], "ORDER_ABOVE_MAXIMUM", "{answer}");
    assert_eq!(answer["errors"][0]["jsonPath"], "$.cart.lineItems");
}

#[tokio::test]
async fn a_cart_beyond_the_limits_is_refused_whole_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    // Small lines: 19,074 of them fit in the 1 MiB a body may have.
    let lines: Vec<Value> =
        (0..19_074).map(|i| json!({"lineItemId": i.to_string(), "itemId": "x", "quantity": 1})).collect();
    let order = pickup(&shop, Value::Array(lines));
    let problem =
        problem_of(app.post(VALIDATE, &shop.distribution, &order).await, StatusCode::BAD_REQUEST, "INVALID_REQUEST")
            .await;
    assert_eq!(problem["errors"][0]["code"], "TOO_MANY_ITEMS");
    assert_eq!(paths(&problem), ["$.cart.lineItems"]);

    let deep = (0..30).fold(json!([]), |inner, _| {
        json!([{"modifierGroupId": "toppings", "selectedModifiers": [{"itemId": "basil", "quantity": 100, "modifierGroups": inner}]}])
    });
    let mut line = margherita("l1", 100, "small", 0);
    line["modifierGroups"] = deep;
    // Every field is as the schema says; the nesting breaks a rule the schema cannot state.
    let problem = problem_of(
        app.post(VALIDATE, &shop.distribution, &pickup(&shop, json!([line]))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(problem["errors"][0]["code"], "TOO_DEEP", "{problem}");
    let mut order = pickup(&shop, json!([margherita("l1", 1, "small", 0)]));
    order["customer"]["firstName"] = json!("x".repeat(201));
    let problem =
        problem_of(app.post(VALIDATE, &shop.distribution, &order).await, StatusCode::BAD_REQUEST, "INVALID_REQUEST")
            .await;
    assert_eq!(paths(&problem), ["$.customer.firstName"]);
    assert_eq!(app.count("SELECT count(*) FROM validated_orders").await, 0);
}

#[tokio::test]
async fn a_catalog_with_thousands_of_problems_answers_the_first_hundred_and_the_count() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let mut menu = catalog_body(Uuid::now_v7());
    // The probe sent 300k; a few thousand show the same cut without loading the suite.
    menu["sections"]["pizzas"]["itemIds"] = Value::Array(vec![json!("margherita"); 5_000]);
    let pushed = app.put(&format!("/v1/commerce/stores/{}/catalog-set", shop.store), &shop.commerce, &menu).await;
    let problem = problem_of(pushed, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 100);
    assert_eq!(problem["totalErrors"], 4_999, "{}", problem["detail"]);
}

#[tokio::test]
async fn guessing_keys_from_one_address_is_slowed_to_its_budget() {
    let app = TestApp::spawn_with(|config| config.auth_lookups_per_minute = 20).await;
    let real = app.distribution_key().await;
    json_of(app.get(STORES, &real).await, StatusCode::OK).await;
    let mut statuses = Vec::new();
    for _ in 0..300 {
        let guess = format!("mfk_{}_{}", &Uuid::new_v4().simple().to_string()[..12], Uuid::new_v4().simple());
        statuses.push(app.get(STORES, &guess).await.status());
    }
    let unauthenticated = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let limited = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert!(unauthenticated <= 20 && limited >= 280, "401: {unauthenticated}, 429: {limited}");
    let guess = format!("mfk_{}_x", &Uuid::new_v4().simple().to_string()[..12]);
    let refused = app.get(STORES, &guess).await;
    assert!(refused.headers().contains_key("retry-after"));
    problem_of(refused, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;
    // A key this instance already knows is answered from its cache, whatever the budget.
    json_of(app.get(STORES, &real).await, StatusCode::OK).await;
}

#[tokio::test]
async fn made_up_methods_do_not_grow_the_metrics() {
    let app = TestApp::spawn().await;
    let method = format!("X{}", Uuid::new_v4().simple());
    let response = app.request(Method::from_bytes(method.as_bytes()).unwrap(), STORES, None, None).await;
    assert!(response.status().is_client_error());
    let text = app.client.get(format!("{}/metrics", app.address)).send().await.unwrap().text().await.unwrap();
    assert!(!text.contains(&method), "a label per method");
    assert!(text.contains("method=\"other\""));
}

#[tokio::test]
async fn a_connection_that_stalls_mid_headers_is_closed() {
    let app = TestApp::spawn_with(|config| config.header_read_timeout = std::time::Duration::from_secs(1)).await;
    let address = app.address.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    let mut buffer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut buffer)).await;
    // The idle timeout is 75 s here: only the header-read timeout closes it within the 10 s.
    assert!(read.is_ok(), "the server never closed the stalled connection");
}

#[tokio::test]
async fn an_idle_connection_is_closed() {
    let app = TestApp::spawn_with(|config| {
        config.request_timeout = std::time::Duration::from_secs(1);
        config.idle_timeout = std::time::Duration::from_secs(2);
    })
    .await;
    let address = app.address.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut buffer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut buffer)).await;
    assert!(read.is_ok(), "the server kept an idle connection open");
    assert!(String::from_utf8_lossy(&buffer).starts_with("HTTP/1.1 200"), "the request itself was answered");
}

#[tokio::test]
async fn a_request_past_its_time_is_a_503_problem() {
    let app = TestApp::spawn_with(|config| config.request_timeout = std::time::Duration::from_secs(1)).await;
    let shop = pizzeria(&app).await;
    let order = pickup(&shop, json!([margherita("l1", 1, "large", 0)]));
    let body = app.validated(&shop.distribution, &order, "tok_slow_3000").await;
    let problem = problem_of(
        app.place(&shop.distribution, &fresh_key(), &body).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "SERVICE_UNAVAILABLE",
    )
    .await;
    assert_eq!(problem["retryable"], true);
}

#[tokio::test]
async fn more_than_a_hundred_headers_is_a_431_problem() {
    let app = TestApp::spawn().await;
    let mut request = app.client.get(format!("{}/healthz", app.address));
    for i in 0..120 {
        request = request.header(format!("x-filler-{i}"), "1");
    }
    problem_of(request.send().await.unwrap(), StatusCode::from_u16(431).unwrap(), "REQUEST_HEADERS_TOO_LARGE").await;
}

#[tokio::test]
async fn one_users_idempotency_key_never_replays_another_users_order() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let session = |user: &str, email: &str| {
        let body = json!({"partnerUserId": user, "email": email, "firstName": user, "lastName": "Doe"});
        let app = &app;
        let key = shop.distribution.clone();
        async move {
            let created = app.post("/v1/marketplace/session/create", &key, &body).await;
            json_of(created, StatusCode::CREATED).await["token"].as_str().unwrap().to_string()
        }
    };
    let alice = session("alice", "alice@example.com").await;
    let bob = session("bob", "bob@example.com").await;
    let order = pickup(&shop, json!([margherita("l1", 1, "large", 0)]));
    let mut body = app.validated(&alice, &order, "tok_visa").await;
    body.as_object_mut().unwrap().remove("customer");
    let key = fresh_key();
    let placed = json_of(app.place(&alice, &key, &body).await, StatusCode::CREATED).await;
    assert_eq!(placed["customer"]["email"], "alice@example.com");

    let replay = app.place(&bob, &key, &body).await;
    assert!(replay.headers().get("idempotent-replayed").is_none());
    let text = replay.text().await.unwrap();
    assert!(!text.contains("alice@example.com"), "Bob saw Alice's order: {text}");
    assert_eq!(app.count("SELECT count(*) FROM orders WHERE placement = 'placed'").await, 1);
    // Alice's own retry is still a replay.
    let again = app.place(&alice, &key, &body).await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
}

#[tokio::test]
async fn place_reads_its_body_as_strictly_as_validate() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let order = pickup(&shop, json!([margherita("l1", 1, "large", 0)]));
    let body = app.validated(&shop.distribution, &order, "tok_visa").await;
    let mut as_string = body.clone();
    as_string["amounts"]["total"] = json!(body["amounts"]["total"].to_string());
    let problem = problem_of(
        app.place(&shop.distribution, &fresh_key(), &as_string).await,
        StatusCode::BAD_REQUEST,
        "INVALID_REQUEST",
    )
    .await;
    assert_eq!(paths(&problem), ["$.amounts.total"], "{problem}");

    let text = body.to_string();
    let twice = text.replacen('{', r#"{"validatedOrderToken":"vot_other","#, 1);
    let response = app
        .client
        .post(format!("{}{PLACE}", app.address))
        .bearer_auth(&shop.distribution)
        .header("content-type", "application/json")
        .header("idempotency-key", fresh_key())
        .body(twice)
        .send()
        .await
        .unwrap();
    let problem = problem_of(response, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    assert!(problem["detail"].as_str().unwrap().contains("duplicate"), "{problem}");
    assert_eq!(app.count("SELECT count(*) FROM orders").await, 0);
}

#[tokio::test]
async fn a_status_update_keeps_its_reason_and_estimate_within_bounds() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let order = pickup(&shop, json!([margherita("l1", 1, "large", 0)]));
    let body = app.validated(&shop.distribution, &order, "tok_visa").await;
    let placed = json_of(app.place(&shop.distribution, &fresh_key(), &body).await, StatusCode::CREATED).await;
    let path = format!("/v1/commerce/orders/{}/status", placed["gettOrderId"].as_str().unwrap());
    for (update, field) in [
        (json!({"state": "cancelled", "cancelReason": "x".repeat(900 * 1024)}), "$.cancelReason"),
        (json!({"status": "confirmed", "estimatedReadyAt": "0001-01-01T00:00:00Z"}), "$.estimatedReadyAt"),
        (json!({"status": "confirmed", "estimatedReadyAt": "2027-11-23T17:00:00Z"}), "$.estimatedReadyAt"),
    ] {
        let response = app.post(&path, &shop.commerce, &update).await;
        let status = response.status();
        let problem = json_of(response, status).await;
        assert!(status.is_client_error(), "{field}: {problem}");
        assert!(paths(&problem).contains(&field.to_string()), "{problem}");
    }
    let history: i64 = app.count("SELECT version FROM orders").await;
    assert_eq!(history, 1, "nothing was stored");
    let pause = json!({"status": "paused", "reason": "x".repeat(2_000)});
    let response = app.post(&format!("/v1/commerce/stores/{}/status", shop.store), &shop.commerce, &pause).await;
    let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_eq!(paths(&problem), ["$.reason"]);
}

#[tokio::test]
async fn a_webhook_url_at_a_special_purpose_address_is_refused() {
    let app = TestApp::spawn_with(|config| config.allow_private_urls = false).await;
    let key = app.distribution_key().await;
    for url in [
        "http://[64:ff9b::7f00:1]/hook",
        "http://[2002:7f00:1::1]/hook",
        "http://[::127.0.0.1]/hook",
        "http://[fec0::1]/hook",
        "http://198.18.0.1/hook",
        "http://240.0.0.1/hook",
        "http://192.0.0.1/hook",
    ] {
        let response = app.post("/v1/webhooks/endpoints", &key, &json!({"url": url})).await;
        let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
        assert_eq!(problem["errors"][0]["code"], "INVALID_URL", "{url}: {problem}");
    }
}

#[tokio::test]
async fn no_secret_is_stored_in_clear() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let created =
        app.post("/v1/webhooks/endpoints", &shop.distribution, &json!({"url": "http://127.0.0.1:9/hook"})).await;
    let endpoint = json_of(created, StatusCode::CREATED).await;
    let secret = endpoint["secret"].as_str().unwrap().to_string();
    let path = format!("/v1/webhooks/endpoints/{}/rotate-secret", endpoint["endpointId"].as_str().unwrap());
    let rotated = json_of(app.post(&path, &shop.distribution, &json!({})).await, StatusCode::OK).await;
    let card = format!("tok_visa_{}", Uuid::new_v4().simple());
    let order = pickup(&shop, json!([margherita("l1", 1, "large", 0)]));
    let body = app.validated(&shop.distribution, &order, &card).await;
    json_of(app.place(&shop.distribution, &fresh_key(), &body).await, StatusCode::CREATED).await;

    for needle in [secret.as_str(), rotated["secret"].as_str().unwrap(), card.as_str()] {
        assert_eq!(tables_holding(&app, needle).await, Vec::<String>::new(), "{needle} in clear");
    }
    // The scan itself can find what is there.
    assert!(!tables_holding(&app, "Pizza Place").await.is_empty());
}

#[tokio::test]
async fn secrets_stored_in_clear_before_are_sealed_at_start_and_still_sign() {
    let app = TestApp::spawn().await;
    let key = app.distribution_key().await;
    let org = org_id(&app, &key).await;
    let secret = "whsec_MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=";
    crate::white_box::insert_endpoint_with_clear_secret(&app, org, secret).await;
    assert_eq!(tables_holding(&app, secret).await, ["webhook_endpoints.secret"]);
    let restarted = marketfront::start(app.state.config.as_ref().clone(), app.state.clock.clone()).await.unwrap();
    assert_eq!(tables_holding(&app, secret).await, Vec::<String>::new());
    let stored = crate::white_box::stored_endpoint_secret(&app).await;
    let opened = restarted.secrets.open(marketfront::secret_box::Purpose::WebhookSecret, &stored).unwrap();
    assert_eq!(opened, secret);
}
