//! Load generator for BENCHMARKS.md: drives a running server (started with `--demo`) with a fixed
//! number of concurrent keep-alive connections, one scenario after another, and prints requests/s,
//! p50/p99/p99.9 latency and failures per scenario as a Markdown table.
//!
//! `bench/run.sh` starts a release server on a fresh database and runs this against it; run it by
//! hand with `cargo run --release --example loadgen -- --help`.

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const DEMO_KEY: &str = "mfk_demodistrib0_public-demo-key-for-local-use-only";
/// The demo restaurant group that owns the demo stores: it moves the mix's orders forward.
const DEMO_COMMERCE_KEY: &str = "mfk_democommerce_public-demo-key-for-local-use-only";
/// Midtown Bagels: open around the clock, pickup only, with required and optional modifiers.
const BAGELS_STORE: &str = "0195a1b0-0000-7000-8000-000000000002";
const BAGELS_MENU: &str = "0195a1b0-0000-7000-8000-000000000102";

struct Options {
    url: String,
    key: String,
    connections: usize,
    seconds: u64,
    scenarios: Vec<String>,
}

fn options() -> Options {
    let mut options = Options {
        url: "http://127.0.0.1:8080".into(),
        key: DEMO_KEY.into(),
        connections: 32,
        seconds: 10,
        scenarios: vec!["healthz".into(), "validate-valid".into(), "validate-invalid".into()],
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => options.url = value(),
            "--key" => options.key = value(),
            "--connections" => options.connections = value().parse().expect("--connections is a number"),
            "--seconds" => options.seconds = value().parse().expect("--seconds is a number"),
            "--scenarios" => options.scenarios = value().split(',').map(str::to_string).collect(),
            _ => {
                eprintln!(
                    "usage: loadgen [--url URL] [--key KEY] [--connections N] [--seconds S] \
                     [--scenarios healthz,validate-valid,validate-invalid,cart-add,stores,catalog,place,webhooks,mix,mcp,\n                      discover-near,discover-delivery,discover-text,discover-typo,discover-open,\n                      orders-first,orders-deep]"
                );
                std::process::exit(2);
            }
        }
    }
    options
}

/// A realistic 5-line cart: bagels with spreads, coffees with milk, one with no modifiers.
fn valid_cart() -> Value {
    let line = |id: &str, item: &str, quantity: i64, group: Option<(&str, &str)>| {
        let groups: Vec<Value> = group
            .map(|(g, m)| json!({"modifierGroupId": g, "selectedModifiers": [{"itemId": m, "quantity": 1}]}))
            .into_iter()
            .collect();
        json!({"lineItemId": id, "itemId": item, "quantity": quantity, "modifierGroups": groups})
    };
    json!({
        "cart": {"storeId": BAGELS_STORE, "catalogSetId": BAGELS_MENU, "lineItems": [
            line("1", "plain-bagel", 2, Some(("spread", "spread-cream-cheese"))),
            line("2", "everything-bagel", 1, Some(("spread", "spread-butter"))),
            line("3", "drip-coffee", 2, Some(("milk", "milk-whole"))),
            line("4", "latte", 1, Some(("milk", "milk-oat"))),
            line("5", "everything-bagel", 1, None),
        ]},
        "fulfillmentType": "Pickup",
        "customer": {"firstName": "Load", "lastName": "Test", "email": "load@example.com", "phone": "+1-212-555-0100"},
        "amounts": {"tip": 3.00}
    })
}

/// The bagel cart at every store of LOADGEN_MENUS_FILE, in the file's order, the whole list
/// repeated so that a run at several thousand requests a second does not run out.
fn spread_carts() -> Vec<String> {
    let file = std::env::var("LOADGEN_MENUS_FILE").expect("validate-spread needs LOADGEN_MENUS_FILE");
    let text = std::fs::read_to_string(&file).expect("read LOADGEN_MENUS_FILE");
    let one_round: Vec<String> = text
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(store, menu)| {
            let mut cart = valid_cart();
            cart["cart"]["storeId"] = json!(store.trim());
            cart["cart"]["catalogSetId"] = json!(menu.trim());
            cart.to_string()
        })
        .collect();
    assert!(!one_round.is_empty(), "LOADGEN_MENUS_FILE lists no stores");
    // Popped from the end: reversed, the file's first store comes first.
    let rounds = 200_000usize.div_ceil(one_round.len());
    one_round.iter().rev().cycle().take(rounds * one_round.len()).cloned().collect()
}

/// The same cart with problems: an unknown item and a modifier over its group's limit.
fn invalid_cart() -> Value {
    let mut cart = valid_cart();
    cart["cart"]["lineItems"][4]["itemId"] = json!("no-such-item");
    cart["cart"]["lineItems"][2]["modifierGroups"][0]["selectedModifiers"][0]["quantity"] = json!(3);
    cart
}

struct Request {
    method: Method,
    path: String,
    body: Option<String>,
    expect: StatusCode,
    /// For place: one validated body per request, each sent once under a fresh key.
    bodies: Option<Mutex<Vec<String>>>,
}

/// Validates `count` orders (spread over the connections) and returns place bodies for them.
async fn validated_bodies(client: &Client, options: &Options, count: usize) -> Vec<String> {
    let per_task = count.div_ceil(options.connections);
    let tasks: Vec<_> = (0..options.connections)
        .map(|_| {
            let (client, url, key) = (client.clone(), options.url.clone(), options.key.clone());
            tokio::spawn(async move {
                let mut bodies = Vec::with_capacity(per_task);
                for _ in 0..per_task {
                    let response = client
                        .post(format!("{url}/v1/marketplace/orders/validate"))
                        .bearer_auth(&key)
                        .json(&valid_cart())
                        .send()
                        .await
                        .expect("validate");
                    let answer: Value = response.json().await.expect("validate answer");
                    let mut body = valid_cart();
                    body["validatedOrderToken"] = answer["validatedOrderToken"].clone();
                    body["amounts"]["total"] = answer["amounts"]["total"].clone();
                    body["payment"] = json!({"cardOnFile": {"cardToken": "tok_visa", "processorType": "stripe"}});
                    bodies.push(body.to_string());
                }
                bodies
            })
        })
        .collect();
    let mut all = Vec::with_capacity(count);
    for task in tasks {
        all.extend(task.await.expect("validating"));
    }
    all
}

/// The demo's city centre, where bench/scale.sh's city is centred too.
const NEAR: &str = "latitude=40.7128&longitude=-74.0060&limit=20";

fn scenario(name: &str) -> Request {
    let post = |path: &str, body: Value| Request {
        method: Method::POST,
        path: path.into(),
        body: Some(body.to_string()),
        expect: StatusCode::OK,
        bodies: None,
    };
    let get = |path: &str| Request {
        method: Method::GET,
        path: path.into(),
        body: None,
        expect: StatusCode::OK,
        bodies: None,
    };
    match name {
        "healthz" => get("/healthz"),
        "validate-valid" => post("/v1/marketplace/orders/validate", valid_cart()),
        "validate-invalid" => post("/v1/marketplace/orders/validate", invalid_cart()),
        // A sixth line added to validate's bagel cart: priced as validate prices it, no token.
        "cart-add" => {
            let order = valid_cart();
            let item = json!({"itemId": "latte", "quantity": 1,
                              "modifierGroups": [{"modifierGroupId": "milk", "selectedModifiers": [{"itemId": "milk-oat"}]}]});
            post("/v1/marketplace/carts/add", json!({"cart": order["cart"], "item": item, "fulfillmentType": "Pickup"}))
        }
        "stores" => get("/v1/marketplace/stores?latitude=40.7128&longitude=-74.0060&limit=10"),
        "catalog" => get(&format!("/v1/marketplace/catalog-sets/{BAGELS_MENU}")),
        // Discovery's shapes, as bench/scale.sh compares them between the demo and a city.
        "discover-near" => get(&format!("/v1/marketplace/stores?{NEAR}")),
        // As many stores as the demo has (4), so the answer is the demo's size in a city too.
        "discover-near4" => get("/v1/marketplace/stores?latitude=40.7128&longitude=-74.0060&limit=4"),
        "discover-delivery" => get(&format!("/v1/marketplace/stores?{NEAR}&fulfillmentType=DeliveryByMerchant")),
        "discover-text" => get(&format!("/v1/marketplace/stores?{NEAR}&query=bagel")),
        "discover-typo" => get(&format!("/v1/marketplace/stores?{NEAR}&query=bagle")),
        "discover-open" => get(&format!("/v1/marketplace/stores?{NEAR}&openNow=true")),
        // A partner's order list: its first page, and a page far down by the cursor
        // bench/scale.sh hands in (LOADGEN_ORDERS_CURSOR).
        // A big menu (bench/scale.sh hands in one of its 600-dish menus; the demo's own otherwise).
        "catalog-big" => get(&format!(
            "/v1/marketplace/catalog-sets/{}",
            std::env::var("LOADGEN_BIG_MENU").unwrap_or_else(|_| BAGELS_MENU.to_string())
        )),
        // The bagel cart priced at one store after another (LOADGEN_MENUS_FILE: a `storeId
        // catalogSetId` per line, each a copy of the demo's bagel shop), so each request may
        // load a menu the cache does not hold.
        "validate-spread" => Request {
            method: Method::POST,
            path: "/v1/marketplace/orders/validate".into(),
            body: None,
            expect: StatusCode::OK,
            bodies: Some(Mutex::new(spread_carts())),
        },
        "orders-first" => get("/v1/marketplace/orders?limit=20"),
        "orders-deep" => get(&format!(
            "/v1/marketplace/orders?limit=20&cursor={}",
            std::env::var("LOADGEN_ORDERS_CURSOR").expect("orders-deep needs LOADGEN_ORDERS_CURSOR")
        )),
        "place" => Request {
            method: Method::POST,
            path: "/v1/marketplace/orders/place".into(),
            body: None,
            expect: StatusCode::CREATED,
            bodies: Some(Mutex::new(Vec::new())),
        },
        other => panic!("unknown scenario {other}"),
    }
}

/// A local webhook receiver: when each delivery arrived, and how long after its event.
#[derive(Default)]
struct Receipts {
    lags_ms: Vec<f64>,
    first: Option<Instant>,
    last: Option<Instant>,
}

async fn start_receiver() -> (String, std::sync::Arc<Mutex<Receipts>>) {
    let receipts = std::sync::Arc::new(Mutex::new(Receipts::default()));
    let shared = receipts.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let shared = shared.clone();
            async move {
                let now = Instant::now();
                let event: Value = serde_json::from_slice(&body).unwrap_or_default();
                let occurred =
                    event["occurredAt"].as_str().and_then(|t| t.parse::<chrono::DateTime<chrono::Utc>>().ok());
                let mut receipts = shared.lock().expect("receipts");
                if let Some(occurred) = occurred {
                    receipts
                        .lags_ms
                        .push((chrono::Utc::now() - occurred).num_microseconds().unwrap_or(0) as f64 / 1000.0);
                }
                receipts.first.get_or_insert(now);
                receipts.last = Some(now);
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("receiver port");
    let url = format!("http://{}/hook", listener.local_addr().expect("receiver address"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("receiver") });
    (url, receipts)
}

struct Outcome {
    latencies_us: Vec<u64>,
    failures: BTreeMap<String, u64>,
}

async fn worker(
    client: Client,
    options_url: String,
    key: String,
    request: std::sync::Arc<Request>,
    until: Instant,
) -> Outcome {
    let mut outcome = Outcome { latencies_us: Vec::with_capacity(100_000), failures: BTreeMap::new() };
    let url = format!("{options_url}{}", request.path);
    while Instant::now() < until {
        let mut builder = client.request(request.method.clone(), &url).bearer_auth(&key);
        if let Some(body) = &request.body {
            builder = builder.header("content-type", "application/json").body(body.clone());
        }
        if let Some(bodies) = &request.bodies {
            let Some(body) = bodies.lock().expect("bodies").pop() else { break };
            builder = builder
                .header("content-type", "application/json")
                .header("idempotency-key", uuid::Uuid::new_v4().to_string())
                .body(body);
        }
        let started = Instant::now();
        let result = builder.send().await;
        let status = match result {
            Ok(response) => {
                let status = response.status();
                let body = response.bytes().await;
                if body.is_err() { None } else { Some(status) }
            }
            Err(_) => None,
        };
        outcome.latencies_us.push(started.elapsed().as_micros() as u64);
        match status {
            Some(status) if status == request.expect => {}
            Some(status) => *outcome.failures.entry(status.as_u16().to_string()).or_default() += 1,
            None => *outcome.failures.entry("io".into()).or_default() += 1,
        }
    }
    outcome
}

/// One request of the mix, timed into `stats` under `endpoint`; its JSON body when it answered
/// `expect`.
#[allow(clippy::too_many_arguments)]
async fn timed(
    client: &Client,
    stats: &mut BTreeMap<&'static str, Outcome>,
    endpoint: &'static str,
    method: Method,
    url: String,
    key: &str,
    body: Option<String>,
    idempotency_key: Option<String>,
    expect: StatusCode,
) -> Option<Value> {
    let mut builder = client.request(method, url).bearer_auth(key);
    if let Some(body) = body {
        builder = builder.header("content-type", "application/json").body(body);
    }
    if let Some(idempotency_key) = idempotency_key {
        builder = builder.header("idempotency-key", idempotency_key);
    }
    let started = Instant::now();
    let answer = match builder.send().await {
        Ok(response) => {
            let status = response.status();
            response.bytes().await.ok().map(|bytes| (status, bytes))
        }
        Err(_) => None,
    };
    let outcome = stats
        .entry(endpoint)
        .or_insert_with(|| Outcome { latencies_us: Vec::with_capacity(10_000), failures: BTreeMap::new() });
    outcome.latencies_us.push(started.elapsed().as_micros() as u64);
    match answer {
        Some((status, bytes)) if status == expect => serde_json::from_slice(&bytes).ok().or(Some(Value::Null)),
        Some((status, _)) => {
            *outcome.failures.entry(status.as_u16().to_string()).or_default() += 1;
            None
        }
        None => {
            *outcome.failures.entry("io".into()).or_default() += 1;
            None
        }
    }
}

/// The realistic mix: each connection repeats a customer's journey through a partner (find
/// stores, read the menu, price the cart twice as it changes, place it under a fresh key) and
/// the restaurant's side of the order (confirmed, preparing, ready, completed).
async fn journeys(client: Client, base: String, key: String, until: Instant) -> BTreeMap<&'static str, Outcome> {
    let mut stats = BTreeMap::new();
    let url = |path: &str| format!("{base}{path}");
    while Instant::now() < until {
        let stores = "/v1/marketplace/stores?latitude=40.7128&longitude=-74.0060&limit=10";
        let get = Method::GET;
        let ok = StatusCode::OK;
        timed(&client, &mut stats, "mix: discovery", get.clone(), url(stores), &key, None, None, ok).await;
        let menu = format!("/v1/marketplace/catalog-sets/{BAGELS_MENU}");
        timed(&client, &mut stats, "mix: catalog set", get, url(&menu), &key, None, None, ok).await;
        let validate = "/v1/marketplace/orders/validate";
        // The customer prices a smaller cart, adds to it, and prices it again.
        let mut first = valid_cart();
        first["cart"]["lineItems"].as_array_mut().expect("lines").truncate(3);
        let post = Method::POST;
        let mut priced = None;
        for cart in [first, valid_cart()] {
            let body = Some(cart.to_string());
            priced =
                timed(&client, &mut stats, "mix: validate", post.clone(), url(validate), &key, body, None, ok).await;
        }
        let Some(priced) = priced else { continue };
        let mut body = valid_cart();
        body["validatedOrderToken"] = priced["validatedOrderToken"].clone();
        body["amounts"]["total"] = priced["amounts"]["total"].clone();
        body["payment"] = json!({"cardOnFile": {"cardToken": "tok_visa", "processorType": "stripe"}});
        let fresh_key = Some(uuid::Uuid::new_v4().to_string());
        let place = "/v1/marketplace/orders/place";
        let Some(order) = timed(
            &client,
            &mut stats,
            "mix: place",
            post.clone(),
            url(place),
            &key,
            Some(body.to_string()),
            fresh_key,
            StatusCode::CREATED,
        )
        .await
        else {
            continue;
        };
        let status_path = format!("/v1/commerce/orders/{}/status", order["gettOrderId"].as_str().unwrap_or_default());
        for update in [
            json!({"status": "confirmed"}),
            json!({"status": "preparing"}),
            json!({"status": "ready"}),
            json!({"state": "completed"}),
        ] {
            let body = Some(update.to_string());
            timed(
                &client,
                &mut stats,
                "mix: status update",
                post.clone(),
                url(&status_path),
                DEMO_COMMERCE_KEY,
                body,
                None,
                ok,
            )
            .await;
        }
    }
    stats
}

/// Every connection's timings, by endpoint.
async fn merged(
    tasks: Vec<tokio::task::JoinHandle<BTreeMap<&'static str, Outcome>>>,
) -> BTreeMap<&'static str, Outcome> {
    let mut merged: BTreeMap<&'static str, Outcome> = BTreeMap::new();
    for task in tasks {
        for (endpoint, outcome) in task.await.expect("a connection's worker") {
            let into = merged
                .entry(endpoint)
                .or_insert_with(|| Outcome { latencies_us: Vec::new(), failures: BTreeMap::new() });
            into.latencies_us.extend(outcome.latencies_us);
            for (status, count) in outcome.failures {
                *into.failures.entry(status).or_default() += count;
            }
        }
    }
    merged
}

/// Runs the mix over every connection for `seconds` and prints a row per endpoint.
async fn run_mix(client: &Client, options: &Options) {
    let started = Instant::now();
    let until = started + Duration::from_secs(options.seconds);
    let tasks: Vec<_> = (0..options.connections)
        .map(|_| tokio::spawn(journeys(client.clone(), options.url.clone(), options.key.clone(), until)))
        .collect();
    let merged = merged(tasks).await;
    let elapsed = started.elapsed().as_secs_f64();
    let total: usize = merged.values().map(|o| o.latencies_us.len()).sum();
    for (endpoint, mut outcome) in merged {
        print_row(endpoint, &mut outcome.latencies_us, &outcome.failures, elapsed);
    }
    println!("| mix: all requests | {total} | {:.0} | | | | |", total as f64 / elapsed);
}

fn print_row(name: &str, latencies: &mut [u64], failures: &BTreeMap<String, u64>, elapsed: f64) {
    latencies.sort_unstable();
    let failed = if failures.is_empty() {
        "0".to_string()
    } else {
        failures.iter().map(|(s, c)| format!("{c}×{s}")).collect::<Vec<_>>().join(", ")
    };
    println!(
        "| {name} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {failed} |",
        latencies.len(),
        latencies.len() as f64 / elapsed,
        percentile(latencies, 0.50),
        percentile(latencies, 0.99),
        percentile(latencies, 0.999),
    );
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let options = options();
    let client = Client::builder()
        .pool_max_idle_per_host(options.connections)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("http client");
    println!("{} connections, {} s per scenario, against {}\n", options.connections, options.seconds, options.url);
    println!("| scenario | requests | requests/s | p50 ms | p99 ms | p99.9 ms | failures |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
    let mut webhook_report = None;
    for name in &options.scenarios {
        if name == "mix" {
            run_mix(&client, &options).await;
            continue;
        }
        if name == "mcp" {
            run_agents(&client, &options).await;
            continue;
        }
        let receiver = if name == "webhooks" {
            let (url, receipts) = start_receiver().await;
            let registered = client
                .post(format!("{}/v1/webhooks/endpoints", options.url))
                .bearer_auth(&options.key)
                .json(&json!({"url": url, "eventTypes": ["order_create"]}))
                .send()
                .await
                .expect("register the receiver");
            assert!(registered.status().is_success(), "registering the receiver: {}", registered.status());
            Some(receipts)
        } else {
            None
        };
        let request = std::sync::Arc::new(scenario(if name == "webhooks" { "place" } else { name }));
        if let (Some(bodies), true) = (&request.bodies, matches!(name.as_str(), "place" | "webhooks")) {
            // Enough validated orders for the warm-up and the run at up to ~4k places/s.
            let count = 2_000 + 4_000 * options.seconds as usize;
            *bodies.lock().expect("bodies") = validated_bodies(&client, &options, count).await;
        }
        // A short warm-up fills the server's caches and the client's connection pool.
        let warm_until = Instant::now() + Duration::from_millis(500);
        let warm: Vec<_> = (0..options.connections)
            .map(|_| {
                tokio::spawn(worker(
                    client.clone(),
                    options.url.clone(),
                    options.key.clone(),
                    request.clone(),
                    warm_until,
                ))
            })
            .collect();
        for task in warm {
            task.await.expect("warm-up worker");
        }
        let started = Instant::now();
        let until = started + Duration::from_secs(options.seconds);
        let tasks: Vec<_> = (0..options.connections)
            .map(|_| {
                tokio::spawn(worker(client.clone(), options.url.clone(), options.key.clone(), request.clone(), until))
            })
            .collect();
        let mut latencies = Vec::new();
        let mut failures: BTreeMap<String, u64> = BTreeMap::new();
        for task in tasks {
            let outcome = task.await.expect("worker");
            latencies.extend(outcome.latencies_us);
            for (status, count) in outcome.failures {
                *failures.entry(status).or_default() += count;
            }
        }
        let elapsed = started.elapsed().as_secs_f64();
        if let Some(receipts) = receiver {
            // Every place of the run (warm-up included) emits one order_create to the receiver.
            let placed = latencies.len() + 1;
            let waiting = Instant::now();
            while receipts.lock().expect("receipts").lags_ms.len() < placed.saturating_sub(options.connections * 2)
                && waiting.elapsed() < Duration::from_secs(60)
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            let receipts = receipts.lock().expect("receipts");
            let mut lags = receipts.lags_ms.clone();
            lags.sort_by(f64::total_cmp);
            let span = match (receipts.first, receipts.last) {
                (Some(first), Some(last)) => (last - first).as_secs_f64().max(0.001),
                _ => 1.0,
            };
            let at = |p: f64| lags.get(((lags.len().max(1) - 1) as f64 * p).round() as usize).copied().unwrap_or(0.0);
            webhook_report = Some(format!(
                "webhooks: {} deliveries received in {span:.1} s = {:.0} deliveries/s; lag from the change to \
                 the receiver p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
                lags.len(),
                lags.len() as f64 / span,
                at(0.50),
                at(0.99),
                lags.last().copied().unwrap_or(0.0)
            ));
        }
        print_row(name, &mut latencies, &failures, elapsed);
    }
    if let Some(report) = webhook_report {
        println!("\n{report}");
    }
}

/// One MCP request (a JSON-RPC message to `/mcp`), timed into `stats` under `endpoint`: the
/// response message's `result` when it answered one that is not a tool error.
#[allow(clippy::too_many_arguments)]
async fn mcp_timed(
    client: &Client,
    stats: &mut BTreeMap<&'static str, Outcome>,
    endpoint: &'static str,
    base: &str,
    token: &str,
    session: Option<&str>,
    message: Value,
) -> (Option<Value>, Option<String>) {
    let mut builder = client
        .post(format!("{base}/mcp"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(message.to_string());
    if let Some(session) = session {
        builder = builder.header("mcp-session-id", session).header("mcp-protocol-version", "2025-11-25");
    }
    let started = Instant::now();
    let answer = match builder.send().await {
        Ok(response) => {
            let status = response.status();
            let id = response.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()).map(str::to_string);
            response.text().await.ok().map(|text| (status, id, text))
        }
        Err(_) => None,
    };
    let outcome = stats
        .entry(endpoint)
        .or_insert_with(|| Outcome { latencies_us: Vec::with_capacity(10_000), failures: BTreeMap::new() });
    outcome.latencies_us.push(started.elapsed().as_micros() as u64);
    let Some((status, id, text)) = answer else {
        *outcome.failures.entry("io".into()).or_default() += 1;
        return (None, None);
    };
    if !status.is_success() {
        *outcome.failures.entry(status.as_u16().to_string()).or_default() += 1;
        return (None, id);
    }
    let result = text
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
        .find(|m| m.get("id").is_some())
        .and_then(|m| m.get("result").cloned());
    match result {
        Some(result) if result["isError"] != true => (Some(result), id),
        Some(result) => {
            let code = result["structuredContent"]["errorCode"].as_str().unwrap_or("isError").to_string();
            *outcome.failures.entry(code).or_default() += 1;
            (None, id)
        }
        // A notification's 202 has no body.
        None if status == StatusCode::ACCEPTED => (Some(Value::Null), id),
        None => {
            *outcome.failures.entry("no-result".into()).or_default() += 1;
            (None, id)
        }
    }
}

/// The `mcp` scenario: each connection is an agent with its own session and conversation,
/// repeating a journey (discover, read the menu, add to the cart, validate, the confirmation
/// step, the yes, clear the cart); beside each tool call the REST call it wraps is timed on the
/// same connection with the same session, so the two are measured under the same load.
async fn agent_journeys(client: Client, base: String, until: Instant) -> BTreeMap<&'static str, Outcome> {
    let mut stats = BTreeMap::new();
    let mut setup = BTreeMap::new();
    let user = uuid::Uuid::new_v4();
    let session =
        json!({"partnerUserId": user.to_string(), "email": "agent@example.com", "firstName": "Ann", "lastName": "Lee"});
    let url = |path: &str| format!("{base}{path}");
    let (post, get, ok) = (Method::POST, Method::GET, StatusCode::OK);
    let created = timed(
        &client,
        &mut setup,
        "setup",
        post.clone(),
        url("/v1/marketplace/session/create"),
        DEMO_KEY,
        Some(session.to_string()),
        None,
        StatusCode::CREATED,
    )
    .await
    .expect("a session");
    let token = created["token"].as_str().expect("token").to_string();
    let card = json!({"cardNumber": "4242424242424242", "expiration": "2030-12", "cvc": "123"});
    let payments = url("/v1/marketplace/checkout/payments");
    let saved = timed(
        &client,
        &mut setup,
        "setup",
        post.clone(),
        payments,
        &token,
        Some(card.to_string()),
        None,
        StatusCode::CREATED,
    )
    .await
    .expect("a saved card");
    let card = saved["paymentId"].clone();
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
                      "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "loadgen", "version": "1"}}});
    let (_, conversation) = mcp_timed(&client, &mut setup, "setup", &base, &token, None, init).await;
    let conversation = conversation.expect("an Mcp-Session-Id");
    let conversation = Some(conversation.as_str());
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    mcp_timed(&client, &mut setup, "setup", &base, &token, conversation, initialized).await;
    let mut id = 0;
    let mut tool = |name: &str, arguments: Value| {
        id += 1;
        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": name, "arguments": arguments}})
    };
    mcp_timed(
        &client,
        &mut setup,
        "setup",
        &base,
        &token,
        conversation,
        tool("confirmFulfillment", json!({"mode": "Pickup"})),
    )
    .await;

    let item = json!({"itemId": "plain-bagel", "quantity": 2});
    while Instant::now() < until {
        let near = json!({"latitude": 40.7128, "longitude": -74.006, "limit": 10});
        let m = tool("discoverStores", near);
        mcp_timed(&client, &mut stats, "mcp: discoverStores", &base, &token, conversation, m).await;
        let stores = url("/v1/marketplace/stores?latitude=40.7128&longitude=-74.0060&limit=10");
        timed(&client, &mut stats, "rest: GET stores", get.clone(), stores, &token, None, None, ok).await;

        let m = tool("getCatalogSet", json!({"catalogSetId": BAGELS_MENU}));
        mcp_timed(&client, &mut stats, "mcp: getCatalogSet", &base, &token, conversation, m).await;
        let menu = url(&format!("/v1/marketplace/catalog-sets/{BAGELS_MENU}"));
        timed(&client, &mut stats, "rest: GET catalog-set", get.clone(), menu, &token, None, None, ok).await;

        let m = tool("addToCart", json!({"storeId": BAGELS_STORE, "itemId": "plain-bagel", "quantity": 2}));
        let (cart, _) = mcp_timed(&client, &mut stats, "mcp: addToCart", &base, &token, conversation, m).await;
        let add = json!({"cart": null, "storeId": BAGELS_STORE, "catalogSetId": BAGELS_MENU, "item": item});
        let added = url("/v1/marketplace/carts/add");
        let rest_cart =
            timed(&client, &mut stats, "rest: carts/add", post.clone(), added, &token, Some(add.to_string()), None, ok)
                .await;

        let m = tool("validateOrder", json!({}));
        let (validated, _) = mcp_timed(&client, &mut stats, "mcp: validateOrder", &base, &token, conversation, m).await;
        let order = json!({"cart": rest_cart.as_ref().map(|c| c["cart"].clone()), "fulfillmentType": "Pickup"});
        let validate = url("/v1/marketplace/orders/validate");
        let priced = timed(
            &client,
            &mut stats,
            "rest: validate",
            post.clone(),
            validate,
            &token,
            Some(order.to_string()),
            None,
            ok,
        )
        .await;

        if let Some(validated) = validated {
            let checkout = json!({"validatedOrderToken": validated["structuredContent"]["validatedOrderToken"], "paymentMethodId": card});
            let m = tool("placeOrder", checkout.clone());
            let (asked, _) =
                mcp_timed(&client, &mut stats, "mcp: placeOrder (the summary)", &base, &token, conversation, m).await;
            if let Some(asked) = asked {
                let mut yes = checkout;
                yes["confirmationId"] = asked["structuredContent"]["confirmationId"].clone();
                let m = tool("placeOrder", yes);
                mcp_timed(&client, &mut stats, "mcp: placeOrder (the yes)", &base, &token, conversation, m).await;
            }
        }
        if let Some(priced) = priced {
            let mut body = order.clone();
            body["validatedOrderToken"] = priced["validatedOrderToken"].clone();
            body["amounts"] = json!({"total": priced["amounts"]["total"]});
            body["payment"] = json!({"savedCard": {"paymentId": card}});
            let place = url("/v1/marketplace/orders/place");
            let key = Some(uuid::Uuid::new_v4().to_string());
            timed(
                &client,
                &mut stats,
                "rest: place",
                post.clone(),
                place,
                &token,
                Some(body.to_string()),
                key,
                StatusCode::CREATED,
            )
            .await;
        }
        // Back to an empty cart for the next journey.
        if let Some(line) =
            cart.as_ref().and_then(|c| c["structuredContent"]["cart"]["lineItems"][0]["lineItemId"].as_str())
        {
            let m = tool("removeFromCart", json!({"lineItemId": line}));
            mcp_timed(&client, &mut stats, "mcp: removeFromCart", &base, &token, conversation, m).await;
        }
    }
    stats
}

/// Runs the agents over every connection for `seconds`: a row per tool and per REST call.
async fn run_agents(client: &Client, options: &Options) {
    let started = Instant::now();
    let until = started + Duration::from_secs(options.seconds);
    let tasks: Vec<_> = (0..options.connections)
        .map(|_| tokio::spawn(agent_journeys(client.clone(), options.url.clone(), until)))
        .collect();
    let merged = merged(tasks).await;
    let elapsed = started.elapsed().as_secs_f64();
    let journeys = merged.get("mcp: removeFromCart").map_or(0, |o| o.latencies_us.len());
    for (endpoint, mut outcome) in merged {
        print_row(endpoint, &mut outcome.latencies_us, &outcome.failures, elapsed);
    }
    println!("| mcp: whole journeys | {journeys} | {:.1} | | | | |", journeys as f64 / elapsed);
}
