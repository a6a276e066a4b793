use crate::helpers::*;
use marketfront::domain::error_code::ErrorCode;
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = TestApp::spawn_with(|config| config.public_url = "https://api.example.test".into()).await;
    let body =
        problem_of(app.request(Method::GET, "/v1/nowhere", None, None).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_eq!(body["instance"], "/v1/nowhere");
    assert_eq!(body["type"], "https://api.example.test/errors/NOT_FOUND", "the page on MARKETFRONT_PUBLIC_URL");
    assert_eq!(body["errorCategory"], "not_found");
}

#[tokio::test]
async fn every_problem_type_resolves_to_its_code_page_in_html_and_markdown() {
    let app = TestApp::spawn().await;
    let problem =
        problem_of(app.request(Method::GET, "/v1/nowhere", None, None).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let page_path = problem["type"].as_str().unwrap().strip_prefix(&app.state.config.public_url).unwrap().to_string();
    assert_eq!(page_path, "/errors/NOT_FOUND");

    for code in ErrorCode::ALL {
        let path = format!("/errors/{code}");
        let page = app.request(Method::GET, &path, None, None).await;
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
        let html = page.text().await.unwrap();
        assert!(html.contains(&format!("<h1><code>{code}</code></h1>")), "{path}");
        assert!(html.contains(&format!("<td>{}</td>", code.http_status())), "{path} gives the status");
        assert!(html.contains("When it is answered") && html.contains("What to do"), "{path}");
        assert!(html.contains(&format!("&quot;errorCode&quot;: &quot;{code}&quot;")), "{path} shows an example");

        let asked = app.client.get(format!("{}{path}", app.address)).header("accept", "text/markdown");
        let markdown = asked.send().await.unwrap();
        assert_eq!(markdown.headers()["content-type"], "text/markdown; charset=utf-8");
        let text = markdown.text().await.unwrap();
        let front_matter = format!("---\nerrorCode: {code}\nstatus: {}\n", code.http_status());
        assert!(text.starts_with(&front_matter), "{path}: {text}");
        assert!(text.contains(&format!("retryable: {}\n", code.retryable())), "{path}");
        assert!(text.contains(code.action()), "{path} says what to do");
    }

    let index = app.request(Method::GET, "/errors", None, None).await.text().await.unwrap();
    for code in ErrorCode::ALL {
        assert!(index.contains(&format!("/errors/{code}\"")), "the index links {code}");
    }
    let unknown = app.request(Method::GET, "/errors/NO_SUCH_CODE", None, None).await;
    let problem = problem_of(unknown, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert!(problem["detail"].as_str().unwrap().contains("GET /errors lists every code"), "{problem}");
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem_with_allow() {
    let app = TestApp::spawn().await;
    let response = app.request(Method::DELETE, "/v1/marketplace/stores", None, None).await;
    assert_eq!(response.headers()["allow"], "GET,HEAD");
    problem_of(response, StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED").await;
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_a_413_problem() {
    let app = TestApp::spawn().await;
    let key = app.commerce_key().await;
    let huge = json!({"name": "x".repeat(1024 * 1024 + 1)});
    let response = app.put(&format!("/v1/commerce/stores/{}", Uuid::now_v7()), &key, &huge).await;
    problem_of(response, StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE").await;
    assert_eq!(app.count("SELECT count(*) FROM stores").await, 0);
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let app = TestApp::spawn().await;
    let key = app.commerce_key().await;
    let url = format!("{}/v1/commerce/stores/{}", app.address, Uuid::now_v7());
    for body in ["{\"name\": ", "not json", "{\"name\": \"x\",}"] {
        let response = app
            .client
            .put(&url)
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let problem = problem_of(response, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
        assert!(problem["detail"].as_str().unwrap().contains("not valid JSON"), "{problem}");
    }
}

#[tokio::test]
async fn a_body_without_json_content_type_is_a_400_problem() {
    let app = TestApp::spawn().await;
    let key = app.commerce_key().await;
    let url = format!("{}/v1/commerce/stores/{}", app.address, Uuid::now_v7());
    let response = app.client.put(&url).bearer_auth(&key).body(store_body("Plain").to_string()).send().await.unwrap();
    problem_of(response, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
}

#[tokio::test]
async fn wrong_types_and_missing_fields_name_their_json_path() {
    let app = TestApp::spawn().await;
    let key = app.commerce_key().await;
    let path = format!("/v1/commerce/stores/{}", Uuid::now_v7());

    let mut wrong_type = store_body("Typed");
    wrong_type["address"]["latitude"] = json!("north");
    let problem = problem_of(app.put(&path, &key, &wrong_type).await, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    assert_eq!(paths(&problem), ["$.address.latitude"]);

    let mut missing = store_body("Missing");
    missing["address"].as_object_mut().unwrap().remove("city");
    let problem = problem_of(app.put(&path, &key, &missing).await, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    assert_eq!(paths(&problem), ["$.address.city"]);

    let mut nested = catalog_body(Uuid::now_v7());
    nested["items"]["large"]["basePrice"] = json!([1]);
    let id = app.store_with_menu(&key, &store_body("Menu")).await;
    let response = app.put(&format!("/v1/commerce/stores/{id}/catalog-set"), &key, &nested).await;
    let problem = problem_of(response, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    assert_eq!(paths(&problem), ["$.items.large.basePrice"]);
}

/// Found by the contract run: Postgres stores no NUL in text, so a NUL that got past the edge
/// came back as a 500. And serde reads a JSON array as a struct's fields, in order.
#[tokio::test]
async fn nul_characters_and_non_object_bodies_are_400_problems() {
    let app = TestApp::spawn().await;
    let distribution = app.distribution_key().await;
    let commerce = app.commerce_key().await;
    let response = app.get("/v1/marketplace/stores?query=pizza%00", &distribution).await;
    let problem = problem_of(response, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    assert!(problem["detail"].as_str().unwrap().contains("NUL"), "{problem}");

    let path = format!("/v1/commerce/stores/{}", Uuid::now_v7());
    let mut named = store_body("Pizza");
    named["name"] = json!("Pizza\u{0}Place");
    problem_of(app.put(&path, &commerce, &named).await, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    let problem =
        problem_of(app.put(&path, &commerce, &json!([])).await, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    assert!(problem["detail"].as_str().unwrap().contains("JSON object"), "{problem}");
    assert_eq!(app.count("SELECT count(*) FROM stores").await, 0, "nothing was saved");

    // Nor may a nested object come as an array of its fields.
    let mut as_array = store_body("Pizza");
    as_array["address"] = json!(["1 Main St", "New York", "NY", "10001", "US", 40.75, -73.99]);
    let problem =
        problem_of(app.put(&path, &commerce, &as_array).await, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    assert_eq!(paths(&problem), ["$.address"], "{problem}");
    assert_eq!(app.count("SELECT count(*) FROM stores").await, 0, "nothing was saved");
}

#[tokio::test]
async fn a_non_uuid_id_is_a_404_of_that_resource() {
    let app = TestApp::spawn().await;
    let distribution = app.distribution_key().await;
    let commerce = app.commerce_key().await;
    problem_of(
        app.get("/v1/marketplace/stores/store_123", &distribution).await,
        StatusCode::NOT_FOUND,
        "STORE_NOT_FOUND",
    )
    .await;
    problem_of(
        app.get("/v1/marketplace/catalog-sets/abc", &distribution).await,
        StatusCode::NOT_FOUND,
        "CATALOGSET_NOT_FOUND",
    )
    .await;
    problem_of(app.get("/v1/commerce/stores/42", &commerce).await, StatusCode::NOT_FOUND, "STORE_NOT_FOUND").await;
    let unknown = format!("/v1/marketplace/stores/{}", Uuid::now_v7());
    problem_of(app.get(&unknown, &distribution).await, StatusCode::NOT_FOUND, "STORE_NOT_FOUND").await;
}

#[tokio::test]
async fn bad_query_parameters_are_400_problems_naming_them() {
    let app = TestApp::spawn().await;
    let key = app.distribution_key().await;
    let problem = problem_of(
        app.get("/v1/marketplace/stores?limit=lots", &key).await,
        StatusCode::BAD_REQUEST,
        "INVALID_REQUEST",
    )
    .await;
    assert_eq!(paths(&problem), ["$.limit"]);
    // As in a body, a whole float is the integer it is; a fractional one names its parameter.
    let page = json_of(app.get("/v1/marketplace/stores?limit=2.0&offset=0e0", &key).await, StatusCode::OK).await;
    assert_eq!(page["stores"], serde_json::json!([]), "{page}");
    let fractional = app.get("/v1/marketplace/stores?limit=2.5", &key).await;
    let problem = problem_of(fractional, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    assert_eq!(paths(&problem), ["$.limit"]);
    let range = app.get("/v1/marketplace/stores?latitude=91&longitude=0", &key).await;
    let problem = problem_of(range, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    assert_eq!(paths(&problem), ["$.latitude"], "a range the schema states is a malformed request");

    // Each parameter is as its schema says; only the rule between them, which a schema cannot
    // state, is broken: a semantic refusal.
    let half = app.get("/v1/marketplace/stores?latitude=40.7", &key).await;
    let problem = problem_of(half, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_eq!(paths(&problem), ["$.longitude"]);
    assert_eq!(problem["errors"][0]["code"], "MISSING_COORDINATE");
    let both = app.get("/v1/marketplace/stores?latitude=40.7&limit=0", &key).await;
    problem_of(both, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
}

#[tokio::test]
async fn request_ids_and_trace_context_are_honoured() {
    let app = TestApp::spawn().await;
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let response = app
        .client
        .get(format!("{}/v1/nowhere", app.address))
        .header("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"))
        .header("x-request-id", "partner-req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "partner-req-42");
    let echoed = response.headers()["traceparent"].to_str().unwrap().to_string();
    assert!(echoed.starts_with(&format!("00-{trace}-")) && echoed.ends_with("-01"), "{echoed}");
    let body = problem_of(response, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_eq!(body["traceId"], trace);
    assert_eq!(body["requestId"], "partner-req-42");

    // Without them, fresh ones are made, and successes carry them too.
    let response = app.request(Method::GET, "/healthz", None, None).await;
    assert!(!response.headers()["x-request-id"].is_empty());
    assert!(response.headers()["traceparent"].to_str().unwrap().starts_with("00-"));
    assert_eq!(json_of(response, StatusCode::OK).await["status"], "ok");
}

#[tokio::test]
async fn readiness_checks_the_database() {
    let app = TestApp::spawn().await;
    let body = json_of(app.request(Method::GET, "/readyz", None, None).await, StatusCode::OK).await;
    assert_eq!(body["database"], "ok");
    app.db.close().await;
    let problem = problem_of(
        app.request(Method::GET, "/readyz", None, None).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "SERVICE_UNAVAILABLE",
    )
    .await;
    assert_eq!(problem["retryable"], true);
    assert!(problem["retryAfter"].as_u64().is_some());
}
