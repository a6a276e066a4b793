//! `/metrics`: requests by route pattern, and the business counters place and webhooks keep.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn scrape(app: &TestApp) -> String {
    let response = app.request(Method::GET, "/metrics", None, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    response.text().await.unwrap()
}

/// The value of the first sample whose line starts with `prefix` (label order is the code's).
fn sample(text: &str, prefix: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn requests_and_business_events_are_counted() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let store_path = format!("/v1/marketplace/stores/{}", shop.store);
    let route = r#"route="/v1/marketplace/stores/{store_id}""#;
    let before = scrape(&app).await;
    let counted = |text: &str| sample(text, &format!(r#"http_requests_total{{method="GET",{route},status="200"}}"#));
    json_of(app.get(&store_path, &shop.distribution).await, StatusCode::OK).await;
    json_of(app.get(&store_path, &shop.distribution).await, StatusCode::OK).await;

    let order = pickup(&shop, json!([margherita("l1", 1, "small", 0)]));
    let body = app.validated(&shop.distribution, &order, "tok_visa").await;
    let key = fresh_key();
    json_of(app.place(&shop.distribution, &key, &body).await, StatusCode::CREATED).await;
    json_of(app.place(&shop.distribution, &key, &body).await, StatusCode::CREATED).await;

    let after = scrape(&app).await;
    // Other tests share the process's recorder, so compare growth, not absolute values.
    assert!(counted(&after) - counted(&before) >= 2.0, "{after}");
    assert!(!after.contains(&shop.store.to_string()), "ids never become labels");
    assert!(after.contains("http_request_duration_seconds_bucket"), "latency is a histogram");
    assert!(sample(&after, "orders_placed_total") >= sample(&before, "orders_placed_total") + 1.0);
    assert!(sample(&after, "idempotent_replays_total") >= sample(&before, "idempotent_replays_total") + 1.0);
    assert!(after.contains(r#"payment_authorizations_total{outcome="approved"}"#));
    assert!(after.contains("webhook_deliveries_pending"));
    assert!(after.contains(r#"db_pool_connections{state="open"}"#));
}
