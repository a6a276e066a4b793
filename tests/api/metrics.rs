//! `/metrics`: requests by route pattern, and the business counters place and webhooks keep.

use crate::binary::{Scene, Server};
use crate::helpers::*;
use reqwest::StatusCode;

/// A process of its own, so that its recorder counts this test's requests and nothing else:
/// every figure is exact.
#[tokio::test]
async fn requests_and_business_events_are_counted() {
    let database = TestDatabase::create().await;
    let server = Server::start(&database.url).await;
    let scene = Scene::paying_with(&database, &server, "tok_visa").await;
    let scrape = || async {
        let response = scene.client.get(format!("{}/metrics", server.address)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        response.text().await.unwrap()
    };
    let before = scrape().await;
    let store = scene.body["cart"]["storeId"].as_str().unwrap().to_string();
    for _ in 0..2 {
        let read = scene
            .client
            .get(format!("{}/v1/marketplace/stores/{store}", server.address))
            .bearer_auth(&scene.distribution)
            .send()
            .await
            .unwrap();
        assert_eq!(read.status(), StatusCode::OK);
    }
    for _ in 0..2 {
        assert_eq!(scene.place(&server).await.unwrap().status(), StatusCode::CREATED, "placed, then replayed");
    }

    let after = scrape().await;
    let route = r#"route="/v1/marketplace/stores/{store_id}""#;
    let store_reads = format!(r#"http_requests_total{{method="GET",{route},status="200"}}"#);
    assert_eq!(metric_sample(&before, &store_reads), 0.0, "{before}");
    assert_eq!(metric_sample(&after, &store_reads), 2.0, "{after}");
    let places = r#"http_requests_total{method="POST",route="/v1/marketplace/orders/place",status="201"}"#;
    assert_eq!(metric_sample(&after, places), 2.0, "{after}");
    assert!(!after.contains(&store), "ids never become labels");
    assert!(after.contains("http_request_duration_seconds_bucket"), "latency is a histogram");
    assert_eq!(metric_sample(&after, "orders_placed_total"), 1.0, "the replay placed nothing");
    assert_eq!(metric_sample(&after, "idempotent_replays_total"), 1.0);
    assert_eq!(metric_sample(&after, r#"payment_authorizations_total{outcome="approved"}"#), 1.0);
    assert!(after.contains("webhook_deliveries_pending"));
    assert!(after.contains(r#"db_pool_connections{state="open"}"#));
}
