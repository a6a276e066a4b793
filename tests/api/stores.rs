use crate::helpers::*;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn a_store_is_created_then_replaced() {
    let app = TestApp::spawn().await;
    let key = app.commerce_key().await;
    let id = Uuid::now_v7();
    let path = format!("/v1/commerce/stores/{id}");

    let response = app.put(&path, &key, &store_body("Pizza Place")).await;
    assert_eq!(response.headers()["location"], path.as_str());
    let created = json_of(response, StatusCode::CREATED).await;
    assert_eq!(created["storeId"], id.to_string());
    assert_eq!(created["version"], 1);
    assert_eq!(created["minimumOrderAmount"].to_string(), "10.00", "money is a number at the currency's scale");
    assert_eq!(created["deliveryFee"].to_string(), "2.50");
    assert_eq!(created["taxRate"].to_string(), "0.08875");
    assert_eq!(created["catalogSetId"], json!(null));

    let mut changed = store_body("Pizza Palace");
    changed["deliveryFee"] = json!(3.25);
    let updated = json_of(app.put(&path, &key, &changed).await, StatusCode::OK).await;
    assert_eq!(updated["name"], "Pizza Palace");
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["createdAt"], created["createdAt"]);

    let read = json_of(app.get(&path, &key).await, StatusCode::OK).await;
    assert_eq!(read["deliveryFee"].to_string(), "3.25");
}

#[tokio::test]
async fn a_bad_store_is_refused_with_every_problem_and_nothing_saved() {
    let app = TestApp::spawn().await;
    let key = app.commerce_key().await;
    let mut bad = store_body("");
    bad["timezone"] = json!("Atlantis/Capital");
    bad["address"]["longitude"] = json!(200);
    bad["taxRate"] = json!(-0.1);
    bad["availability"] = json!([{"dayOfWeek": "Someday", "start": "09:00:00", "end": "17:00:00"}]);
    let response = app.put(&format!("/v1/commerce/stores/{}", Uuid::now_v7()), &key, &bad).await;
    let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_eq!(paths(&problem), ["$.name", "$.timezone", "$.address", "$.taxRate", "$.availability[0].dayOfWeek"]);
    assert_eq!(app.count("SELECT count(*) FROM stores").await, 0);
}

#[tokio::test]
async fn stores_are_listed_with_pagination() {
    let app = TestApp::spawn().await;
    let key = app.commerce_key().await;
    for i in 0..3 {
        app.put(&format!("/v1/commerce/stores/{}", Uuid::now_v7()), &key, &store_body(&format!("Store {i}"))).await;
    }
    let first = json_of(app.get("/v1/commerce/stores?limit=2", &key).await, StatusCode::OK).await;
    assert_eq!(first["totalCount"], 3);
    assert_eq!(first["hasMore"], true);
    assert_eq!(first["stores"].as_array().unwrap().len(), 2);
    let rest = json_of(app.get("/v1/commerce/stores?limit=2&offset=2", &key).await, StatusCode::OK).await;
    assert_eq!(rest["hasMore"], false);
    assert_eq!(rest["stores"].as_array().unwrap().len(), 1);
    let problem =
        problem_of(app.get("/v1/commerce/stores?limit=101", &key).await, StatusCode::BAD_REQUEST, "INVALID_REQUEST")
            .await;
    assert_eq!(paths(&problem), ["$.limit"]);
}

#[tokio::test]
async fn a_paused_store_resumes_by_itself_at_resume_at() {
    let app = TestApp::spawn().await;
    let commerce = app.commerce_key().await;
    let distribution = app.distribution_key().await;
    let id = app.store_with_menu(&commerce, &store_body("Busy Kitchen")).await;
    let status_path = format!("/v1/commerce/stores/{id}/status");
    let resume_at = app.clock_now() + Duration::minutes(30);

    let paused = json_of(
        app.post(
            &status_path,
            &commerce,
            &json!({"status": "paused", "reason": "Too many orders", "resumeAt": resume_at}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(paused["status"], "paused");
    assert_eq!(paused["pauseReason"], "Too many orders");
    assert_eq!(paused["isOpen"], false);
    assert_eq!(paused["nextOpenAt"], json!(resume_at), "the store's hours cover resumeAt");

    let seen = json_of(app.get(&format!("/v1/marketplace/stores/{id}"), &distribution).await, StatusCode::OK).await;
    assert_eq!(seen["status"], "paused");

    app.clock.advance(Duration::minutes(30));
    let resumed = json_of(app.get(&format!("/v1/marketplace/stores/{id}"), &distribution).await, StatusCode::OK).await;
    assert_eq!(resumed["status"], "online");
    assert_eq!(resumed["isOpen"], true);
    assert_eq!(resumed["pauseReason"], json!(null));

    // The background resumer writes the end of the pause to the row itself.
    app.eventually("the resumer to record the resume", || async {
        let status = crate::white_box::stored_store_status(&app, id).await?;
        (status == "online").then_some(())
    })
    .await;
    let status = json_of(app.get(&status_path, &commerce).await, StatusCode::OK).await;
    assert_eq!(status["status"], "online");
    assert_eq!(status["version"], 3, "created, paused, resumed");
}

#[tokio::test]
async fn a_pause_without_resume_at_lasts_until_the_partner_ends_it() {
    let app = TestApp::spawn().await;
    let key = app.commerce_key().await;
    let id = app.store_with_menu(&key, &store_body("Renovating")).await;
    let path = format!("/v1/commerce/stores/{id}/status");
    let paused =
        json_of(app.post(&path, &key, &json!({"status": "paused", "reason": "Renovation"})).await, StatusCode::OK)
            .await;
    assert_eq!(paused["nextOpenAt"], json!(null));
    app.clock.advance(Duration::days(30));
    assert_eq!(json_of(app.get(&path, &key).await, StatusCode::OK).await["status"], "paused");
    let online = json_of(app.post(&path, &key, &json!({"status": "online"})).await, StatusCode::OK).await;
    assert_eq!(online["status"], "online");
}

#[tokio::test]
async fn a_bad_status_update_lists_its_problems() {
    let app = TestApp::spawn().await;
    let key = app.commerce_key().await;
    let id = app.store_with_menu(&key, &store_body("Strict")).await;
    let path = format!("/v1/commerce/stores/{id}/status");
    let past = app.clock_now() - Duration::minutes(1);
    let problem = problem_of(
        app.post(&path, &key, &json!({"status": "paused", "resumeAt": past})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(paths(&problem), ["$.reason", "$.resumeAt"]);
    let problem = problem_of(
        app.post(&path, &key, &json!({"status": "closed-forever"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(paths(&problem), ["$.status"]);
    assert_eq!(json_of(app.get(&path, &key).await, StatusCode::OK).await["status"], "online");
}
