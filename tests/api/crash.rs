//! Real `marketfront serve` processes: one killed with SIGKILL while a place is inside the
//! payment step, then restarted (the money and the order must still come out right), and two
//! side by side on one database given the same key at once.

use crate::helpers::*;
use marketfront::app::keys;
use marketfront::auth::OrgKind;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use uuid::Uuid;

/// A server process of the real binary on a free port. Its lease is 3 s and its payment
/// timeout 2 s, so a takeover happens within seconds and never while a payment is running.
struct Server {
    child: Child,
    address: String,
}

impl Server {
    async fn start(database_url: &str) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_marketfront"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("MARKETFRONT_LISTEN", format!("127.0.0.1:{port}"))
            .env("MARKETFRONT_PLACE_LEASE_SECONDS", "3")
            .env("MARKETFRONT_PAYMENT_TIMEOUT_SECONDS", "2")
            .env("MARKETFRONT_COMPLETER_INTERVAL_MS", "200")
            .env("MARKETFRONT_LOG", "warn")
            .env("MARKETFRONT_JWT_SECRET", TEST_JWT_SECRET)
            .env("MARKETFRONT_ENCRYPTION_KEY", TEST_ENCRYPTION_KEY)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start marketfront");
        let server = Server { child, address: format!("http://127.0.0.1:{port}") };
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(response) = client.get(format!("{}/readyz", server.address)).send().await
                && response.status() == StatusCode::OK
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("marketfront did not become ready");
    }

    /// SIGKILL: no shutdown, no cleanup, exactly like a crashed machine.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Scene {
    client: reqwest::Client,
    pool: PgPool,
    distribution: String,
    body: Value,
    key: String,
}

impl Scene {
    /// Sets up a store open around the clock (the process runs on the real clock) and a
    /// validated order paid with a card that takes 1 s to authorise: a second inside the 2 s
    /// payment timeout, so a machine busy with the other tests does not time the retry out.
    async fn new(database: &TestDatabase, server: &Server) -> Scene {
        let pool = PgPool::connect(&database.url).await.unwrap();
        let commerce = keys::create(&pool, "Crash Kitchen", OrgKind::Commerce, None, None).await.unwrap().key;
        let distribution = keys::create(&pool, "Crash App", OrgKind::Distribution, None, None).await.unwrap().key;
        let client = reqwest::Client::new();
        let (store, catalog) = (Uuid::now_v7(), Uuid::now_v7());
        let mut details = store_body("Always Open");
        details["availability"] = every_day("00:00:00", "00:00:00");
        let put = |path: String, body: Value, key: &str| {
            client.put(format!("{}{path}", server.address)).bearer_auth(key).json(&body).send()
        };
        assert!(put(format!("/v1/commerce/stores/{store}"), details, &commerce).await.unwrap().status().is_success());
        let menu = catalog_body(catalog);
        let pushed = put(format!("/v1/commerce/stores/{store}/catalog-set"), menu, &commerce).await.unwrap();
        assert!(pushed.status().is_success());
        let order = json!({
            "cart": {"storeId": store, "catalogSetId": catalog, "lineItems": [margherita("l1", 1, "large", 0)]},
            "fulfillmentType": "Pickup",
            "customer": {"firstName": "Crash", "email": "crash@example.com"}
        });
        let validated = client
            .post(format!("{}/v1/marketplace/orders/validate", server.address))
            .bearer_auth(&distribution)
            .json(&order)
            .send()
            .await
            .unwrap();
        let answer: Value = validated.json().await.unwrap();
        assert_eq!(answer["isValid"], true, "{answer}");
        let mut body = order;
        body["validatedOrderToken"] = answer["validatedOrderToken"].clone();
        body["amounts"] = json!({"total": answer["amounts"]["total"]});
        body["payment"] = json!({"cardOnFile": {"cardToken": "tok_slow_1000", "processorType": "stripe"}});
        Scene { client, pool, distribution, body, key: fresh_key() }
    }

    fn place(&self, server: &Server) -> impl std::future::Future<Output = reqwest::Result<reqwest::Response>> + use<> {
        self.client
            .post(format!("{}{PLACE}", server.address))
            .bearer_auth(&self.distribution)
            .header("idempotency-key", &self.key)
            .json(&self.body)
            .send()
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }

    /// Sends a place and kills the server once the request is inside the payment step.
    async fn kill_mid_payment(&self, server: Server) {
        let in_flight = tokio::spawn(self.place(&server));
        for _ in 0..200 {
            if self.count("SELECT count(*) FROM idempotency_keys WHERE recovery_point = 'order_created'").await == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        server.kill();
        assert!(in_flight.await.unwrap().is_err(), "the client saw the connection die, not an answer");
        assert_eq!(self.count("SELECT count(*) FROM orders WHERE placement = 'awaiting_payment'").await, 1);
        assert_eq!(self.count("SELECT count(*) FROM sandbox_processor_ledger").await, 0, "killed before the processor");
    }

    /// What must hold whatever happened: at most one live order for the token, and no approved
    /// authorisation without a placed order.
    async fn assert_consistent(&self) {
        assert!(self.count("SELECT count(*) FROM orders WHERE placement <> 'failed'").await <= 1);
        let orphans = self
            .count(
                "SELECT count(*) FROM sandbox_processor_ledger l
                 WHERE l.outcome = 'approved' AND NOT EXISTS (
                     SELECT 1 FROM payment_authorizations p JOIN orders o ON o.id = p.order_id
                     WHERE p.processor_key = l.idempotency_key AND o.placement = 'placed')",
            )
            .await;
        assert_eq!(orphans, 0, "an authorisation without an order");
    }
}

#[tokio::test]
async fn a_retry_after_a_crash_mid_payment_finishes_with_one_order_and_one_authorisation() {
    let database = TestDatabase::create().await;
    let first = Server::start(&database.url).await;
    let scene = Scene::new(&database, &first).await;
    scene.kill_mid_payment(first).await;

    let second = Server::start(&database.url).await;
    let mut answer = scene.place(&second).await.unwrap();
    for _ in 0..100 {
        if answer.status() != StatusCode::CONFLICT {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        answer = scene.place(&second).await.unwrap();
    }
    let status = answer.status();
    let order: Value = answer.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(scene.count("SELECT count(*) FROM orders WHERE placement = 'placed'").await, 1);
    assert_eq!(scene.count("SELECT count(*) FROM sandbox_processor_ledger WHERE outcome = 'approved'").await, 1);
    scene.assert_consistent().await;
    // On the real clock too, the order reads back exactly as the 201 described it.
    let id = order["gettOrderId"].as_str().unwrap();
    let read = scene
        .client
        .get(format!("{}/v1/marketplace/orders/{id}", second.address))
        .bearer_auth(&scene.distribution)
        .send()
        .await
        .unwrap();
    assert_eq!(read.json::<Value>().await.unwrap(), order);
    // And the answer is kept: asking once more replays it.
    let replay = scene.place(&second).await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let replayed: Value = replay.json().await.unwrap();
    assert_eq!(replayed["gettOrderId"], order["gettOrderId"]);
}

#[tokio::test]
async fn without_a_retry_the_completer_rolls_a_crashed_place_back() {
    let database = TestDatabase::create().await;
    let first = Server::start(&database.url).await;
    let scene = Scene::new(&database, &first).await;
    scene.kill_mid_payment(first).await;

    let _second = Server::start(&database.url).await;
    for _ in 0..100 {
        if scene.count("SELECT count(*) FROM idempotency_keys").await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(scene.count("SELECT count(*) FROM idempotency_keys").await, 0, "the key is released");
    assert_eq!(scene.count("SELECT count(*) FROM orders WHERE placement = 'failed'").await, 1);
    assert_eq!(scene.count("SELECT count(*) FROM payment_authorizations WHERE state = 'voided'").await, 1);
    assert_eq!(
        scene.count("SELECT count(*) FROM validated_orders WHERE order_id IS NULL").await,
        1,
        "the token is free"
    );
    scene.assert_consistent().await;
}

#[tokio::test]
async fn two_server_processes_given_one_key_at_once_place_one_order() {
    let database = TestDatabase::create().await;
    let first = Server::start(&database.url).await;
    let second = Server::start(&database.url).await;
    let scene = Scene::new(&database, &first).await;
    let (a, b) = tokio::join!(scene.place(&first), scene.place(&second));
    let mut statuses = [a.unwrap().status(), b.unwrap().status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT], "one runs, the other is told it is in use");

    let replay = scene.place(&second).await.unwrap();
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(scene.count("SELECT count(*) FROM orders").await, 1);
    assert_eq!(scene.count("SELECT coalesce(sum(requests), 0) FROM sandbox_processor_ledger").await, 1);
    scene.assert_consistent().await;
}
