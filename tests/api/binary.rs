//! The real `marketfront serve` binary as a test fixture: a process of its own on a free port,
//! with its own recorder and logs, and a scene (a store, a menu and a validated order) set up
//! through its API.

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
pub struct Server {
    child: Child,
    pub address: String,
}

impl Server {
    pub async fn start(database_url: &str) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_marketfront"));
        binary_logging(&mut command);
        Server::start_as(command, database_url).await
    }

    /// A server logging everything down to debug into `log` (stdout and stderr alike), for
    /// tests that read what it wrote.
    pub async fn start_logging_to(database_url: &str, log: &std::path::Path) -> Server {
        let file = std::fs::File::create(log).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_marketfront"));
        command.env("MARKETFRONT_LOG", "debug").stderr(file.try_clone().unwrap());
        Server::start_as(command, database_url).await
    }

    async fn start_as(mut command: Command, database_url: &str) -> Server {
        let port = free_port();
        let child = command
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("MARKETFRONT_LISTEN", format!("127.0.0.1:{port}"))
            .env("MARKETFRONT_PLACE_LEASE_SECONDS", "3")
            .env("MARKETFRONT_PAYMENT_TIMEOUT_SECONDS", "2")
            .env("MARKETFRONT_COMPLETER_INTERVAL_MS", "200")
            .env("MARKETFRONT_JWT_SECRET", TEST_JWT_SECRET)
            .env("MARKETFRONT_ENCRYPTION_KEY", TEST_ENCRYPTION_KEY)
            .stdout(Stdio::null())
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
    pub fn kill(mut self) {
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

pub struct Scene {
    pub client: reqwest::Client,
    pub pool: PgPool,
    pub distribution: String,
    pub body: Value,
    pub key: String,
}

impl Scene {
    /// Sets up a store open around the clock (the process runs on the real clock) and a
    /// validated order paid with a card that takes 1 s to authorise: a second inside the 2 s
    /// payment timeout, so a machine busy with the other tests does not time the retry out.
    pub async fn new(database: &TestDatabase, server: &Server) -> Scene {
        Scene::paying_with(database, server, "tok_slow_1000").await
    }

    /// The same scene, paid with `card` (a sandbox magic token).
    pub async fn paying_with(database: &TestDatabase, server: &Server, card: &str) -> Scene {
        let pool = PgPool::connect(&database.url).await.unwrap();
        let commerce = keys::create(&pool, "Crash Kitchen", OrgKind::Commerce, None, None).await.unwrap().key;
        let distribution = keys::create(&pool, "Crash App", OrgKind::Distribution, None, None).await.unwrap().key;
        marketfront::app::interchange::enable(&pool, "Crash App", "stripe", chrono::Utc::now()).await.unwrap();
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
        body["payment"] = json!({"cardOnFile": {"cardToken": card, "processorType": "stripe"}});
        Scene { client, pool, distribution, body, key: fresh_key() }
    }

    pub fn place(&self, server: &Server) -> impl Future<Output = reqwest::Result<reqwest::Response>> + use<> {
        self.client
            .post(format!("{}{PLACE}", server.address))
            .bearer_auth(&self.distribution)
            .header("idempotency-key", &self.key)
            .json(&self.body)
            .send()
    }
}
