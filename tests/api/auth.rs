use crate::helpers::*;
use chrono::Duration;
use marketfront::app::keys;
use marketfront::auth::OrgKind;
use reqwest::{Method, StatusCode};
use uuid::Uuid;

const MARKETPLACE: &str = "/v1/marketplace/stores";
const COMMERCE: &str = "/v1/commerce/stores";

#[tokio::test]
async fn a_missing_or_malformed_authorization_header_is_401() {
    let app = TestApp::spawn().await;
    let response = app.request(Method::GET, MARKETPLACE, None, None).await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer realm=\"marketfront\"");
    problem_of(response, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;

    for header in ["Basic dXNlcjpwYXNz", "Bearer ", "Bearer", "mfk_abc"] {
        let response = app
            .client
            .get(format!("{}{MARKETPLACE}", app.address))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        problem_of(response, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    }
}

#[tokio::test]
async fn an_unknown_key_is_401() {
    let app = TestApp::spawn().await;
    let real = app.distribution_key().await;
    // Same prefix, different secret: the hash does not match.
    let forged = format!("{}_forged-secret", keys::prefix_of(&real).unwrap());
    let body = problem_of(app.get(MARKETPLACE, &forged).await, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    assert_eq!(body["errorCategory"], "authentication");
    assert_eq!(body["retryable"], false);
    json_of(app.get(MARKETPLACE, &real).await, StatusCode::OK).await;
}

#[tokio::test]
async fn keys_are_stored_only_as_hashes() {
    let app = TestApp::spawn().await;
    let key = app.distribution_key().await;
    let stored = crate::white_box::stored_keys(&app).await;
    assert_eq!(stored.len(), 1);
    assert!(key.starts_with(&stored[0].0));
    assert_ne!(stored[0].1, key.as_bytes(), "the key itself is not stored");
    assert_eq!(stored[0].1.len(), 32, "a SHA-256");
}

#[tokio::test]
async fn an_expired_key_is_401() {
    let app = TestApp::spawn().await;
    let expires = app.clock_now() + Duration::hours(1);
    let issued = keys::create(&app.db, "Short Lived", OrgKind::Distribution, None, Some(expires)).await.unwrap();
    json_of(app.get(MARKETPLACE, &issued.key).await, StatusCode::OK).await;
    app.clock.advance(Duration::hours(1));
    let body = problem_of(app.get(MARKETPLACE, &issued.key).await, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    assert!(body["detail"].as_str().unwrap().contains("expired"), "{body}");
}

#[tokio::test]
async fn a_revoked_key_is_refused_within_moments() {
    let app = TestApp::spawn().await;
    let key = app.commerce_key().await;
    json_of(app.get(COMMERCE, &key).await, StatusCode::OK).await;
    keys::revoke(&app.db, &keys::prefix_of(&key).unwrap(), app.clock_now()).await.unwrap();
    let refused = app.until_status(COMMERCE, &key, StatusCode::UNAUTHORIZED).await;
    let body = problem_of(refused, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    assert!(body["detail"].as_str().unwrap().contains("revoked"), "{body}");
}

#[tokio::test]
async fn a_rolled_key_keeps_working_for_the_grace_period_only() {
    let app = TestApp::spawn().await;
    let old = app.commerce_key().await;
    json_of(app.get(COMMERCE, &old).await, StatusCode::OK).await;
    let new = keys::roll(&app.db, &old, Duration::hours(24), app.clock_now()).await.unwrap();
    json_of(app.get(COMMERCE, &old).await, StatusCode::OK).await;
    json_of(app.get(COMMERCE, &new.key).await, StatusCode::OK).await;
    app.clock.advance(Duration::hours(24));
    let refused = app.until_status(COMMERCE, &old, StatusCode::UNAUTHORIZED).await;
    problem_of(refused, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    json_of(app.get(COMMERCE, &new.key).await, StatusCode::OK).await;
}

#[tokio::test]
async fn a_key_of_the_wrong_kind_is_403() {
    let app = TestApp::spawn().await;
    let distribution = app.distribution_key().await;
    let commerce = app.commerce_key().await;
    let body = problem_of(app.get(COMMERCE, &distribution).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    assert_eq!(body["errorCategory"], "authorization");
    problem_of(app.get(MARKETPLACE, &commerce).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let store = format!("/v1/commerce/stores/{}", Uuid::now_v7());
    problem_of(app.put(&store, &distribution, &store_body("Nope")).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
}

#[tokio::test]
async fn another_organisations_store_is_404_everywhere() {
    let app = TestApp::spawn().await;
    let owner = app.commerce_key().await;
    let rival = app.key("Rival Kitchens", OrgKind::Commerce).await;
    let id = app.store_with_menu(&owner, &store_body("Mine")).await;
    let base = format!("/v1/commerce/stores/{id}");

    problem_of(app.get(&base, &rival).await, StatusCode::NOT_FOUND, "STORE_NOT_FOUND").await;
    problem_of(app.get(&format!("{base}/status"), &rival).await, StatusCode::NOT_FOUND, "STORE_NOT_FOUND").await;
    problem_of(app.get(&format!("{base}/catalog-set"), &rival).await, StatusCode::NOT_FOUND, "STORE_NOT_FOUND").await;
    let pause = serde_json::json!({"status": "paused", "reason": "hijack"});
    problem_of(app.post(&format!("{base}/status"), &rival, &pause).await, StatusCode::NOT_FOUND, "STORE_NOT_FOUND")
        .await;
    problem_of(app.put(&base, &rival, &store_body("Stolen")).await, StatusCode::NOT_FOUND, "STORE_NOT_FOUND").await;
    let set = catalog_body(Uuid::now_v7());
    problem_of(app.put(&format!("{base}/catalog-set"), &rival, &set).await, StatusCode::NOT_FOUND, "STORE_NOT_FOUND")
        .await;
    let pull = serde_json::json!({"callbackUrl": "http://127.0.0.1:9/menu.json"});
    let notify = format!("/v1/commerce/catalogset-notification?storeId={id}");
    problem_of(app.post(&notify, &rival, &pull).await, StatusCode::NOT_FOUND, "STORE_NOT_FOUND").await;
    let rival_list = json_of(app.get("/v1/commerce/stores", &rival).await, StatusCode::OK).await;
    assert_eq!(rival_list["totalCount"], 0);

    // Nothing the rival sent changed the store.
    let store = json_of(app.get(&base, &owner).await, StatusCode::OK).await;
    assert_eq!(store["name"], "Mine");
    assert_eq!(store["status"], "online");
    assert_eq!(store["version"], 1);
}
