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
    let created =
        session(&app, &key, &json!({"partnerUserId": "user-42", "email": "ann@example.com", "firstName": "Ann"})).await;
    assert_eq!(created["expiresAt"], "2026-11-23T17:15:00Z", "15 minutes by default");
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
    let problem = problem_of(
        app.post(CREATE, &distribution, &json!({"partnerUserId": " ", "ttlSeconds": 86400})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(paths(&problem), ["$.partnerUserId", "$.ttlSeconds"]);
    let problem =
        problem_of(app.post(CREATE, &distribution, &json!({})).await, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    assert_eq!(paths(&problem), ["$.partnerUserId"]);
    let short = session(&app, &distribution, &json!({"partnerUserId": "u", "ttlSeconds": 120})).await;
    assert_eq!(short["expiresAt"], "2026-11-23T17:02:00Z");
}
