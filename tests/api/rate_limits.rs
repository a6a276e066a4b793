//! Budgets per organisation: reads and writes apart, headers on every authenticated answer,
//! 429 RATE_LIMITED with Retry-After once spent.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

fn header(response: &reqwest::Response, name: &str) -> u64 {
    response.headers()[name].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn each_organisation_has_a_read_and_a_write_budget() {
    let app = TestApp::spawn_with(|config| {
        config.rate_limit_reads_per_minute = 3;
        config.rate_limit_writes_per_minute = 2;
    })
    .await;
    let key = app.distribution_key().await;
    for remaining in [2, 1, 0] {
        let response = app.get("/v1/marketplace/stores", &key).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, "x-ratelimit-limit"), 3);
        assert_eq!(header(&response, "x-ratelimit-remaining"), remaining);
        assert_eq!(header(&response, "x-ratelimit-reset"), (3 - remaining) * 20, "20 s a request to refill");
    }
    let refused = app.get("/v1/marketplace/stores", &key).await;
    let retry_after = header(&refused, "retry-after");
    assert_eq!(header(&refused, "x-ratelimit-remaining"), 0);
    let problem = problem_of(refused, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;
    assert_eq!(problem["retryable"], true);
    assert_eq!(problem["retryAfter"], retry_after);
    // The budgets run on the service clock, which the test holds still: the figures are exact.
    assert_eq!(retry_after, 20, "one request's share of the minute");
    app.clock.advance(chrono::Duration::seconds(20));
    let refilled = app.get("/v1/marketplace/stores", &key).await;
    assert_eq!(refilled.status(), StatusCode::OK, "one request back after 20 s");
    assert_eq!(header(&refilled, "x-ratelimit-remaining"), 0);

    // Writes are counted apart from reads.
    let session = json!({"partnerUserId": "u"});
    json_of(app.post("/v1/marketplace/session/create", &key, &session).await, StatusCode::CREATED).await;
    json_of(app.post("/v1/marketplace/session/create", &key, &session).await, StatusCode::CREATED).await;
    problem_of(
        app.post("/v1/marketplace/session/create", &key, &session).await,
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
    )
    .await;

    // Another organisation is not affected; unauthenticated routes carry no budget.
    let other = app.key("Another App", marketfront::auth::OrgKind::Distribution).await;
    let response = app.get("/v1/marketplace/stores", &other).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "x-ratelimit-remaining"), 2);
    let health = app.request(Method::GET, "/healthz", None, None).await;
    assert!(health.headers().get("x-ratelimit-remaining").is_none());
}
