//! The load of the fault tests (`bench/faults.sh`): partners placing orders against one or more
//! server instances while the script breaks things, each behaving as a partner should. A place
//! that gets no final answer (no connection, a 5xx, IDEMPOTENCY_KEY_IN_USE, 429) is sent again,
//! same key and same body, to the next instance, until it gets one or the grace period ends.
//!
//! It prints one JSON line: every answer counted by status (`conn` for no answer at all), and
//! the orders acknowledged. Each acknowledged order is written to `--acks` as
//! `idempotency-key,order-id`, for the script to check against the database.
//!
//!   faultload --urls http://127.0.0.1:18301,http://127.0.0.1:18302 --seconds 20 --acks acks.csv

use reqwest::Client;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DEMO_KEY: &str = "mfk_demodistrib0_public-demo-key-for-local-use-only";
const BAGELS_STORE: &str = "0195a1b0-0000-7000-8000-000000000002";
const BAGELS_MENU: &str = "0195a1b0-0000-7000-8000-000000000102";

struct Options {
    urls: Vec<String>,
    seconds: u64,
    connections: usize,
    /// How long a request may keep retrying after the load stops sending new orders.
    grace_seconds: u64,
    card: String,
    acks: String,
}

fn options() -> Options {
    let mut options = Options {
        urls: vec!["http://127.0.0.1:8080".into()],
        seconds: 20,
        connections: 16,
        grace_seconds: 60,
        card: "tok_visa".into(),
        acks: "acks.csv".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--urls" => options.urls = value().split(',').map(str::to_string).collect(),
            "--seconds" => options.seconds = value().parse().expect("--seconds is a number"),
            "--connections" => options.connections = value().parse().expect("--connections is a number"),
            "--grace" => options.grace_seconds = value().parse().expect("--grace is a number"),
            "--card" => options.card = value(),
            "--acks" => options.acks = value(),
            _ => {
                eprintln!(
                    "usage: faultload [--urls U1,U2] [--seconds S] [--connections N] [--grace S] [--card TOKEN] [--acks FILE]"
                );
                std::process::exit(2);
            }
        }
    }
    options
}

fn cart() -> Value {
    json!({
        "cart": {"storeId": BAGELS_STORE, "catalogSetId": BAGELS_MENU, "lineItems": [
            {"lineItemId": "1", "itemId": "latte", "quantity": 1,
             "modifierGroups": [{"modifierGroupId": "milk", "selectedModifiers": [{"itemId": "milk-oat", "quantity": 1}]}]},
            {"lineItemId": "2", "itemId": "plain-bagel", "quantity": 2, "modifierGroups": []}
        ]},
        "fulfillmentType": "Pickup",
        "customer": {"firstName": "Fault", "lastName": "Test", "email": "fault@example.com", "phone": "+1-212-555-0100"},
        "amounts": {"tip": 1.00}
    })
}

#[derive(Default)]
struct Tally {
    answers: BTreeMap<String, u64>,
    acknowledged: Vec<(String, String)>,
    /// Orders that got a final refusal (a 4xx other than in-use and rate limits), by error code.
    refused: BTreeMap<String, u64>,
    /// Orders given up on: still no final answer when the grace period ended.
    abandoned: u64,
}

/// What one request came to: a status and its body, or no answer at all.
async fn send(client: &Client, url: &str, path: &str, key: Option<&str>, body: &str) -> (String, Value) {
    let mut request = client
        .post(format!("{url}{path}"))
        .bearer_auth(DEMO_KEY)
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16().to_string();
            let body = response.json().await.unwrap_or(Value::Null);
            (status, body)
        }
        Err(_) => ("conn".to_string(), Value::Null),
    }
}

/// Whether an answer is final for its key: anything but no answer, a 5xx, 409 in-use (plain
/// "409" here) and 429.
fn is_final(status: &str) -> bool {
    !(status == "conn" || status.starts_with('5') || status == "409" || status == "429")
}

async fn partner(worker: usize, options: Arc<Options>, tally: Arc<Mutex<Tally>>) {
    let client = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let stop_new = Instant::now() + Duration::from_secs(options.seconds);
    let give_up = stop_new + Duration::from_secs(options.grace_seconds);
    let mut turn = worker;
    let mut next_url = || {
        turn += 1;
        options.urls[turn % options.urls.len()].clone()
    };
    while Instant::now() < stop_new {
        // Price the cart; a failure here costs nothing, so just try again.
        let (status, answer) =
            send(&client, &next_url(), "/v1/marketplace/orders/validate", None, &cart().to_string()).await;
        *tally.lock().unwrap().answers.entry(format!("validate {status}")).or_default() += 1;
        if status != "200" || answer["isValid"] != true {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        let mut body = cart();
        body["validatedOrderToken"] = answer["validatedOrderToken"].clone();
        body["amounts"]["total"] = answer["amounts"]["total"].clone();
        body["payment"] = json!({"cardOnFile": {"cardToken": options.card, "processorType": "stripe"}});
        let body = body.to_string();
        let key = uuid::Uuid::new_v4().to_string();
        loop {
            let (status, answer) = send(&client, &next_url(), "/v1/marketplace/orders/place", Some(&key), &body).await;
            // A 409 that is not "in use" (ORDER_ALREADY_PLACED) is final.
            let status = if status == "409" && answer["errorCode"] != "IDEMPOTENCY_KEY_IN_USE" {
                "409-final".to_string()
            } else {
                status
            };
            let retry = {
                let mut tally = tally.lock().unwrap();
                *tally.answers.entry(format!("place {status}")).or_default() += 1;
                if status == "201" {
                    let order = answer["gettOrderId"].as_str().unwrap_or_default().to_string();
                    tally.acknowledged.push((key.clone(), order));
                    false
                } else if is_final(&status) {
                    let code = answer["errorCode"].as_str().unwrap_or("?").to_string();
                    *tally.refused.entry(code).or_default() += 1;
                    false
                } else if Instant::now() > give_up {
                    tally.abandoned += 1;
                    false
                } else {
                    true
                }
            };
            if !retry {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

#[tokio::main]
async fn main() {
    let options = Arc::new(options());
    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    let workers: Vec<_> =
        (0..options.connections).map(|worker| tokio::spawn(partner(worker, options.clone(), tally.clone()))).collect();
    for worker in workers {
        worker.await.expect("a partner task panicked");
    }
    let tally = tally.lock().unwrap();
    let mut acks = std::fs::File::create(&options.acks).expect("create the acks file");
    for (key, order) in &tally.acknowledged {
        writeln!(acks, "{key},{order}").unwrap();
    }
    let summary = json!({
        "seconds": started.elapsed().as_secs_f64(),
        "answers": tally.answers,
        "acknowledged": tally.acknowledged.len(),
        "refused": tally.refused,
        "abandoned": tally.abandoned,
    });
    println!("{summary}");
}
