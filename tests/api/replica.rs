//! The read routing (`DATABASE_READ_URL`) against a real streaming replica that
//! `tests/replica-pair.sh` makes for each test: which reads go to the replica, and, with its
//! replay paused, that validate still prices what the primary says, an order just placed is
//! still read back, a replica too far behind is left, and a lost one is not missed.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// A primary and its replica, stopped and removed when dropped (on success or panic alike).
struct Pair {
    dir: PathBuf,
    primary: String,
    replica: String,
}

fn pair_script(arguments: &[&str]) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/replica-pair.sh");
    let status = Command::new(script).args(arguments).status().expect("run tests/replica-pair.sh");
    assert!(status.success(), "tests/replica-pair.sh {arguments:?} failed");
}

impl Pair {
    fn start() -> Pair {
        let dir = std::env::temp_dir().join(format!("marketfront-replica-{}", uuid::Uuid::new_v4().simple()));
        let (primary, replica) = (free_port(), free_port());
        pair_script(&["start", dir.to_str().unwrap(), &primary.to_string(), &replica.to_string()]);
        Pair {
            dir,
            primary: format!("postgres://postgres@127.0.0.1:{primary}"),
            replica: format!("postgres://postgres@127.0.0.1:{replica}"),
        }
    }

    async fn on_replica(&self, sql: &str) -> String {
        let mut connection = PgConnection::connect(&format!("{}/postgres", self.replica)).await.unwrap();
        let answer: Option<String> = sqlx::query_scalar(sql).fetch_one(&mut connection).await.unwrap();
        answer.unwrap_or_default()
    }

    async fn pause_replay(&self) {
        self.on_replica("SELECT pg_wal_replay_pause()::text").await;
        for _ in 0..100 {
            if self.on_replica("SELECT pg_get_wal_replay_pause_state()").await == "paused" {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("replay did not pause");
    }

    async fn resume_replay(&self) {
        self.on_replica("SELECT pg_wal_replay_resume()::text").await;
    }

    fn lose_replica(&self) {
        pair_script(&["stop-replica", self.dir.to_str().unwrap()]);
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        let _ = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/replica-pair.sh"))
            .args(["stop", self.dir.to_str().unwrap()])
            .status();
    }
}

/// The app on the pair's primary, reading from its replica.
async fn app_on(pair: &Pair, max_lag: Duration) -> TestApp {
    let database = TestDatabase::create_on(&pair.primary).await;
    let read_url = format!("{}/{}", pair.replica, database.name);
    TestApp::spawn_on(database, |config| {
        config.database_read_url = Some(read_url);
        config.replica_max_lag = max_lag;
    })
    .await
}

/// How many reads of `kind` the `server` answered, by the process's metrics (only this module's
/// apps have a replica, so only they count these; and only the first test reads orders).
async fn reads(app: &TestApp, kind: &str, server: &str) -> f64 {
    let text = app.client.get(format!("{}/metrics", app.address)).send().await.unwrap().text().await.unwrap();
    metric_sample(&text, &format!("database_reads_total{{kind=\"{kind}\",server=\"{server}\"}}"))
}

fn near_new_york() -> &'static str {
    "/v1/marketplace/stores?latitude=40.75&longitude=-73.99&radiusKm=10&limit=100"
}

/// Whether discovery lists `store`, and whether it shows it open.
async fn discovered(app: &TestApp, key: &str, store: uuid::Uuid) -> Option<bool> {
    let page = json_of(app.get(near_new_york(), key).await, StatusCode::OK).await;
    let found = page["stores"].as_array().unwrap().iter().find(|s| s["storeId"] == json!(store))?.clone();
    Some(found["isOpen"] == json!(true))
}

async fn validate(app: &TestApp, key: &str, order: &Value) -> Value {
    json_of(app.post("/v1/marketplace/orders/validate", key, order).await, StatusCode::OK).await
}

fn error_codes(answer: &Value) -> Vec<String> {
    answer["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap_or_default().to_string()).collect()
}

/// Waits until this app reads from the replica (asking the routing itself, rather than the
/// watcher's next look) and the replica shows `store` open.
async fn until_the_replica_serves(app: &TestApp, key: &str, store: uuid::Uuid) {
    app.eventually("the replica to serve discovery", || async {
        (app.state.reads.observe().await == Some(true) && discovered(app, key, store).await == Some(true)).then_some(())
    })
    .await;
}

#[tokio::test]
async fn with_replay_paused_validate_prices_the_primary_and_a_placed_order_reads_back() {
    let pair = Pair::start();
    let app = app_on(&pair, Duration::from_secs(30)).await;
    let paused = pizzeria(&app).await;
    let trimmed = shop(&app, &store_body("Basil Corner"), catalog_body).await;
    let key = paused.distribution.clone();
    // Discovery lists a store once its menu is live, so both menus are on the replica too.
    until_the_replica_serves(&app, &key, paused.store).await;
    until_the_replica_serves(&app, &key, trimmed.store).await;

    pair.pause_replay().await;
    // The primary moves on: one store pauses, the other's menu loses basil.
    let pause = json!({"status": "paused", "reason": "kitchen fire"});
    let path = format!("/v1/commerce/stores/{}/status", paused.store);
    json_of(app.post(&path, &paused.commerce, &pause).await, StatusCode::OK).await;
    let mut menu = catalog_body(trimmed.catalog);
    menu["items"].as_object_mut().unwrap().remove("basil");
    menu["modifierGroups"]["toppings"]["itemIds"] = json!([]);
    let path = format!("/v1/commerce/stores/{}/catalog-set", trimmed.store);
    json_of(app.put(&path, &trimmed.commerce, &menu).await, StatusCode::OK).await;

    // Browsing reads the replica, which has not seen either change...
    assert_eq!(discovered(&app, &key, paused.store).await, Some(true), "discovery reads the paused replica");
    let browsed =
        json_of(app.get(&format!("/v1/marketplace/catalog-sets/{}", trimmed.catalog), &key).await, StatusCode::OK)
            .await;
    assert!(browsed.to_string().contains("Basil"), "the menu as the replica has it");
    // ...but validate prices what the primary holds.
    let at_paused = validate(&app, &key, &pickup(&paused, json!([margherita("l1", 1, "small", 0)]))).await;
    assert_eq!(
        (at_paused["isValid"].clone(), error_codes(&at_paused)),
        (json!(false), vec!["STORE_CLOSED".to_string()])
    );
    let with_basil = validate(&app, &key, &pickup(&trimmed, json!([margherita("l1", 1, "small", 1)]))).await;
    assert_eq!(with_basil["isValid"], false, "{with_basil}");

    // An order placed now is read back at once (from the primary: the replica lacks it).
    let placed = app.place_one(&trimmed, &key).await;
    let order_path = format!("/v1/marketplace/orders/{}", placed["gettOrderId"].as_str().unwrap());
    json_of(app.get(&order_path, &key).await, StatusCode::OK).await;
    let listed = json_of(app.get("/v1/marketplace/orders", &key).await, StatusCode::OK).await;
    assert_eq!(listed["orders"][0]["gettOrderId"], placed["gettOrderId"]);

    // Past the lag bound (on the test's clock, from the position those reads saw on the
    // primary), browsing leaves the replica too.
    app.clock.advance(chrono::Duration::seconds(31));
    app.eventually("discovery to read the primary", || async {
        (discovered(&app, &key, paused.store).await == Some(false)).then_some(())
    })
    .await;

    // Replay resumes: once caught up, the replica answers the order reads too.
    pair.resume_replay().await;
    let from_replica = reads(&app, "causal", "replica").await;
    app.eventually("order reads from the caught-up replica", || async {
        json_of(app.get(&order_path, &key).await, StatusCode::OK).await;
        (reads(&app, "causal", "replica").await > from_replica).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_lost_replica_is_left_for_the_primary() {
    let pair = Pair::start();
    let app = app_on(&pair, Duration::from_secs(30)).await;
    let shop = pizzeria(&app).await;
    let key = shop.distribution.clone();
    until_the_replica_serves(&app, &key, shop.store).await;
    let placed = app.place_one(&shop, &key).await;

    pair.lose_replica();
    // Reads under way when it went may fail (503, retryable); once the watcher has noticed,
    // every read is answered by the primary.
    let order_path = format!("/v1/marketplace/orders/{}", placed["gettOrderId"].as_str().unwrap());
    app.eventually("reads answered without the replica", || async {
        let browse = app.get(near_new_york(), &key).await.status();
        let order = app.get(&order_path, &key).await.status();
        (browse == StatusCode::OK && order == StatusCode::OK).then_some(())
    })
    .await;
    assert_eq!(discovered(&app, &key, shop.store).await, Some(true));
}
