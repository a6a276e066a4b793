//! The OpenAPI document and the server must describe the same API.

use crate::helpers::*;
use marketfront::domain::error_code::ErrorCode;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::BTreeSet;

fn spec() -> Value {
    serde_json::from_str(marketfront::http::OPENAPI).expect("openapi.json is JSON")
}

/// `/v1/x/{store_id}` and `/v1/x/{storeId}` are the same route.
fn shape(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for ch in path.chars() {
        match ch {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(ch),
        }
    }
    out
}

fn sources(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { files.extend(sources(&path)) } else { files.push(path) }
    }
    files
}

/// Every path the router declares, read from the source of the HTTP layer (at any depth).
fn router_paths() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for file in sources(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src/http"))) {
        let source = std::fs::read_to_string(file).unwrap();
        for chunk in source.split(".route(").skip(1) {
            let path = chunk.trim_start().trim_start_matches('"').split('"').next().unwrap();
            found.insert(shape(path));
        }
    }
    found
}

#[test]
fn every_route_is_in_the_spec_and_every_spec_path_is_routed() {
    let spec = spec();
    let documented: BTreeSet<String> = spec["paths"].as_object().unwrap().keys().map(|p| shape(p)).collect();
    assert_eq!(router_paths(), documented);
}

#[tokio::test]
async fn every_documented_operation_answers_on_the_real_server() {
    let app = TestApp::spawn().await;
    let spec = spec();
    for (path, item) in spec["paths"].as_object().unwrap() {
        // Any id will do: each path parameter becomes the nil UUID.
        let concrete = shape(path).replace("{}", &uuid::Uuid::nil().to_string());
        for method in item.as_object().unwrap().keys().filter(|m| *m != "parameters") {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = app.request(method.clone(), &concrete, None, None).await;
            let status = response.status();
            let body = response.text().await.unwrap();
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}: {body}");
            assert!(!body.contains("No resource at"), "{method} {path} is not routed: {body}");
        }
    }
}

#[test]
fn the_spec_carries_the_error_registry_of_the_code() {
    let spec = spec();
    type Entry = (String, u64, String, bool, String, String);
    let documented: Vec<Entry> = spec["x-error-registry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let text = |member: &str| e[member].as_str().unwrap().to_string();
            (
                text("errorCode"),
                e["status"].as_u64().unwrap(),
                text("errorCategory"),
                e["retryable"].as_bool().unwrap(),
                text("when"),
                text("action"),
            )
        })
        .collect();
    let code: Vec<Entry> = ErrorCode::ALL
        .iter()
        .map(|c| {
            let category = serde_json::to_value(c.category()).unwrap().as_str().unwrap().to_string();
            let (when, action) = (c.when().to_string(), c.action().to_string());
            (c.as_str().to_string(), u64::from(c.http_status()), category, c.retryable(), when, action)
        })
        .collect();
    assert_eq!(documented, code);
    let enumerated: Vec<&str> = spec["components"]["schemas"]["KnownErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(enumerated, ErrorCode::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>());
}

#[tokio::test]
async fn the_spec_is_served() {
    let app = TestApp::spawn().await;
    let served = json_of(app.request(Method::GET, "/openapi.json", None, None).await, StatusCode::OK).await;
    assert_eq!(served, spec());
    assert_eq!(served["openapi"], "3.1.0");
}

#[tokio::test]
async fn the_reference_shows_every_operation_in_the_journey_order_with_fields_samples_and_search() {
    let app = TestApp::spawn().await;
    let response = app.request(Method::GET, "/docs", None, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = response.text().await.unwrap();
    assert!(!page.contains("src=\"http") && !page.contains("href=\"http"), "nothing loaded from elsewhere");
    assert!(!page.contains("<script src"), "the search script is inline");
    let spec = spec();
    let section = |id: &str| {
        let start = page.find(&format!("<section class=\"op\" id=\"{id}\">")).unwrap_or_else(|| panic!("no {id}"));
        let end = page[start + 1..].find("<section").map_or(page.len(), |end| start + 1 + end);
        page[start..end].to_string()
    };
    for item in spec["paths"].as_object().unwrap().values() {
        for (method, operation) in item.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            let id = operation["operationId"].as_str().unwrap();
            let own = section(id);
            assert!(page.contains(&format!("<a href=\"#{id}\">")), "the navigation lacks {id}");
            for sample in ["<summary>curl</summary>", "<summary>Python</summary>", "<summary>TypeScript</summary>"] {
                assert!(own.contains(sample), "{id} lacks its {sample} sample");
            }
        }
    }
    assert!(!page.contains("<h2>More</h2>"), "every operation has its place in the journey");

    // discover -> menu -> validate -> place -> track; then commerce, webhooks, sessions.
    let at = |id: &str| page.find(&format!("<section class=\"op\" id=\"{id}\">")).unwrap();
    let journey =
        ["discoverStores", "getCatalogSet", "validateOrder", "placeOrder", "getOrder", "upsertStore", "pushCatalogSet"];
    let journey =
        journey.iter().chain(&["updateStoreStatus", "updateOrderStatus", "createWebhookEndpoint", "createSession"]);
    let positions: Vec<usize> = journey.clone().map(|id| at(id)).collect();
    assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{:?}", journey.collect::<Vec<_>>());

    let place = section("placeOrder");
    for field in ["validatedOrderToken", "payment.cardOnFile.cardToken", "amounts.total"] {
        assert!(place.contains(&format!("<code>{field}</code>")), "place's body lists {field}");
    }
    assert!(place.contains("Idempotency-Key") && place.contains("pattern"), "its header with its constraint");
    assert!(place.contains("Example request body") && place.contains("Example answer"));
    assert!(place.contains("crypto.randomUUID()"), "the TypeScript sample sends a fresh key");
    let validate = section("validateOrder");
    assert!(validate.contains("milk-oat"), "validate's example is the demo cart the document gives");

    for event in ["order_create", "order_update", "order_new", "order_cancelled"] {
        assert!(page.contains(&format!("id=\"event-{event}\"")), "the page lacks the {event} event");
    }
    let signing = section("webhook-signatures");
    assert!(signing.contains("webhook-signature") && signing.contains("hmac.compare_digest"), "signing is explained");
    assert!(page.contains("id=\"search\"") && page.contains("URLSearchParams"), "a search box, filled by ?q=");
    for code in ErrorCode::ALL {
        assert!(page.contains(&format!("<code>{}</code></a>", code.as_str())), "the page lacks {code}");
    }
}

/// The operation of `spec` that `method` on the concrete `path` is, and its response for `status`
/// (a `$ref` resolved), or why there is none.
fn documented_response(spec: &Value, method: &Method, path: &str, status: StatusCode) -> Result<Value, String> {
    let segments: Vec<&str> = path.split('?').next().unwrap().split('/').collect();
    let (_, item) = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(template, _)| {
            let wanted: Vec<&str> = template.split('/').collect();
            wanted.len() == segments.len()
                && wanted.iter().zip(&segments).all(|(want, got)| want.starts_with('{') || want == got)
        })
        .ok_or_else(|| format!("{path} is not documented"))?;
    let operation = &item[method.as_str().to_lowercase()];
    let response = operation["responses"]
        .get(status.as_str())
        .or_else(|| operation["responses"].get("default"))
        .ok_or_else(|| format!("{method} {path}: {status} is not documented"))?;
    Ok(match response["$ref"].as_str() {
        Some(reference) => spec.pointer(reference.trim_start_matches('#')).unwrap().clone(),
        None => response.clone(),
    })
}

/// Headers every HTTP/1.1 answer may carry that OpenAPI leaves out (RFC 9110 framing and
/// metadata, and Content-Type, which the media type declares).
const PROTOCOL_HEADERS: &[&str] =
    &["content-type", "content-length", "date", "transfer-encoding", "connection", "vary"];

/// Every header the server sent with `response` is declared on the documented response.
fn assert_headers_declared(spec: &Value, method: &Method, path: &str, response: &reqwest::Response) {
    let documented = documented_response(spec, method, path, response.status()).unwrap();
    let declared: BTreeSet<String> =
        documented["headers"].as_object().map(|h| h.keys().map(|k| k.to_lowercase()).collect()).unwrap_or_default();
    for name in response.headers().keys() {
        let name = name.as_str();
        assert!(
            PROTOCOL_HEADERS.contains(&name) || declared.contains(name),
            "{method} {path} answered {} with `{name}`, which its documented response does not declare",
            response.status()
        );
    }
}

#[tokio::test]
async fn every_header_sent_is_declared_on_its_response() {
    let app = TestApp::spawn().await;
    let spec = spec();
    let shop = pizzeria(&app).await;
    let order = pickup(&shop, serde_json::json!([margherita("l1", 1, "small", 0)]));
    let place = app.validated(&shop.distribution, &order, "tok_visa").await;
    let store = format!("/v1/marketplace/stores/{}", shop.store);
    let idempotency_key = fresh_key();

    let mut seen = Vec::new();
    let mut check = |method: Method, path: String, response: reqwest::Response| {
        assert_headers_declared(&spec, &method, &path, &response);
        seen.push(response.status().as_u16());
        response
    };
    check(Method::GET, "/healthz".into(), app.request(Method::GET, "/healthz", None, None).await);
    check(Method::GET, store.clone(), app.get(&store, &shop.distribution).await);
    check(Method::GET, store.clone(), app.request(Method::GET, &store, None, None).await);
    check(Method::GET, store.clone(), app.get(&store, &shop.commerce).await);
    let missing = format!("/v1/marketplace/orders/{}", uuid::Uuid::nil());
    check(Method::GET, missing.clone(), app.get(&missing, &shop.distribution).await);
    let placed = check(Method::POST, PLACE.into(), app.place(&shop.distribution, &idempotency_key, &place).await);
    let order_path = placed.headers()["location"].to_str().unwrap().to_string();
    check(Method::POST, PLACE.into(), app.place(&shop.distribution, &idempotency_key, &place).await);
    check(Method::GET, order_path.clone(), app.get(&order_path, &shop.distribution).await);
    let empty = serde_json::json!({});
    check(Method::POST, PLACE.into(), app.place(&shop.distribution, &fresh_key(), &empty).await);
    assert_eq!(seen, [200, 200, 401, 403, 404, 201, 201, 200, 400], "the answers this test means to cover");
}
