//! Busy mode: a slammed kitchen keeps taking orders, each ready later by its extra minutes;
//! partners see it on the store and in discovery; a busy spell with resumeAt ends by itself.

use crate::helpers::*;
use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn at(value: &Value) -> DateTime<Utc> {
    serde_json::from_value(value.clone()).unwrap_or_else(|_| panic!("not a time: {value}"))
}

#[tokio::test]
async fn a_busy_store_takes_orders_that_are_ready_later_until_its_spell_ends() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let now = app.clock_now();
    let status = format!("/v1/commerce/stores/{}/status", shop.store);
    let busy = json!({"status": "busy", "extraPreparationMinutes": 25, "resumeAt": now + Duration::hours(1)});
    let answer = json_of(app.post(&status, &shop.commerce, &busy).await, StatusCode::OK).await;
    assert_eq!((answer["status"].clone(), answer["extraPreparationMinutes"].clone()), (json!("busy"), json!(25)));
    assert_eq!(answer["isOpen"], true, "busy is still open");

    // Validate and place: 20 minutes of preparation, plus the kitchen's 25.
    let order = pickup(&shop, json!([margherita("l1", 1, "large", 0)]));
    let body = app.validated(&shop.distribution, &order, "tok_visa").await;
    let validated =
        json_of(app.post("/v1/marketplace/orders/validate", &shop.distribution, &order).await, StatusCode::OK).await;
    assert_eq!(at(&validated["estimatedReadyAt"]), now + Duration::minutes(45));
    let placed = json_of(app.place(&shop.distribution, &fresh_key(), &body).await, StatusCode::CREATED).await;
    assert_eq!(at(&placed["estimatedReadyAt"]), now + Duration::minutes(45));

    // Partners see it on the store and in discovery.
    let store =
        json_of(app.get(&format!("/v1/marketplace/stores/{}", shop.store), &shop.distribution).await, StatusCode::OK)
            .await;
    assert_eq!((store["status"].clone(), store["extraPreparationMinutes"].clone()), (json!("busy"), json!(25)));
    let found = json_of(
        app.get("/v1/marketplace/stores?latitude=40.75&longitude=-73.99&openNow=true", &shop.distribution).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(found["stores"][0]["status"], "busy", "{found}");

    // At resumeAt the spell is over by itself.
    app.clock.advance(Duration::minutes(61));
    let later = app.clock_now();
    let validated =
        json_of(app.post("/v1/marketplace/orders/validate", &shop.distribution, &order).await, StatusCode::OK).await;
    assert_eq!(at(&validated["estimatedReadyAt"]), later + Duration::minutes(20));
    let store =
        json_of(app.get(&format!("/v1/marketplace/stores/{}", shop.store), &shop.distribution).await, StatusCode::OK)
            .await;
    assert_eq!(store["status"], "online");
    assert!(store.get("extraPreparationMinutes").is_none(), "{store}");
}

#[tokio::test]
async fn busy_needs_its_minutes_and_only_busy_has_them() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let status = format!("/v1/commerce/stores/{}/status", shop.store);
    for wrong in [
        json!({"status": "busy"}),
        json!({"status": "busy", "extraPreparationMinutes": 0}),
        json!({"status": "busy", "extraPreparationMinutes": 241}),
        json!({"status": "online", "extraPreparationMinutes": 10}),
        json!({"status": "paused", "reason": "Oven", "extraPreparationMinutes": 10}),
    ] {
        let problem = problem_of(
            app.post(&status, &shop.commerce, &wrong).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(paths(&problem), ["$.extraPreparationMinutes"], "{wrong}");
    }
    // From busy to paused and back online: each state carries only its own fields.
    let busy = json!({"status": "busy", "extraPreparationMinutes": 15});
    json_of(app.post(&status, &shop.commerce, &busy).await, StatusCode::OK).await;
    let paused = json_of(
        app.post(&status, &shop.commerce, &json!({"status": "paused", "reason": "Oven"})).await,
        StatusCode::OK,
    )
    .await;
    assert!(paused.get("extraPreparationMinutes").is_none(), "{paused}");
    let online = json_of(app.post(&status, &shop.commerce, &json!({"status": "online"})).await, StatusCode::OK).await;
    assert_eq!(online["status"], "online");
}
