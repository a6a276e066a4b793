//! The pull variant of a catalog push, against a catalog server the test runs.

use crate::catalog_server::{Step, catalog_server};
use crate::helpers::*;
use chrono::Duration;
use marketfront::app::ingest::CatalogFetches;
use marketfront::app::queue::work_one;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

struct Setup {
    app: TestApp,
    key: String,
    store: Uuid,
}

async fn setup() -> Setup {
    setup_with(|_| {}).await
}

async fn setup_with(tweak: impl FnOnce(&mut marketfront::config::Config)) -> Setup {
    let app = TestApp::spawn_with(tweak).await;
    let key = app.commerce_key().await;
    let id = Uuid::now_v7();
    let response = app.put(&format!("/v1/commerce/stores/{id}"), &key, &store_body("Pulled")).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    Setup { app, key, store: id }
}

impl Setup {
    /// Notifies the server of a catalog at `url`; returns the ingestion's status path.
    async fn notify(&self, url: &str) -> String {
        let path = format!("/v1/commerce/catalogset-notification?storeId={}", self.store);
        let response = self.app.post(&path, &self.key, &json!({"callbackUrl": url})).await;
        let location = response.headers()["location"].to_str().unwrap().to_string();
        let body = json_of(response, StatusCode::ACCEPTED).await;
        assert_eq!(body["status"], "pending");
        assert_eq!(location, format!("/v1/commerce/catalogset-ingestions/{}", body["ingestionId"].as_str().unwrap()));
        location
    }

    /// Waits until the ingestion is in `status`, and returns it.
    async fn wait_for(&self, location: &str, status: &str) -> Value {
        self.app
            .eventually(&format!("ingestion to be {status}"), || async {
                let body = json_of(self.app.get(location, &self.key).await, StatusCode::OK).await;
                (body["status"] == status).then_some(body)
            })
            .await
    }
}

#[tokio::test]
async fn a_pulled_catalog_set_goes_live() {
    let s = setup().await;
    let set_id = Uuid::now_v7();
    let (url, _) = catalog_server(vec![Step::Serve(catalog_body(set_id))]).await;
    let location = s.notify(&url).await;
    let done = s.wait_for(&location, "succeeded").await;
    assert_eq!(done["catalogSetId"], set_id.to_string());
    assert_eq!(done["attempts"], 1);
    assert!(done["completedAt"].is_string());

    let distribution = s.app.distribution_key().await;
    let set =
        json_of(s.app.get(&format!("/v1/marketplace/catalog-sets/{set_id}"), &distribution).await, StatusCode::OK)
            .await;
    assert_eq!(set["storeId"], s.store.to_string());
}

#[tokio::test]
async fn a_failing_callback_is_retried_with_back_off_until_it_recovers() {
    let s = setup().await;
    let set_id = Uuid::now_v7();
    let (url, menu) =
        catalog_server(vec![Step::Fail(500), Step::Stall(2_000), Step::Serve(catalog_body(set_id))]).await;
    let location = s.notify(&url).await;

    let waiting = s
        .app
        .eventually("the first attempt", || async {
            let body = json_of(s.app.get(&location, &s.key).await, StatusCode::OK).await;
            (body["attempts"] == 1 && body["status"] == "pending").then_some(body)
        })
        .await;
    assert!(waiting["lastError"].as_str().unwrap().contains("500"), "{waiting}");
    let first_retry_at = s.app.clock_now() + Duration::seconds(2);
    assert_eq!(waiting["nextAttemptAt"], json!(first_retry_at), "first retry after the base delay");
    // A worker's pass a second before the retry finds nothing due, and asks nothing.
    s.app.clock.advance(Duration::seconds(1));
    let ran = work_one(&s.app.state, &CatalogFetches).await.unwrap();
    assert!(!ran, "no retry before its time");
    assert_eq!(menu.hits(), 1);

    // The second attempt times out (the server stalls past the pull timeout); the delay doubles.
    s.app.clock.advance(Duration::seconds(1));
    let timed_out = s
        .app
        .eventually("the second attempt", || async {
            let body = json_of(s.app.get(&location, &s.key).await, StatusCode::OK).await;
            (body["attempts"] == 2 && body["status"] == "pending").then_some(body)
        })
        .await;
    assert!(timed_out["lastError"].as_str().unwrap().contains("timed out"), "{timed_out}");
    assert_eq!(timed_out["nextAttemptAt"], json!(s.app.clock_now() + Duration::seconds(4)));

    s.app.clock.advance(Duration::seconds(4));
    let done = s.wait_for(&location, "succeeded").await;
    assert_eq!(done["attempts"], 3);
    assert_eq!(done["catalogSetId"], set_id.to_string());
}

#[tokio::test]
async fn a_callback_that_keeps_failing_ends_as_failed() {
    let s = setup_with(|config| config.pull_max_attempts = 2).await;
    let (url, menu) = catalog_server(vec![Step::Fail(503)]).await;
    let location = s.notify(&url).await;
    s.app
        .eventually("the first attempt", || async {
            let body = json_of(s.app.get(&location, &s.key).await, StatusCode::OK).await;
            // Attempts count up when a worker claims the pull; the retry is scheduled only once it
            // is back to pending, and moving the clock before that would move the retry too.
            (body["attempts"] == 1 && body["status"] == "pending").then_some(())
        })
        .await;
    s.app.clock.advance(Duration::seconds(2));
    let failed = s.wait_for(&location, "failed").await;
    assert_eq!(failed["attempts"], 2);
    assert_eq!(failed["errors"][0]["code"], "FETCH_FAILED");
    assert_eq!(menu.hits(), 2);
}

#[tokio::test]
async fn a_broken_catalog_fails_with_every_problem_and_a_fixed_one_succeeds() {
    let s = setup().await;
    let set_id = Uuid::now_v7();
    let mut broken = catalog_body(set_id);
    broken["items"]["margherita"]["modifierGroupIds"] = json!(["nope"]);
    broken["modifierGroups"]["size"]["maxSelections"] = json!(0);
    let (url, menu) = catalog_server(vec![Step::Serve(broken)]).await;
    let location = s.notify(&url).await;
    let failed = s.wait_for(&location, "failed").await;
    assert_eq!(paths(&failed), ["$.items.margherita.modifierGroupIds[0]", "$.modifierGroups.size.minSelections"]);
    assert_eq!(failed["attempts"], 1, "a bad document is not retried");

    menu.set(vec![Step::Serve(catalog_body(set_id))]);
    let again = s.notify(&url).await;
    let done = s.wait_for(&again, "succeeded").await;
    assert_eq!(done["catalogSetId"], set_id.to_string());
    // The first ingestion keeps its own outcome.
    assert_eq!(json_of(s.app.get(&location, &s.key).await, StatusCode::OK).await["status"], "failed");
}

#[tokio::test]
async fn a_document_that_is_not_json_fails() {
    let s = setup().await;
    let (url, _) = catalog_server(vec![Step::Garbage]).await;
    let location = s.notify(&url).await;
    let failed = s.wait_for(&location, "failed").await;
    assert_eq!(failed["errors"][0]["code"], "INVALID_DOCUMENT");
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let s = setup_with(|config| config.allow_private_urls = false).await;
    let (url, menu) = catalog_server(vec![Step::Serve(catalog_body(Uuid::now_v7()))]).await;
    let location = s.notify(&url).await;
    let failed = s.wait_for(&location, "failed").await;
    assert!(failed["lastError"].as_str().unwrap().contains("private or loopback"), "{failed}");
    assert_eq!(menu.hits(), 0, "no request was sent");
}

#[tokio::test]
async fn a_malformed_callback_url_is_refused_at_once() {
    let s = setup().await;
    let path = format!("/v1/commerce/catalogset-notification?storeId={}", s.store);
    let response = s.app.post(&path, &s.key, &json!({"callbackUrl": "ftp://menus.example/menu.json"})).await;
    let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_eq!(paths(&problem), ["$.callbackUrl"]);
    let missing =
        s.app.post("/v1/commerce/catalogset-notification", &s.key, &json!({"callbackUrl": "http://x/"})).await;
    problem_of(missing, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
}
