//! After placement: the restaurant's status updates, the history and versions, the money
//! following the outcome, and the acknowledgement timeout.

use crate::helpers::*;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

/// A placed order at a fresh pizzeria; delivery when `delivery` is true.
async fn placed(app: &TestApp, delivery: bool) -> (Shop, Value) {
    let shop = pizzeria(app).await;
    let mut order = pickup(&shop, json!([margherita("l1", 1, "large", 0)]));
    if delivery {
        order["fulfillmentType"] = json!("DeliveryByMerchant");
        order["delivery"] = json!({"address": "10 W 34th St", "latitude": 40.7484, "longitude": -73.9857});
    }
    let body = app.validated(&shop.distribution, &order, "tok_visa").await;
    let placed = json_of(app.place(&shop.distribution, &fresh_key(), &body).await, StatusCode::CREATED).await;
    (shop, placed)
}

fn status_path(order: &Value) -> String {
    format!("/v1/commerce/orders/{}/status", order["gettOrderId"].as_str().unwrap())
}

fn order_path(order: &Value) -> String {
    format!("/v1/marketplace/orders/{}", order["gettOrderId"].as_str().unwrap())
}

async fn update(app: &TestApp, shop: &Shop, order: &Value, body: Value) -> reqwest::Response {
    app.post(&status_path(order), &shop.commerce, &body).await
}

/// The order as the partner reads it, once its payment has reached `payment_state`.
async fn with_payment(app: &TestApp, shop: &Shop, order: &Value, payment_state: &str) -> Value {
    app.eventually(&format!("payment {payment_state}"), || async {
        let read = json_of(app.get(&order_path(order), &shop.distribution).await, StatusCode::OK).await;
        (read["payment"]["state"] == payment_state).then_some(read)
    })
    .await
}

async fn events(app: &TestApp, order: &Value, event_type: &str) -> Vec<Value> {
    let id: Uuid = order["gettOrderId"].as_str().unwrap().parse().unwrap();
    crate::white_box::outbox_events(app, id, event_type).await
}

#[tokio::test]
async fn the_restaurant_moves_an_order_forward_and_completion_captures_the_money() {
    let app = TestApp::spawn().await;
    let (shop, order) = placed(&app, true).await;

    let confirmed = json_of(
        update(&app, &shop, &order, json!({"status": "confirmed", "estimatedReadyAt": "2026-11-23T17:40:00Z"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!((confirmed["status"].as_str(), confirmed["version"].as_i64()), (Some("confirmed"), Some(2)));
    assert_eq!(confirmed["estimatedReadyAt"], "2026-11-23T17:40:00Z");
    let read = json_of(app.get(&order_path(&order), &shop.distribution).await, StatusCode::OK).await;
    assert_eq!(read, confirmed, "the answer is the order as stored");

    // Repeated: a no-op. Backward: refused, naming where the order is. Skipping ahead: fine.
    let again = json_of(update(&app, &shop, &order, json!({"status": "confirmed"})).await, StatusCode::OK).await;
    assert_eq!(again["version"], 2);
    json_of(update(&app, &shop, &order, json!({"status": "ready"})).await, StatusCode::OK).await;
    let back = problem_of(
        update(&app, &shop, &order, json!({"status": "preparing"})).await,
        StatusCode::CONFLICT,
        "INVALID_STATUS_TRANSITION",
    )
    .await;
    assert_eq!((back["currentState"].as_str(), back["currentStatus"].as_str()), (Some("open"), Some("ready")));
    assert!(back["detail"].as_str().unwrap().contains("ready"), "{back}");
    json_of(update(&app, &shop, &order, json!({"status": "inTransit"})).await, StatusCode::OK).await;

    let completed = json_of(update(&app, &shop, &order, json!({"state": "completed"})).await, StatusCode::OK).await;
    assert_eq!(completed["state"], "completed");
    let settled = with_payment(&app, &shop, &order, "captured").await;
    let versions: Vec<(i64, String, String, String)> = settled["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let text = |k: &str| h[k].as_str().unwrap().to_string();
            (h["version"].as_i64().unwrap(), text("state"), text("status"), text("paymentState"))
        })
        .collect();
    let expected = [
        (1, "open", "pending", "authorized"),
        (2, "open", "confirmed", "authorized"),
        (3, "open", "ready", "authorized"),
        (4, "open", "inTransit", "authorized"),
        (5, "completed", "inTransit", "authorized"),
        (6, "completed", "inTransit", "captured"),
    ];
    let expected: Vec<(i64, String, String, String)> =
        expected.iter().map(|(v, a, b, c)| (*v, a.to_string(), b.to_string(), c.to_string())).collect();
    assert_eq!(versions, expected);
    assert_eq!(settled["version"], 6);
    let restaurant: String = crate::white_box::organization_of_kind(&app, "commerce").await;
    assert_eq!(settled["history"][0]["changedBy"], "marketfront", "placed by the server");
    assert_eq!(settled["history"][1]["changedBy"], restaurant, "confirmed by the restaurant");
    assert_eq!(settled["history"][5]["changedBy"], "marketfront", "captured by the server");
    assert_eq!(app.count("SELECT count(*) FROM sandbox_processor_ledger WHERE outcome = 'captured'").await, 1);

    // Every change told the partner, with its version.
    let updates = events(&app, &order, "order_update").await;
    let told: Vec<i64> = updates.iter().map(|e| e["version"].as_i64().unwrap()).collect();
    assert_eq!(told, [2, 3, 4, 5, 6]);
    assert_eq!(updates[4]["payment"]["state"], "captured");

    // Closed is closed; saying "completed" again is harmless.
    problem_of(
        update(&app, &shop, &order, json!({"state": "cancelled", "cancelReason": "late"})).await,
        StatusCode::CONFLICT,
        "ORDER_CLOSED",
    )
    .await;
    let repeat = json_of(update(&app, &shop, &order, json!({"state": "completed"})).await, StatusCode::OK).await;
    assert_eq!(repeat["version"], 6);
}

#[tokio::test]
async fn a_cancellation_needs_a_reason_and_voids_the_authorisation() {
    let app = TestApp::spawn().await;
    let (shop, order) = placed(&app, false).await;
    let problem = problem_of(
        update(&app, &shop, &order, json!({"state": "cancelled"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(paths(&problem), ["$.cancelReason"]);
    problem_of(
        update(&app, &shop, &order, json!({"status": "pending"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_FAILED",
    )
    .await;
    problem_of(
        update(&app, &shop, &order, json!({"status": "inTransit"})).await,
        StatusCode::CONFLICT,
        "INVALID_STATUS_TRANSITION",
    )
    .await;
    let problem = problem_of(
        update(&app, &shop, &order, json!({"status": "done"})).await,
        StatusCode::BAD_REQUEST,
        "INVALID_REQUEST",
    )
    .await;
    assert_eq!(paths(&problem), ["$.status"]);

    let cancelled = json_of(
        update(&app, &shop, &order, json!({"state": "cancelled", "cancelReason": "Out of dough"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(cancelled["cancelReason"], "Out of dough");
    let settled = with_payment(&app, &shop, &order, "voided").await;
    assert_eq!(settled["state"], "cancelled");
    let commerce_org: String = crate::white_box::organization_of_kind(&app, "commerce").await;
    assert_eq!(settled["history"][1]["changedBy"], commerce_org, "who cancelled");
    assert_eq!(settled["history"][2]["changedBy"], "marketfront", "who voided");
    assert_eq!(app.count("SELECT count(*) FROM sandbox_processor_ledger WHERE outcome = 'voided'").await, 1);
}

#[tokio::test]
async fn only_the_store_owner_updates_an_order() {
    let app = TestApp::spawn().await;
    let (shop, order) = placed(&app, false).await;
    let rival = app.key("Rival Kitchens", marketfront::auth::OrgKind::Commerce).await;
    let confirm = json!({"status": "confirmed"});
    problem_of(app.post(&status_path(&order), &rival, &confirm).await, StatusCode::NOT_FOUND, "ORDER_NOT_FOUND").await;
    problem_of(app.post(&status_path(&order), &shop.distribution, &confirm).await, StatusCode::FORBIDDEN, "FORBIDDEN")
        .await;
    let unknown = format!("/v1/commerce/orders/{}/status", Uuid::now_v7());
    problem_of(app.post(&unknown, &shop.commerce, &confirm).await, StatusCode::NOT_FOUND, "ORDER_NOT_FOUND").await;
    problem_of(
        app.post("/v1/commerce/orders/ord_1/status", &shop.commerce, &confirm).await,
        StatusCode::NOT_FOUND,
        "ORDER_NOT_FOUND",
    )
    .await;
    let read = json_of(app.get(&order_path(&order), &shop.distribution).await, StatusCode::OK).await;
    assert_eq!((read["status"].as_str(), read["version"].as_i64()), (Some("pending"), Some(1)));
}

#[tokio::test]
async fn twenty_concurrent_updates_leave_a_valid_history() {
    let app = TestApp::spawn().await;
    let (shop, order) = placed(&app, true).await;
    let steps = ["confirmed", "preparing", "ready", "inTransit"];
    let answers = futures_util::future::join_all((0..20).map(|i| {
        let body = json!({"status": steps[(i * 7) % steps.len()]});
        let (app, shop, order) = (&app, &shop, &order);
        async move {
            let response = update(app, shop, order, body).await;
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    }))
    .await;
    assert!(answers.iter().all(|(s, _)| *s == StatusCode::OK || *s == StatusCode::CONFLICT), "{answers:?}");
    let read = json_of(app.get(&order_path(&order), &shop.distribution).await, StatusCode::OK).await;
    let history = read["history"].as_array().unwrap();
    let rank = |status: &str| {
        ["pending", "confirmed", "preparing", "ready", "inTransit"].iter().position(|s| *s == status).unwrap()
    };
    for (i, pair) in history.windows(2).enumerate() {
        assert_eq!(pair[1]["version"].as_i64().unwrap(), pair[0]["version"].as_i64().unwrap() + 1, "versions at {i}");
        assert!(
            rank(pair[1]["status"].as_str().unwrap()) > rank(pair[0]["status"].as_str().unwrap()),
            "each version moves forward: {history:?}"
        );
    }
    assert_eq!(read["version"], history.last().unwrap()["version"]);
    // Every change after `pending` was answered 200 with the version it made; a 200 that
    // changed nothing shows a version the history holds; every 409 names the transition.
    let versions: Vec<i64> = history.iter().map(|entry| entry["version"].as_i64().unwrap()).collect();
    let answered: Vec<i64> = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::OK)
        .map(|(_, body)| body["version"].as_i64().unwrap())
        .collect();
    for version in &versions[1..] {
        assert!(answered.contains(version), "version {version} was answered: {answered:?}");
    }
    assert!(answered.iter().all(|v| versions.contains(v)), "{answered:?} within {versions:?}");
    for (_, body) in answers.iter().filter(|(status, _)| *status == StatusCode::CONFLICT) {
        assert_eq!(body["errorCode"], "INVALID_STATUS_TRANSITION", "{body}");
    }
}

#[tokio::test]
async fn an_order_the_restaurant_never_confirms_is_cancelled_and_voided() {
    let app = TestApp::spawn().await;
    let (shop, order) = placed(&app, false).await;
    let (other_shop, confirmed) = placed(&app, false).await;
    json_of(update(&app, &other_shop, &confirmed, json!({"status": "confirmed"})).await, StatusCode::OK).await;
    app.clock.advance(Duration::minutes(9));
    // One pass of the order keeper at this time (the workers' own passes may run too: every
    // step is row-locked and idempotent), so the check below follows a pass, not a hope.
    marketfront::app::lifecycle::keep_orders(&app.state).await.unwrap();
    let read = json_of(app.get(&order_path(&order), &shop.distribution).await, StatusCode::OK).await;
    assert_eq!(read["state"], "open", "still inside the 10 minutes");

    app.clock.advance(Duration::minutes(2));
    let settled = with_payment(&app, &shop, &order, "voided").await;
    assert_eq!(settled["state"], "cancelled");
    assert!(settled["cancelReason"].as_str().unwrap().contains("did not confirm"), "{settled}");
    assert_eq!(settled["history"][1]["changedBy"], "marketfront");
    let told_restaurant = events(&app, &order, "order_cancelled").await;
    assert_eq!(told_restaurant.len(), 1);
    assert_eq!(events(&app, &order, "order_update").await.len(), 2, "the cancellation, then the void");
    let kept = json_of(app.get(&order_path(&confirmed), &other_shop.distribution).await, StatusCode::OK).await;
    assert_eq!(kept["state"], "open", "a confirmed order is not cancelled");
}

#[tokio::test]
async fn a_confirmation_that_lands_just_before_the_timeout_cancellation_wins() {
    use marketfront::app::lifecycle::{self, Actor, StatusUpdate};
    use marketfront::domain::lifecycle::State;
    let app = TestApp::spawn().await;
    let (shop, order) = placed(&app, false).await;
    // The keeper has read the order as still pending; the restaurant confirms before the
    // keeper's cancellation takes the row lock.
    json_of(update(&app, &shop, &order, json!({"status": "confirmed"})).await, StatusCode::OK).await;
    let id: Uuid = order["gettOrderId"].as_str().unwrap().parse().unwrap();
    let cancel = StatusUpdate {
        state: Some(State::Cancelled),
        cancel_reason: Some("not confirmed in time".into()),
        ..StatusUpdate::default()
    };
    let after = lifecycle::update_status(&app.state, Actor::Server, id, cancel).await.unwrap();
    assert_eq!((after.state.as_str(), after.status.as_str(), after.version), ("open", "confirmed", 2));
}

#[tokio::test]
async fn a_settled_order_leaves_the_keepers_work_list() {
    let app = TestApp::spawn().await;
    let (shop, order) = placed(&app, false).await;
    let unsettled = "SELECT count(*) FROM orders WHERE state <> 'open' AND settled_at IS NULL";
    json_of(update(&app, &shop, &order, json!({"state": "completed"})).await, StatusCode::OK).await;
    with_payment(&app, &shop, &order, "captured").await;
    assert_eq!(app.count(unsettled).await, 0, "settled orders are not looked at again");
    assert_eq!(app.count("SELECT count(*) FROM orders WHERE settled_at IS NOT NULL").await, 1);
}
