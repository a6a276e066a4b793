//! The `marketfront` binary itself: key management from the command line, and `serve`.

use crate::helpers::*;
use reqwest::StatusCode;
use std::process::{Command, Stdio};
use std::time::Duration;

fn marketfront(database_url: &str, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_marketfront"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("MARKETFRONT_LOG", "warn")
        .output()
        .expect("run marketfront");
    assert!(output.status.success(), "marketfront {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn last_line(text: &str) -> String {
    text.lines().last().unwrap().trim().to_string()
}

#[tokio::test]
async fn keys_are_managed_from_the_command_line() {
    let app = TestApp::spawn().await;
    let created = marketfront(&app.db_url, &["keys", "create", "--org", "CLI Eats", "--kind", "distribution"]);
    let key = last_line(&created);
    assert!(key.starts_with("mfk_"), "the key is alone on the last line: {created}");
    json_of(app.get("/v1/marketplace/stores", &key).await, StatusCode::OK).await;

    let prefix = &key[..16];
    let listed = marketfront(&app.db_url, &["keys", "list", "--org", "CLI Eats"]);
    assert!(listed.contains(prefix) && listed.contains("active"), "{listed}");
    assert!(!listed.contains(&key), "listings never show a key");

    let rolled = last_line(&marketfront(&app.db_url, &["keys", "roll", prefix, "--grace-hours", "0"]));
    // The command line dates the old key's end by the wall clock, and the server judges it by
    // its own (the test's): bring that past the roll, or once the wall clock is past the test's
    // start the old key would still have its grace here.
    app.clock.set(chrono::Utc::now() + chrono::Duration::seconds(1));
    let refused = app.until_status("/v1/marketplace/stores", &key, StatusCode::UNAUTHORIZED).await;
    problem_of(refused, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    json_of(app.get("/v1/marketplace/stores", &rolled).await, StatusCode::OK).await;

    marketfront(&app.db_url, &["keys", "revoke", &rolled[..16]]);
    let refused = app.until_status("/v1/marketplace/stores", &rolled, StatusCode::UNAUTHORIZED).await;
    problem_of(refused, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;

    // An organisation keeps its kind.
    let refused = Command::new(env!("CARGO_BIN_EXE_marketfront"))
        .args(["keys", "create", "--org", "CLI Eats", "--kind", "commerce"])
        .env("DATABASE_URL", &app.db_url)
        .output()
        .unwrap();
    assert!(!refused.status.success());
}

/// A new partner has no card-on-file interchange: its cardOnFile places are 403 until the
/// operator enables the processor, and again once it is disabled.
#[tokio::test]
async fn card_on_file_interchange_is_set_up_per_partner_from_the_command_line() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let created = marketfront(&app.db_url, &["keys", "create", "--org", "New Eats", "--kind", "distribution"]);
    let key = last_line(&created);
    let order = pickup(&shop, serde_json::json!([margherita("l1", 1, "large", 0)]));
    let place = |processor: &'static str| {
        let (app, key, order) = (&app, key.clone(), order.clone());
        async move {
            let mut body = app.validated(&key, &order, "tok_visa").await;
            body["payment"]["cardOnFile"]["processorType"] = serde_json::json!(processor);
            app.place(&key, &fresh_key(), &body).await
        }
    };
    let refused = problem_of(place("stripe").await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    assert_eq!(refused["errors"][0]["code"], "PAYMENT_INTERCHANGE_NOT_CONFIGURED", "{refused}");

    marketfront(&app.db_url, &["interchange", "enable", "--org", "New Eats", "--processor", "braintree"]);
    json_of(place("braintree").await, StatusCode::CREATED).await;
    problem_of(place("stripe").await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let listed = marketfront(&app.db_url, &["interchange", "list", "--org", "New Eats"]);
    assert!(listed.contains("New Eats\tbraintree"), "{listed}");
    assert!(!listed.contains("stripe"), "{listed}");

    marketfront(&app.db_url, &["interchange", "disable", "--org", "New Eats", "--processor", "braintree"]);
    problem_of(place("braintree").await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    // A processor the portal does not list is a bad payment method, not a missing set-up.
    let unknown = problem_of(place("paypal").await, StatusCode::BAD_REQUEST, "PAYMENT_METHOD_INVALID").await;
    assert_eq!(paths(&unknown), ["$.payment.cardOnFile.processorType"]);
    let refused = Command::new(env!("CARGO_BIN_EXE_marketfront"))
        .args(["interchange", "enable", "--org", "New Eats", "--processor", "paypal"])
        .env("DATABASE_URL", &app.db_url)
        .output()
        .unwrap();
    assert!(!refused.status.success());
}

#[tokio::test]
async fn serve_creates_its_database_loads_the_demo_and_stops_cleanly_on_sigterm() {
    let name = format!("mf_test_{}_{}", chrono::Utc::now().timestamp(), uuid::Uuid::new_v4().simple());
    let url = format!("{}/{name}", server_url());
    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_marketfront"))
        .args(["serve", "--demo"])
        .env("DATABASE_URL", &url)
        .env("MARKETFRONT_LISTEN", format!("127.0.0.1:{port}"))
        .env("MARKETFRONT_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start serve");
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut ready = false;
    for _ in 0..100 {
        if let Ok(response) = client.get(format!("{base}/readyz")).send().await {
            ready = response.status() == StatusCode::OK;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "serve answered /readyz");
    let stores = client
        .get(format!("{base}/v1/marketplace/stores"))
        .bearer_auth(marketfront::demo::DISTRIBUTION_KEY)
        .send()
        .await
        .unwrap();
    let body = json_of(stores, StatusCode::OK).await;
    assert_eq!(body["totalCount"], 4, "the demo's four stores");

    let killed = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let mut exit = None;
    for _ in 0..100 {
        if let Some(status) = server.try_wait().unwrap() {
            exit = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let exit = exit.unwrap_or_else(|| {
        let _ = server.kill();
        panic!("serve did not stop on SIGTERM")
    });
    assert!(exit.success(), "a graceful stop exits 0: {exit:?}");

    let mut admin =
        <sqlx::PgConnection as sqlx::Connection>::connect(&format!("{}/postgres", server_url())).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await.unwrap();
}

#[test]
fn serve_refuses_to_start_on_the_published_secrets() {
    let run = |envs: &[(&str, &str)]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_marketfront"));
        command
            .arg("serve")
            .env("MARKETFRONT_LISTEN", "127.0.0.1:0")
            .env("DATABASE_URL", "postgres://127.0.0.1:1/none");
        command.env_remove("MARKETFRONT_JWT_SECRET").env_remove("MARKETFRONT_ENCRYPTION_KEY");
        for (name, value) in envs {
            command.env(name, value);
        }
        let output = command.stdin(Stdio::null()).output().expect("run serve");
        (output.status.success(), String::from_utf8_lossy(&output.stderr).to_string())
    };
    let (started, why) = run(&[]);
    assert!(!started && why.contains("MARKETFRONT_JWT_SECRET"), "{why}");
    let (started, why) = run(&[("MARKETFRONT_JWT_SECRET", "too-short")]);
    assert!(!started && why.contains("at least 32"), "{why}");
    let (started, why) = run(&[("MARKETFRONT_JWT_SECRET", TEST_JWT_SECRET)]);
    assert!(!started && why.contains("MARKETFRONT_ENCRYPTION_KEY"), "{why}");
    let (started, why) =
        run(&[("MARKETFRONT_JWT_SECRET", TEST_JWT_SECRET), ("MARKETFRONT_ENCRYPTION_KEY", "c2hvcnQ=")]);
    assert!(!started && why.contains("32"), "{why}");
}
