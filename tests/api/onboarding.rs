//! Store onboarding end to end: a commerce partner registers a store, the server fetches its
//! catalog from a server the test runs, and the partner activates it into a live store.

use crate::catalog_server::{Menu, Step, catalog_server};
use crate::helpers::*;
use crate::webhooks::{Receiver, portal_signature_ok, received, standard_signature_ok};
use chrono::Duration;
use marketfront::app::ingest::CatalogFetches;
use marketfront::app::queue::work_one;
use marketfront::auth::OrgKind;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

const ONBOARDING: &str = "/v1/commerce/onboarding/stores";

fn registration(partner_store_id: &str, catalog_url: &str, webhook_url: &str) -> Value {
    json!({
        "partnerStoreId": partner_store_id,
        "store": store_body("Harbor Noodles"),
        "catalogCallbackUrl": catalog_url,
        "webhookUrl": webhook_url,
    })
}

/// A catalog set with two problems: a section naming an item that does not exist, and a
/// negative price.
fn broken_catalog(id: Uuid) -> Value {
    let mut set = catalog_body(id);
    set["sections"]["pizzas"]["itemIds"] = json!(["margherita", "ghost"]);
    set["items"]["basil"]["basePrice"] = json!(-1);
    set
}

fn statuses(onboarding: &Value) -> Vec<String> {
    onboarding["history"].as_array().unwrap().iter().map(|t| t["status"].as_str().unwrap().to_string()).collect()
}

fn codes(onboarding: &Value) -> Vec<String> {
    onboarding["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap().to_string()).collect()
}

struct Partner {
    app: TestApp,
    key: String,
}

impl Partner {
    async fn new() -> Partner {
        Partner::with(TestApp::spawn().await).await
    }

    async fn with(app: TestApp) -> Partner {
        let key = app.commerce_key().await;
        Partner { app, key }
    }

    /// Registers; asserts the status and the Location, and returns the onboarding.
    async fn register(&self, body: &Value, expected: StatusCode) -> Value {
        let response = self.app.post(ONBOARDING, &self.key, body).await;
        let location = response.headers().get("location").map(|v| v.to_str().unwrap().to_string());
        let onboarding = json_of(response, expected).await;
        assert_eq!(location, Some(self.path(&onboarding, "")), "Location names the onboarding");
        onboarding
    }

    fn path(&self, onboarding: &Value, action: &str) -> String {
        format!("{ONBOARDING}/{}{action}", onboarding["onboardingId"].as_str().unwrap())
    }

    async fn get(&self, onboarding: &Value) -> Value {
        json_of(self.app.get(&self.path(onboarding, ""), &self.key).await, StatusCode::OK).await
    }

    async fn act(&self, onboarding: &Value, method: Method, action: &str) -> reqwest::Response {
        self.app.request(method, &self.path(onboarding, action), Some(&self.key), None).await
    }

    async fn wait_for(&self, onboarding: &Value, status: &str) -> Value {
        self.app
            .eventually(&format!("onboarding to be {status}"), || async {
                let current = self.get(onboarding).await;
                (current["status"] == status).then_some(current)
            })
            .await
    }

    /// Waits until the current fetch has made `attempts` attempts and waits for the next one.
    async fn wait_for_retry(&self, onboarding: &Value, attempts: i64) -> Value {
        self.app
            .eventually(&format!("attempt {attempts} to fail"), || async {
                let current = self.get(onboarding).await;
                (current["attempts"] == attempts && current.get("nextAttemptAt").is_some()).then_some(current)
            })
            .await
    }

    /// Registers `partner_store_id` against a catalog server serving a valid set, and waits until
    /// it is ready to activate.
    async fn ready(&self, partner_store_id: &str, webhook_url: &str) -> (Value, Uuid, Menu) {
        let set_id = Uuid::now_v7();
        let (catalog_url, menu) = catalog_server(vec![Step::Serve(catalog_body(set_id))]).await;
        let onboarding =
            self.register(&registration(partner_store_id, &catalog_url, webhook_url), StatusCode::ACCEPTED).await;
        (self.wait_for(&onboarding, "ready_to_activate").await, set_id, menu)
    }
}

async fn refused(response: reqwest::Response, current: &str) {
    let problem = problem_of(response, StatusCode::CONFLICT, "INVALID_STATUS_TRANSITION").await;
    assert_eq!(problem["currentStatus"], current, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains(current), "{problem}");
}

#[tokio::test]
async fn a_registered_store_is_fetched_activated_discoverable_and_orderable() {
    let partner = Partner::new().await;
    let app = &partner.app;
    let distribution = app.distribution_key().await;
    let kitchen = Receiver::start(&[]).await;
    let set_id = Uuid::now_v7();
    let (catalog_url, menu) = catalog_server(vec![Step::Serve(catalog_body(set_id))]).await;

    let registered =
        partner.register(&registration("pos-4711", &catalog_url, &kitchen.url), StatusCode::ACCEPTED).await;
    assert_eq!(registered["status"], "fetching_catalog", "{registered}");
    assert_eq!(registered["partnerStoreId"], "pos-4711");
    assert!(Uuid::parse_str(registered["onboardingId"].as_str().unwrap()).is_ok());
    assert_eq!(registered["createdAt"], "2026-11-23T17:00:00Z", "the server's clock");
    assert_eq!((registered["storeId"].clone(), registered["catalogSetId"].clone()), (Value::Null, Value::Null));
    assert_eq!(registered["store"]["deliveryFee"].to_string(), "2.50", "the store as normalised");

    let ready = partner.wait_for(&registered, "ready_to_activate").await;
    assert_eq!(ready["catalogSetId"], json!(set_id));
    assert_eq!((ready["errors"].clone(), ready["attempts"].clone()), (json!([]), json!(1)));
    assert_eq!(statuses(&ready), ["fetching_catalog", "ready_to_activate"]);
    assert_eq!(menu.hits(), 1);
    let discovered = json_of(app.get("/v1/marketplace/stores", &distribution).await, StatusCode::OK).await;
    assert_eq!(discovered["totalCount"], 0, "nothing is live before activation");

    let activated = json_of(partner.act(&ready, Method::POST, "/activate").await, StatusCode::OK).await;
    assert_eq!(activated["status"], "active", "{activated}");
    assert_eq!(statuses(&activated), ["fetching_catalog", "ready_to_activate", "active"]);
    let store_id = Uuid::parse_str(activated["storeId"].as_str().expect("a store id once active")).unwrap();
    let endpoint = &activated["webhookEndpoint"];
    assert_eq!(endpoint["url"], kitchen.url.as_str());
    assert_eq!(endpoint["eventTypes"], json!(["order_new", "order_cancelled"]));
    assert_eq!(activated["webhookEndpointId"], endpoint["endpointId"]);
    let secret = endpoint["secret"].as_str().expect("a new endpoint's secret is shown once").to_string();
    assert_eq!(partner.get(&activated).await["storeId"], json!(store_id), "the status shows the store");

    // Live: discoverable with its menu, and its owner sees it as its own store.
    let discovered = json_of(app.get("/v1/marketplace/stores", &distribution).await, StatusCode::OK).await;
    assert_eq!(discovered["stores"][0]["storeId"], json!(store_id), "{discovered}");
    assert_eq!(discovered["stores"][0]["catalogSetId"], json!(set_id));
    let owned = json_of(app.get(&format!("/v1/commerce/stores/{store_id}"), &partner.key).await, StatusCode::OK).await;
    assert_eq!(owned["name"], "Harbor Noodles");

    // Orderable: the new order reaches the registered webhook URL, signed with the secret.
    let shop = Shop { commerce: partner.key.clone(), distribution, store: store_id, catalog: set_id };
    let order = pickup(&shop, json!([margherita("l1", 1, "large", 0)]));
    let body = app.validated(&shop.distribution, &order, "tok_visa").await;
    let placed = json_of(app.place(&shop.distribution, &fresh_key(), &body).await, StatusCode::CREATED).await;
    let delivery = received(app, &kitchen, 1).await.remove(0);
    assert_eq!(delivery.json()["eventType"], "order_new");
    assert_eq!(delivery.json()["orderId"], placed["gettOrderId"]);
    assert!(portal_signature_ok(&secret, &delivery) && standard_signature_ok(&secret, &delivery));

    // Once active: activating again is refused, and registering the id again returns it.
    refused(partner.act(&activated, Method::POST, "/activate").await, "active").await;
    let again = partner.register(&registration("pos-4711", &catalog_url, &kitchen.url), StatusCode::OK).await;
    assert_eq!(
        (again["onboardingId"].clone(), again["status"].clone()),
        (activated["onboardingId"].clone(), json!("active"))
    );

    // A second store onboarded to the same webhook URL shares the endpoint instead of doubling
    // every delivery; its secret is not shown again.
    let (second, _, _) = partner.ready("pos-4712", &kitchen.url).await;
    let second = json_of(partner.act(&second, Method::POST, "/activate").await, StatusCode::OK).await;
    assert_eq!(second["webhookEndpoint"]["endpointId"], endpoint["endpointId"]);
    assert!(second["webhookEndpoint"].get("secret").is_none(), "{second}");
    assert_ne!(second["storeId"], activated["storeId"]);
    let endpoints = json_of(app.get("/v1/webhooks/endpoints", &partner.key).await, StatusCode::OK).await;
    assert_eq!(endpoints["endpoints"].as_array().map(Vec::len), Some(1), "{endpoints}");
}

#[tokio::test]
async fn a_broken_catalog_fails_with_every_problem_and_passes_after_the_fix_and_a_refetch() {
    let partner = Partner::new().await;
    let set_id = Uuid::now_v7();
    let (catalog_url, menu) = catalog_server(vec![Step::Serve(broken_catalog(set_id))]).await;
    let registered =
        partner.register(&registration("pos-1", &catalog_url, "http://127.0.0.1:9/hook"), StatusCode::ACCEPTED).await;

    let failed = partner.wait_for(&registered, "catalog_failed").await;
    assert_eq!(codes(&failed), ["DANGLING_REFERENCE", "NEGATIVE_AMOUNT"], "{failed}");
    let paths: Vec<&str> =
        failed["errors"].as_array().unwrap().iter().map(|e| e["jsonPath"].as_str().unwrap()).collect();
    assert_eq!(paths, ["$.sections.pizzas.itemIds[1]", "$.items.basil.basePrice"], "paths into the fetched file");
    assert_eq!(failed["lastError"], "the catalog set has problems");
    assert_eq!(failed["catalogSetId"], Value::Null);
    refused(partner.act(&failed, Method::POST, "/activate").await, "catalog_failed").await;

    // The partner fixes its file and asks for a refetch.
    menu.set(vec![Step::Serve(catalog_body(set_id))]);
    let response = partner.act(&failed, Method::POST, "/refetch").await;
    let refetching = json_of(response, StatusCode::ACCEPTED).await;
    assert_eq!(refetching["status"], "fetching_catalog");
    assert_eq!((refetching["errors"].clone(), refetching["attempts"].clone()), (json!([]), json!(0)));
    let ready = partner.wait_for(&registered, "ready_to_activate").await;
    assert_eq!(ready["catalogSetId"], json!(set_id));
    assert_eq!(statuses(&ready), ["fetching_catalog", "catalog_failed", "fetching_catalog", "ready_to_activate"]);
    assert_eq!(ready["history"][2]["detail"], "refetch requested");
    assert_eq!(ready["lastError"], Value::Null);

    // A refetch from ready_to_activate picks up a newer file before going live.
    menu.set(vec![Step::Serve(broken_catalog(set_id))]);
    json_of(partner.act(&ready, Method::POST, "/refetch").await, StatusCode::ACCEPTED).await;
    partner.wait_for(&registered, "catalog_failed").await;
}

#[tokio::test]
async fn a_callback_that_fails_or_times_out_is_retried_until_it_recovers() {
    let partner = Partner::new().await;
    let app = &partner.app;
    let set_id = Uuid::now_v7();
    // Pulls time out after 0.8 s in the tests; retries wait 2 s, then 4 s of the test's clock.
    let (catalog_url, menu) =
        catalog_server(vec![Step::Fail(500), Step::Stall(2_000), Step::Serve(catalog_body(set_id))]).await;
    let registered =
        partner.register(&registration("pos-2", &catalog_url, "http://127.0.0.1:9/hook"), StatusCode::ACCEPTED).await;

    let waiting = partner.wait_for_retry(&registered, 1).await;
    assert_eq!(waiting["status"], "fetching_catalog");
    assert!(waiting["lastError"].as_str().unwrap().contains("500"), "{waiting}");
    assert_eq!(waiting["nextAttemptAt"], "2026-11-23T17:00:02Z");
    assert_eq!(menu.hits(), 1, "no retry before its time");

    app.clock.advance(Duration::seconds(2));
    let waiting = partner.wait_for_retry(&registered, 2).await;
    assert!(waiting["lastError"].as_str().unwrap().contains("timed out"), "{waiting}");
    assert_eq!(waiting["nextAttemptAt"], "2026-11-23T17:00:06Z", "the delay doubles");

    app.clock.advance(Duration::seconds(4));
    let ready = partner.wait_for(&registered, "ready_to_activate").await;
    assert_eq!((ready["attempts"].clone(), ready["catalogSetId"].clone()), (json!(3), json!(set_id)));
    assert_eq!(statuses(&ready), ["fetching_catalog", "ready_to_activate"], "retries are not transitions");
}

#[tokio::test]
async fn a_callback_that_refuses_or_serves_no_catalog_fails_at_once() {
    let partner = Partner::new().await;
    let (missing, _) = catalog_server(vec![Step::Fail(404)]).await;
    let (garbage, _) = catalog_server(vec![Step::Garbage]).await;

    let not_found =
        partner.register(&registration("pos-3", &missing, "http://127.0.0.1:9/hook"), StatusCode::ACCEPTED).await;
    let failed = partner.wait_for(&not_found, "catalog_failed").await;
    assert_eq!(codes(&failed), ["FETCH_FAILED"]);
    assert_eq!(failed["errors"][0]["jsonPath"], "$.catalogCallbackUrl");
    assert_eq!(failed["attempts"], 1, "a 4xx is not retried");

    let not_json =
        partner.register(&registration("pos-4", &garbage, "http://127.0.0.1:9/hook"), StatusCode::ACCEPTED).await;
    assert_eq!(codes(&partner.wait_for(&not_json, "catalog_failed").await), ["INVALID_DOCUMENT"]);
}

#[tokio::test]
async fn activate_cancel_and_refetch_are_refused_in_every_wrong_status() {
    let partner = Partner::new().await;
    // A catalog server that keeps failing: the onboarding stays in fetching_catalog, waiting
    // for a retry that the test's clock never reaches.
    let (failing, menu) = catalog_server(vec![Step::Fail(503)]).await;
    let fetching =
        partner.register(&registration("pos-5", &failing, "http://127.0.0.1:9/hook"), StatusCode::ACCEPTED).await;
    partner.wait_for_retry(&fetching, 1).await;
    refused(partner.act(&fetching, Method::POST, "/activate").await, "fetching_catalog").await;
    let unchanged = json_of(partner.act(&fetching, Method::POST, "/refetch").await, StatusCode::ACCEPTED).await;
    assert_eq!((unchanged["status"].clone(), unchanged["attempts"].clone()), (json!("fetching_catalog"), json!(1)));

    let cancelled = json_of(partner.act(&fetching, Method::DELETE, "").await, StatusCode::OK).await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(statuses(&cancelled), ["fetching_catalog", "cancelled"]);
    let again = json_of(partner.act(&fetching, Method::DELETE, "").await, StatusCode::OK).await;
    assert_eq!(again["updatedAt"], cancelled["updatedAt"], "cancelling again changes nothing");
    refused(partner.act(&fetching, Method::POST, "/activate").await, "cancelled").await;
    refused(partner.act(&fetching, Method::POST, "/refetch").await, "cancelled").await;
    // The abandoned fetch is not retried, however much time passes.
    partner.app.clock.advance(Duration::hours(1));
    let fetched = work_one(&partner.app.state, &CatalogFetches).await.unwrap();
    assert!(!fetched, "a worker's pass finds no fetch to run");
    assert_eq!(menu.hits(), 1);
    assert_eq!(partner.get(&fetching).await["status"], "cancelled");

    // The cancelled partner store id is free again.
    let renewed =
        partner.register(&registration("pos-5", &failing, "http://127.0.0.1:9/hook"), StatusCode::ACCEPTED).await;
    assert_ne!(renewed["onboardingId"], fetching["onboardingId"]);

    // An active onboarding can no longer be cancelled or refetched.
    let (ready, _, _) = partner.ready("pos-6", "http://127.0.0.1:9/hook").await;
    let active = json_of(partner.act(&ready, Method::POST, "/activate").await, StatusCode::OK).await;
    refused(partner.act(&active, Method::DELETE, "").await, "active").await;
    refused(partner.act(&active, Method::POST, "/refetch").await, "active").await;

    // A ready one can be cancelled; its catalog never goes live.
    let (ready, set_id, _) = partner.ready("pos-7", "http://127.0.0.1:9/hook").await;
    let cancelled = json_of(partner.act(&ready, Method::DELETE, "").await, StatusCode::OK).await;
    assert_eq!((cancelled["status"].clone(), cancelled["catalogSetId"].clone()), (json!("cancelled"), Value::Null));
    let distribution = partner.app.distribution_key().await;
    let menu_path = format!("/v1/marketplace/catalog-sets/{set_id}");
    problem_of(partner.app.get(&menu_path, &distribution).await, StatusCode::NOT_FOUND, "CATALOGSET_NOT_FOUND").await;
}

#[tokio::test]
async fn registering_one_partner_store_id_at_once_makes_one_onboarding() {
    let partner = Partner::new().await;
    let (failing, _) = catalog_server(vec![Step::Fail(503)]).await;
    let body = registration("pos-8", &failing, "http://127.0.0.1:9/hook");
    let answers =
        futures_util::future::join_all((0..10).map(|_| partner.app.post(ONBOARDING, &partner.key, &body))).await;
    let mut created = 0;
    let mut ids = std::collections::BTreeSet::new();
    for response in answers {
        let status = response.status();
        created += usize::from(status == StatusCode::ACCEPTED);
        let onboarding = json_of(response, status).await;
        assert!(status == StatusCode::ACCEPTED || status == StatusCode::OK, "{status}: {onboarding}");
        ids.insert(onboarding["onboardingId"].as_str().unwrap().to_string());
    }
    assert_eq!((created, ids.len()), (1, 1), "one new onboarding; every other answer is that one");
    assert_eq!(partner.app.count("SELECT count(*) FROM store_onboardings").await, 1);
}

#[tokio::test]
async fn a_bad_registration_lists_every_problem_and_saves_nothing() {
    let partner = Partner::new().await;
    let mut body = registration("", "ftp://example.com/menu.json", "not a url");
    body["store"]["name"] = json!("");
    body["store"]["timezone"] = json!("Mars/Olympus_Mons");
    let problem = problem_of(
        partner.app.post(ONBOARDING, &partner.key, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(
        paths(&problem),
        ["$.partnerStoreId", "$.store.name", "$.store.timezone", "$.catalogCallbackUrl", "$.webhookUrl"],
        "{problem}"
    );

    let mut missing = registration("pos-9", "http://127.0.0.1:9/menu.json", "http://127.0.0.1:9/hook");
    missing.as_object_mut().unwrap().remove("store");
    let problem = problem_of(
        partner.app.post(ONBOARDING, &partner.key, &missing).await,
        StatusCode::BAD_REQUEST,
        "INVALID_REQUEST",
    )
    .await;
    assert_eq!(paths(&problem), ["$.store"]);
    assert_eq!(partner.app.count("SELECT count(*) FROM store_onboardings").await, 0);
}

#[tokio::test]
async fn private_destinations_are_refused_unless_allowed() {
    let partner = Partner::with(TestApp::spawn_with(|config| config.allow_private_urls = false).await).await;
    let body = registration("pos-10", "http://127.0.0.1:9/menu.json", "http://10.0.0.7/hook");
    let problem = problem_of(
        partner.app.post(ONBOARDING, &partner.key, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(paths(&problem), ["$.catalogCallbackUrl", "$.webhookUrl"], "{problem}");
    assert!(problem["errors"][0]["message"].as_str().unwrap().contains("private or loopback"), "{problem}");
}

#[tokio::test]
async fn another_partners_onboarding_is_not_found_and_a_distribution_key_is_forbidden() {
    let partner = Partner::new().await;
    let (failing, _) = catalog_server(vec![Step::Fail(503)]).await;
    let mine =
        partner.register(&registration("pos-11", &failing, "http://127.0.0.1:9/hook"), StatusCode::ACCEPTED).await;
    let other = partner.app.key("Other Restaurants", OrgKind::Commerce).await;
    let path = partner.path(&mine, "");
    for (method, action) in
        [(Method::GET, ""), (Method::DELETE, ""), (Method::POST, "/activate"), (Method::POST, "/refetch")]
    {
        let response = partner.app.request(method, &format!("{path}{action}"), Some(&other), None).await;
        problem_of(response, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    }
    let theirs = json_of(partner.app.get(ONBOARDING, &other).await, StatusCode::OK).await;
    assert_eq!(theirs["totalCount"], 0);
    // The other partner may onboard a store under the same partner store id: ids are per partner.
    let same_id = registration("pos-11", &failing, "http://127.0.0.1:9/hook");
    json_of(partner.app.post(ONBOARDING, &other, &same_id).await, StatusCode::ACCEPTED).await;

    let distribution = partner.app.distribution_key().await;
    problem_of(partner.app.get(ONBOARDING, &distribution).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let not_an_id = format!("{ONBOARDING}/pos-11");
    problem_of(partner.app.get(&not_an_id, &partner.key).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}

#[tokio::test]
async fn onboardings_are_listed_newest_first_by_page_and_by_status() {
    let partner = Partner::new().await;
    let (failing, _) = catalog_server(vec![Step::Fail(503)]).await;
    let mut registered = Vec::new();
    for id in ["pos-a", "pos-b", "pos-c"] {
        partner.app.clock.advance(Duration::seconds(1));
        let body = registration(id, &failing, "http://127.0.0.1:9/hook");
        registered.push(partner.register(&body, StatusCode::ACCEPTED).await);
    }
    json_of(partner.act(&registered[0], Method::DELETE, "").await, StatusCode::OK).await;

    let page = json_of(partner.app.get(&format!("{ONBOARDING}?limit=2"), &partner.key).await, StatusCode::OK).await;
    let ids: Vec<&Value> = page["onboardings"].as_array().unwrap().iter().map(|o| &o["partnerStoreId"]).collect();
    assert_eq!(ids, [&json!("pos-c"), &json!("pos-b")]);
    assert_eq!((page["totalCount"].clone(), page["hasMore"].clone()), (json!(3), json!(true)));
    let rest =
        json_of(partner.app.get(&format!("{ONBOARDING}?limit=2&offset=2"), &partner.key).await, StatusCode::OK).await;
    assert_eq!(
        (rest["onboardings"][0]["partnerStoreId"].clone(), rest["hasMore"].clone()),
        (json!("pos-a"), json!(false))
    );
    let cursor = page["nextCursor"].as_str().unwrap();
    let after = partner.app.get(&format!("{ONBOARDING}?limit=2&cursor={cursor}"), &partner.key).await;
    assert_eq!(
        json_of(after, StatusCode::OK).await["onboardings"],
        rest["onboardings"],
        "the cursor reads as the offset did"
    );

    let cancelled =
        json_of(partner.app.get(&format!("{ONBOARDING}?status=cancelled"), &partner.key).await, StatusCode::OK).await;
    assert_eq!(
        (cancelled["totalCount"].clone(), cancelled["onboardings"][0]["partnerStoreId"].clone()),
        (json!(1), json!("pos-a"))
    );
    let bad = partner.app.get(&format!("{ONBOARDING}?status=live"), &partner.key).await;
    assert_eq!(paths(&problem_of(bad, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await), ["$.status"]);
}
