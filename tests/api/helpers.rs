//! The shared test harness: a fresh database per test, the real application on a random port,
//! a clock the test controls, and an HTTP client.

use chrono::{DateTime, TimeZone, Utc};
use marketfront::app::keys;
use marketfront::auth::OrgKind;
use marketfront::clock::ManualClock;
use marketfront::config::Config;
use marketfront::{AppState, build_app, workers};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection, PgPool};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// Secrets for the real binary's `serve` (which refuses the published ones outside `--demo`).
pub const TEST_JWT_SECRET: &str = "test-only-jwt-secret-of-at-least-32-bytes";
/// Base64 of 32 bytes.
pub const TEST_ENCRYPTION_KEY: &str = "dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGU=";

/// `TEST_LOG=1` shows the server's logs in the tests (`TEST_LOG=debug,sqlx=info` picks a filter);
/// in-process servers log through the harness, spawned binaries to the test's stderr.
pub fn test_log_filter() -> Option<String> {
    let value = std::env::var("TEST_LOG").ok().filter(|v| !v.is_empty() && v != "0")?;
    Some(if value == "1" { "info,sqlx=warn".to_string() } else { value })
}

/// How a spawned `marketfront` binary logs: quietly, unless `TEST_LOG` asks for its logs.
pub fn binary_logging(command: &mut std::process::Command) -> &mut std::process::Command {
    match test_log_filter() {
        Some(filter) => command.env("MARKETFRONT_LOG", filter).stderr(std::process::Stdio::inherit()),
        None => command.env("MARKETFRONT_LOG", "warn").stderr(std::process::Stdio::null()),
    }
}

pub fn server_url() -> String {
    std::env::var("TEST_DATABASE_SERVER").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string())
}

/// Monday 2026-11-23, 12:00 in New York (17:00 UTC), 09:00 in Los Angeles.
pub fn monday_noon_new_york() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 17, 0, 0).unwrap()
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: PgPool,
    pub clock: ManualClock,
    pub db_url: String,
    /// The app's own state, for tests that call a use case directly (to hit a race window).
    pub state: AppState,
    config: Config,
    _database: TestDatabase,
}

/// A fresh, empty database on the local Postgres, dropped when this is dropped (on success or
/// panic alike).
pub struct TestDatabase {
    pub url: String,
    pub name: String,
    server: String,
}

impl TestDatabase {
    pub async fn create() -> TestDatabase {
        TestDatabase::create_on(&server_url()).await
    }

    /// A fresh database on the Postgres server at `server` (`postgres://user@host:port`).
    pub async fn create_on(server: &str) -> TestDatabase {
        let name = format!("mf_test_{}_{}", Utc::now().timestamp(), Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&format!("{server}/postgres")).await.expect("connect to Postgres");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("create test database");
        admin.close().await.ok();
        TestDatabase { url: format!("{server}/{name}"), name, server: server.to_string() }
    }
}

/// Prepares the database, then serves the real application on a random port with every worker.
async fn start_instance(config: Config, clock: ManualClock) -> (String, AppState) {
    if let Some(filter) = test_log_filter() {
        marketfront::telemetry::init_for_tests(&filter);
    }
    let state = marketfront::start(config, Arc::new(clock)).await.expect("prepare test database");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let app = build_app(state.clone());
    let limits = marketfront::http::server::ConnectionLimits::of(&state.config);
    tokio::spawn(marketfront::http::server::serve(listener, app, limits, std::future::pending()));
    workers::spawn_all(&state);
    // Until the cache listener is subscribed the cache reads through (and, once subscribed,
    // drops what it held): a test starts on the caching instance a partner meets, not on one
    // whose first requests race the listener's connection.
    for _ in 0..500 {
        if state.cache.is_listening() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(state.cache.is_listening(), "the cache listener did not subscribe within 5 s");
    (address, state)
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    /// Starts the app with settings adjusted by `tweak` (the defaults allow loopback URLs and
    /// retry failed pulls after 2 s of the test's clock).
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        TestApp::spawn_on(TestDatabase::create().await, tweak).await
    }

    /// Starts the app as `spawn_with` does, on `database`.
    pub async fn spawn_on(database: TestDatabase, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let url = database.url.clone();
        let mut config = Config::for_database(&url);
        config.allow_private_urls = true;
        config.pull_timeout = Duration::from_millis(800);
        config.pull_retry_base = Duration::from_secs(2);
        config.completer_interval = Duration::from_millis(100);
        config.webhook_poll_interval = Duration::from_millis(50);
        config.webhook_timeout = Duration::from_secs(2);
        // Tests send bursts far above a partner's budget; the rate-limit test sets its own.
        config.rate_limit_reads_per_minute = 1_000_000;
        config.rate_limit_writes_per_minute = 1_000_000;
        config.auth_lookups_per_minute = 1_000_000;
        tweak(&mut config);
        config.database_max_connections = 5;
        let clock = ManualClock::new(monday_noon_new_york());
        let (address, state) = start_instance(config.clone(), clock.clone()).await;
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        TestApp { address, client, db: state.db.clone(), clock, db_url: url, state, config, _database: database }
    }

    /// Another server process on the same database, with its own caches and workers, sharing
    /// this app's clock: for tests of what one instance sees of another's changes.
    pub async fn another_instance(&self) -> String {
        start_instance(self.config.clone(), self.clock.clone()).await.0
    }

    /// The same request as `request`, sent to another instance's `address`.
    pub async fn request_at(
        &self,
        address: &str,
        method: Method,
        path: &str,
        key: &str,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self.client.request(method, format!("{address}{path}")).bearer_auth(key);
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        request.send().await.expect("request sent")
    }

    /// A new key for `org`. A distribution organisation may pay with stripe card tokens, as
    /// every partner from before interchange was set up per organisation (the interchange test
    /// makes its partner with the command line instead, which sets up nothing).
    pub async fn key(&self, org: &str, kind: OrgKind) -> String {
        let key = keys::create(&self.db, org, kind, None, None).await.expect("create key").key;
        if kind == OrgKind::Distribution {
            marketfront::app::interchange::enable(&self.db, org, "stripe", self.clock_now()).await.expect("stripe");
        }
        key
    }

    pub async fn distribution_key(&self) -> String {
        self.key("Test Delivery App", OrgKind::Distribution).await
    }

    pub async fn commerce_key(&self) -> String {
        self.key("Test Restaurants", OrgKind::Commerce).await
    }

    pub async fn request(&self, method: Method, path: &str, key: Option<&str>, body: Option<&Value>) -> Response {
        let mut request = self.client.request(method, format!("{}{path}", self.address));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        request.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str, key: &str) -> Response {
        self.request(Method::GET, path, Some(key), None).await
    }

    pub async fn put(&self, path: &str, key: &str, body: &Value) -> Response {
        self.request(Method::PUT, path, Some(key), Some(body)).await
    }

    pub async fn post(&self, path: &str, key: &str, body: &Value) -> Response {
        self.request(Method::POST, path, Some(key), Some(body)).await
    }

    pub async fn delete(&self, path: &str, key: &str) -> Response {
        self.request(Method::DELETE, path, Some(key), None).await
    }

    /// Creates a store with `details` (see `store_body`) and its catalog set; returns its id.
    pub async fn store_with_menu(&self, commerce_key: &str, details: &Value) -> Uuid {
        let id = Uuid::now_v7();
        let response = self.put(&format!("/v1/commerce/stores/{id}"), commerce_key, details).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
        let response = self
            .put(&format!("/v1/commerce/stores/{id}/catalog-set"), commerce_key, &catalog_body(Uuid::now_v7()))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
        id
    }

    /// Polls `check` until it returns `Some`, for work the server does in the background.
    pub async fn eventually<T, F, Fut>(&self, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        for _ in 0..200 {
            if let Some(value) = check().await {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {what}");
    }
}

impl Drop for TestDatabase {
    /// Drops the test's database, on success or panic alike, from a separate thread because
    /// `Drop` cannot await.
    fn drop(&mut self) {
        let (name, server) = (self.name.clone(), self.server.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                if let Ok(mut admin) = PgConnection::connect(&format!("{server}/postgres")).await {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await;
                }
            });
        })
        .join();
    }
}

/// Reads a JSON body, asserting the status first (and showing the body when it differs).
pub async fn json_of(response: Response, expected: StatusCode) -> Value {
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, expected, "body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Asserts a problem+json response with the given status and code, and returns its body.
pub async fn problem_of(response: Response, status: StatusCode, code: &str) -> Value {
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
    assert!(response.headers().contains_key("x-request-id"), "every response has X-Request-Id");
    let body = json_of(response, status).await;
    assert_eq!(content_type.as_deref(), Some("application/problem+json"), "{body}");
    assert_eq!(body["errorCode"], code, "{body}");
    assert_eq!(body["status"], status.as_u16(), "{body}");
    for member in [
        "type",
        "title",
        "detail",
        "instance",
        "requestId",
        "timestamp",
        "errorCategory",
        "retryable",
        "errors",
        "traceId",
    ] {
        assert!(body.get(member).is_some(), "problem lacks {member}: {body}");
    }
    assert_eq!(body["traceId"].as_str().unwrap().len(), 32, "{body}");
    body
}

/// The JSONPaths listed in a problem's `errors[]`.
pub fn paths(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["jsonPath"].as_str().unwrap_or_default().to_string())
        .collect()
}

pub fn every_day(start: &str, end: &str) -> Value {
    let days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    Value::Array(days.iter().map(|d| json!({"dayOfWeek": d, "start": start, "end": end})).collect())
}

/// A valid store description in New York, open every day 09:00–21:00, delivering within 5 km.
pub fn store_body(name: &str) -> Value {
    json!({
        "name": name, "phone": "+1-212-555-0100", "timezone": "America/New_York",
        "address": {"street": "1 Main St", "city": "New York", "state": "NY", "postalCode": "10001", "country": "US",
                    "latitude": 40.7500, "longitude": -73.9900},
        "cuisines": ["pizza"], "deliveryAllowed": true, "pickupAllowed": true,
        "minimumOrderAmount": 10, "deliveryFee": 2.5, "serviceFeeRate": 0.05, "taxRate": 0.08875, "deliveryRadiusKm": 5,
        "availability": every_day("09:00:00", "21:00:00")
    })
}

/// A valid catalog set: one catalog, nested sections, a required and an optional group.
pub fn catalog_body(id: Uuid) -> Value {
    json!({
        "catalogSetId": id, "currency": "USD",
        "catalogs": {"main": {"catalogId": "main", "name": "Main menu", "sectionIds": ["pizzas"],
                               "availability": every_day("00:00:00", "00:00:00")}},
        "sections": {"pizzas": {"sectionId": "pizzas", "name": "Pizzas", "itemIds": ["margherita"], "sectionIds": ["specials"]},
                     "specials": {"sectionId": "specials", "name": "Specials", "itemIds": ["calzone"]}},
        "items": {
            "margherita": {"itemId": "margherita", "name": "Margherita", "basePrice": 12.5, "modifierGroupIds": ["size", "toppings"]},
            "calzone": {"itemId": "calzone", "name": "Calzone", "basePrice": 14, "available": false},
            "large": {"itemId": "large", "name": "Large", "basePrice": 4},
            "small": {"itemId": "small", "name": "Small", "basePrice": 0},
            "basil": {"itemId": "basil", "name": "Basil", "basePrice": 0.75}
        },
        "modifierGroups": {
            "size": {"modifierGroupId": "size", "name": "Size", "minSelections": 1, "maxSelections": 1, "itemIds": ["small", "large"]},
            "toppings": {"modifierGroupId": "toppings", "name": "Toppings", "minSelections": 0, "maxSelections": 2, "itemIds": ["basil"]}
        }
    })
}

impl TestApp {
    pub fn clock_now(&self) -> DateTime<Utc> {
        use marketfront::clock::Clock;
        self.clock.now()
    }
}

impl TestApp {
    /// Waits (a few seconds at most) until `GET path` with `key` answers `status`: for changes
    /// another process makes, which reach this server's caches through Postgres notifications.
    pub async fn until_status(&self, path: &str, key: &str, status: StatusCode) -> Response {
        for _ in 0..100 {
            let response = self.get(path, key).await;
            if response.status() == status {
                return response;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("GET {path} never answered {status}");
    }
}

/// A store (the helpers' New York pizzeria unless `details` says otherwise) with a known
/// catalog set id, and keys for both sides.
pub struct Shop {
    pub commerce: String,
    pub distribution: String,
    pub store: Uuid,
    pub catalog: Uuid,
}

pub async fn shop(app: &TestApp, details: &Value, menu: impl FnOnce(Uuid) -> Value) -> Shop {
    let commerce = app.commerce_key().await;
    let distribution = app.distribution_key().await;
    let store = Uuid::now_v7();
    let catalog = Uuid::now_v7();
    let response = app.put(&format!("/v1/commerce/stores/{store}"), &commerce, details).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
    let response = app.put(&format!("/v1/commerce/stores/{store}/catalog-set"), &commerce, &menu(catalog)).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
    Shop { commerce, distribution, store, catalog }
}

pub async fn pizzeria(app: &TestApp) -> Shop {
    shop(app, &store_body("Pizza Place"), catalog_body).await
}

/// A margherita of the given size, with `basil` portions of basil (none when 0).
pub fn margherita(line: &str, quantity: i64, size: &str, basil: i64) -> Value {
    let mut groups = vec![json!({"modifierGroupId": "size", "selectedModifiers": [{"itemId": size, "quantity": 1}]})];
    if basil > 0 {
        groups.push(
            json!({"modifierGroupId": "toppings", "selectedModifiers": [{"itemId": "basil", "quantity": basil}]}),
        );
    }
    json!({"lineItemId": line, "itemId": "margherita", "quantity": quantity, "modifierGroups": groups})
}

pub fn pickup(shop: &Shop, lines: Value) -> Value {
    json!({
        "cart": {"storeId": shop.store, "catalogSetId": shop.catalog, "lineItems": lines},
        "fulfillmentType": "Pickup",
        "customer": {"firstName": "Ann", "lastName": "Lee", "email": "ann@example.com", "phone": "+1-212-555-0199"},
        "amounts": {"tip": 2}
    })
}

pub const PLACE: &str = "/v1/marketplace/orders/place";

impl TestApp {
    /// `POST /v1/marketplace/orders/place` to `address` (this app's when `None`).
    pub async fn place_at(
        &self,
        address: Option<&str>,
        key: &str,
        idempotency_key: Option<&str>,
        body: &Value,
    ) -> Response {
        let address = address.unwrap_or(&self.address);
        let mut request = self
            .client
            .post(format!("{address}{PLACE}"))
            .bearer_auth(key)
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(idempotency_key) = idempotency_key {
            request = request.header("idempotency-key", idempotency_key);
        }
        request.send().await.expect("request sent")
    }

    pub async fn place(&self, key: &str, idempotency_key: &str, body: &Value) -> Response {
        self.place_at(None, key, Some(idempotency_key), body).await
    }

    /// Validates `order` and returns the place body for it: the order, its token, the total it
    /// was priced at, and `card` on file.
    pub async fn validated(&self, key: &str, order: &Value, card: &str) -> Value {
        let answer = json_of(self.post("/v1/marketplace/orders/validate", key, order).await, StatusCode::OK).await;
        assert_eq!(answer["isValid"], true, "{answer}");
        let mut body = order.clone();
        body["validatedOrderToken"] = answer["validatedOrderToken"].clone();
        body["amounts"]["total"] = answer["amounts"]["total"].clone();
        body["payment"] = json!({"cardOnFile": {"cardToken": card, "processorType": "stripe"}});
        body
    }
}

impl TestApp {
    /// One large margherita at `shop`, validated and placed with `key` (an API key or a
    /// session) under a fresh Idempotency-Key: the placed order.
    pub async fn place_one(&self, shop: &Shop, key: &str) -> Value {
        let order = pickup(shop, json!([margherita("l1", 1, "large", 0)]));
        let body = self.validated(key, &order, "tok_visa").await;
        json_of(self.place(key, &fresh_key(), &body).await, StatusCode::CREATED).await
    }
}

/// A port nothing listens on right now, for a server the test starts itself.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The value of the first Prometheus sample whose line starts with `prefix` (label order is
/// the code's), or 0 when there is none yet.
pub fn metric_sample(text: &str, prefix: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

pub fn fresh_key() -> String {
    Uuid::new_v4().to_string()
}
