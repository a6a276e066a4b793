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
    let documented: Vec<(String, u64, String, bool)> = spec["x-error-registry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["errorCode"].as_str().unwrap().to_string(),
                e["status"].as_u64().unwrap(),
                e["errorCategory"].as_str().unwrap().to_string(),
                e["retryable"].as_bool().unwrap(),
            )
        })
        .collect();
    let code: Vec<(String, u64, String, bool)> = ErrorCode::ALL
        .iter()
        .map(|c| {
            let category = serde_json::to_value(c.category()).unwrap().as_str().unwrap().to_string();
            (c.as_str().to_string(), u64::from(c.http_status()), category, c.retryable())
        })
        .collect();
    assert_eq!(documented, code);
    let enumerated: Vec<&str> = spec["components"]["schemas"]["Problem"]["properties"]["errorCode"]["enum"]
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
async fn a_readable_reference_is_served_with_every_operation_and_error_code() {
    let app = TestApp::spawn().await;
    let response = app.request(Method::GET, "/docs", None, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = response.text().await.unwrap();
    assert!(!page.contains("<script") && !page.contains("src=\"http"), "nothing loaded from elsewhere");
    let spec = spec();
    for item in spec["paths"].as_object().unwrap().values() {
        for (method, operation) in item.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            let id = operation["operationId"].as_str().unwrap();
            assert!(page.contains(&format!("id=\"{id}\"")), "the page lacks {id}");
        }
    }
    for code in ErrorCode::ALL {
        assert!(page.contains(&format!("<code>{}</code>", code.as_str())), "the page lacks {code}");
    }
}
