//! Session JWTs: minted by a distribution partner for one of its users, accepted on marketplace
//! routes in place of the partner's key.

use crate::helpers::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const CREATE: &str = "/v1/marketplace/session/create";

async fn session(app: &TestApp, key: &str, body: &Value) -> Value {
    json_of(app.post(CREATE, key, body).await, StatusCode::CREATED).await
}

/// A validate-able pickup order at a fresh pizzeria.
async fn order(app: &TestApp) -> Value {
    let commerce = app.commerce_key().await;
    let store = Uuid::now_v7();
    let catalog = Uuid::now_v7();
    app.put(&format!("/v1/commerce/stores/{store}"), &commerce, &store_body("Pizza Place")).await;
    app.put(&format!("/v1/commerce/stores/{store}/catalog-set"), &commerce, &catalog_body(catalog)).await;
    json!({
        "cart": {"storeId": store, "catalogSetId": catalog, "lineItems": [{"lineItemId": "1", "itemId": "margherita", "quantity": 1,
            "modifierGroups": [{"modifierGroupId": "size", "selectedModifiers": [{"itemId": "small"}]}]}]},
        "fulfillmentType": "Pickup"
    })
}

#[tokio::test]
async fn a_session_speaks_for_its_user_on_marketplace_routes_until_it_expires() {
    let app = TestApp::spawn().await;
    let key = app.distribution_key().await;
    // `ttlSeconds`, the field's name before `expirationSeconds`, is still accepted.
    let created = session(
        &app,
        &key,
        &json!({"partnerUserId": "user-42", "email": "ann@example.com", "firstName": "Ann",
        "lastName": "Lee", "ttlSeconds": 900}),
    )
    .await;
    assert_eq!(created["expiresAt"], "2026-11-23T17:15:00Z");
    assert_eq!(created["partnerUserId"], "user-42");
    let token = created["token"].as_str().unwrap();

    let order = order(&app).await;
    let answer = json_of(app.post("/v1/marketplace/orders/validate", token, &order).await, StatusCode::OK).await;
    assert_eq!(answer["isValid"], true, "{answer}");
    let user = crate::white_box::stored_token_user(&app).await;
    assert_eq!(user.as_deref(), Some("user-42"), "the token remembers whose session validated");
    json_of(app.get("/v1/marketplace/stores", token).await, StatusCode::OK).await;

    // A session is a distribution credential: no commerce routes, no minting more sessions.
    problem_of(app.get("/v1/commerce/stores", token).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    problem_of(app.post(CREATE, token, &json!({"partnerUserId": "x"})).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;

    app.clock.advance(Duration::minutes(15));
    let expired =
        problem_of(app.get("/v1/marketplace/stores", token).await, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    assert!(expired["detail"].as_str().unwrap().contains("expired"), "{expired}");
}

#[tokio::test]
async fn forged_unsigned_and_garbled_sessions_are_401() {
    let app = TestApp::spawn().await;
    let key = app.distribution_key().await;
    let token = session(&app, &key, &json!({"partnerUserId": "user-1"})).await["token"].as_str().unwrap().to_string();
    let parts: Vec<&str> = token.split('.').collect();

    // Claims changed after signing.
    let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["sub"] = json!("someone-else");
    let forged = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(claims.to_string()), parts[2]);
    // `alg: none` with no signature.
    let none = format!("{}.{}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#), parts[1]);
    for bad in [forged.as_str(), none.as_str(), "not-a-token", "a.b.c"] {
        problem_of(app.get("/v1/marketplace/stores", bad).await, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    }
}

#[tokio::test]
async fn session_creation_checks_its_caller_and_body() {
    let app = TestApp::spawn().await;
    let commerce = app.commerce_key().await;
    let distribution = app.distribution_key().await;
    problem_of(app.post(CREATE, &commerce, &json!({"partnerUserId": "u"})).await, StatusCode::FORBIDDEN, "FORBIDDEN")
        .await;
    let too_long = json!({"partnerUserId": " ", "email": "ann@example.com", "expirationSeconds": 90 * 86400 + 1});
    let problem =
        problem_of(app.post(CREATE, &distribution, &too_long).await, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    assert_eq!(paths(&problem), ["$.partnerUserId", "$.firstName", "$.lastName", "$.expirationSeconds"]);
    let problem = problem_of(
        app.post(CREATE, &distribution, &json!({"phone": "555 0100"})).await,
        StatusCode::BAD_REQUEST,
        "INVALID_REQUEST",
    )
    .await;
    assert_eq!(paths(&problem), ["$.phone"]);
    let short = session(&app, &distribution, &json!({"partnerUserId": "u", "expirationSeconds": 120})).await;
    assert_eq!(short["expiresAt"], "2026-11-23T17:02:00Z");
    let longest = session(&app, &distribution, &json!({"expirationSeconds": 90 * 86400})).await;
    assert_eq!(longest["expiresAt"], "2027-02-21T17:00:00Z", "90 days");
}

#[tokio::test]
async fn an_empty_body_is_an_anonymous_session_that_browses_and_prices_but_does_not_place() {
    let app = TestApp::spawn().await;
    let key = app.distribution_key().await;
    let created = session(&app, &key, &json!({})).await;
    assert_eq!(created["expiresAt"], "2026-12-23T17:00:00Z", "30 days by default");
    let minted = created["partnerUserId"].as_str().unwrap();
    assert!(minted.strip_prefix("gen_").is_some_and(|id| id.parse::<Uuid>().is_ok()), "{minted}");
    created["sessionId"].as_str().unwrap().parse::<Uuid>().unwrap();
    let token = created["token"].as_str().unwrap();

    json_of(app.get("/v1/marketplace/stores", token).await, StatusCode::OK).await;
    let order = order(&app).await;
    let priced = json_of(app.post("/v1/marketplace/orders/validate", token, &order).await, StatusCode::OK).await;
    assert_eq!(priced["isValid"], true, "{priced}");

    // Placing, and order history, need a user.
    let mut place = order.clone();
    place["validatedOrderToken"] = priced["validatedOrderToken"].clone();
    place["amounts"] = json!({"tip": 0, "total": priced["amounts"]["total"]});
    place["payment"] = json!({"gettPayment": {}});
    place["customer"] =
        json!({"firstName": "Ann", "lastName": "Lee", "email": "ann@example.com", "phone": "+12125550100"});
    let response = app.place(token, &Uuid::new_v4().to_string(), &place).await;
    problem_of(response, StatusCode::UNAUTHORIZED, "SESSION_USER_REQUIRED").await;
    problem_of(app.get("/v1/marketplace/orders", token).await, StatusCode::UNAUTHORIZED, "SESSION_USER_REQUIRED").await;
    let order_id = Uuid::new_v4();
    let response = app.get(&format!("/v1/marketplace/orders/{order_id}"), token).await;
    problem_of(response, StatusCode::UNAUTHORIZED, "SESSION_USER_REQUIRED").await;
    assert_eq!(app.count("SELECT count(*) FROM orders").await, 0, "nothing placed");
}

#[tokio::test]
async fn a_revoked_session_is_refused_at_once_on_every_instance() {
    let app = TestApp::spawn().await;
    let key = app.distribution_key().await;
    let other = app.another_instance().await;
    let created = session(&app, &key, &json!({"partnerUserId": "user-7"})).await;
    let (token, id) = (created["token"].as_str().unwrap(), created["sessionId"].as_str().unwrap());
    // Both instances have seen the session live (and cached it).
    for _ in 0..2 {
        json_of(app.get("/v1/marketplace/stores", token).await, StatusCode::OK).await;
        let response = app.request_at(&other, reqwest::Method::GET, "/v1/marketplace/stores", token, None).await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    // Only the partner that minted it may end it, and only with its key.
    let stranger = app.key("Another App", marketfront::auth::OrgKind::Distribution).await;
    let path = format!("/v1/marketplace/session/{id}");
    problem_of(app.delete(&path, &stranger).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    problem_of(app.delete(&path, token).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let unknown = format!("/v1/marketplace/session/{}", Uuid::new_v4());
    problem_of(app.delete(&unknown, &key).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    json_of(app.get("/v1/marketplace/stores", token).await, StatusCode::OK).await;

    assert_eq!(app.delete(&path, &key).await.status(), StatusCode::NO_CONTENT);
    let refused =
        problem_of(app.get("/v1/marketplace/stores", token).await, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    assert!(refused["detail"].as_str().unwrap().contains("ended"), "{refused}");
    // The other instance hears of it as soon as the revocation's announcement arrives.
    app.eventually("the other instance to refuse the revoked session", || async {
        let response = app.request_at(&other, reqwest::Method::GET, "/v1/marketplace/stores", token, None).await;
        (response.status() == StatusCode::UNAUTHORIZED).then_some(())
    })
    .await;
    assert_eq!(app.delete(&path, &key).await.status(), StatusCode::NO_CONTENT, "revoking twice changes nothing");
}

/// A token minted before sessions were rows (no `sid` claim) keeps working until it expires.
#[tokio::test]
async fn a_token_from_before_sessions_were_rows_still_works() {
    let app = TestApp::spawn().await;
    let key = app.distribution_key().await;
    let token = session(&app, &key, &json!({"partnerUserId": "user-1", "expirationSeconds": 900})).await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let payload = token.split('.').nth(1).unwrap();
    let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims.as_object_mut().unwrap().remove("sid");
    let legacy = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(app.state.config.jwt_secret.as_bytes()),
    )
    .unwrap();
    json_of(app.get("/v1/marketplace/stores", &legacy).await, StatusCode::OK).await;
}

#[tokio::test]
async fn sessions_past_their_expiry_are_reaped_and_the_rest_kept() {
    let app = TestApp::spawn().await;
    let key = app.distribution_key().await;
    session(&app, &key, &json!({"expirationSeconds": 60})).await;
    let kept = session(&app, &key, &json!({})).await;
    app.clock.advance(Duration::minutes(2));
    marketfront::app::housekeeping::reap(&app.state).await.unwrap();
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 1);
    json_of(app.get("/v1/marketplace/stores", kept["token"].as_str().unwrap()).await, StatusCode::OK).await;
}
