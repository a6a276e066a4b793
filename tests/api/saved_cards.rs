//! Saved payment methods: a session user's cards, kept as brand, last four and expiry; place
//! charges a `savedCard` through the vault's reference; no card number or CVC is stored or
//! logged anywhere.

use crate::binary::Server;
use crate::helpers::*;
use chrono::Duration;
use marketfront::auth::OrgKind;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const PAYMENTS: &str = "/v1/marketplace/checkout/payments";

fn user(id: &str) -> Value {
    json!({"partnerUserId": id, "email": format!("{id}@example.com"), "firstName": "Ann", "lastName": "Lee"})
}

async fn session(app: &TestApp, key: &str, body: Value) -> String {
    let created = json_of(app.post("/v1/marketplace/session/create", key, &body).await, StatusCode::CREATED).await;
    created["token"].as_str().unwrap().to_string()
}

fn card(number: &str, expiration: &str) -> Value {
    json!({"cardNumber": number, "expiration": expiration, "cvc": "123", "cardType": "credit"})
}

async fn saved(app: &TestApp, token: &str, body: &Value) -> String {
    let answer = json_of(app.post(PAYMENTS, token, body).await, StatusCode::CREATED).await;
    answer["paymentId"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_session_user_saves_lists_and_removes_cards() {
    let app = TestApp::spawn().await;
    let key = app.distribution_key().await;
    let ann = session(&app, &key, user("ann")).await;
    let answer =
        json_of(app.post(PAYMENTS, &ann, &card("4242 4242 4242 4242", "2030-01")).await, StatusCode::CREATED).await;
    assert_eq!(
        (answer["brand"].clone(), answer["lastFour"].clone(), answer["expiration"].clone()),
        (json!("visa"), json!("4242"), json!("2030-01"))
    );
    let id = answer["paymentId"].as_str().unwrap();
    let bad = json!({"cardNumber": "4242424242424241", "expiration": "2026-10"});
    let problem =
        problem_of(app.post(PAYMENTS, &ann, &bad).await, StatusCode::BAD_REQUEST, "PAYMENT_METHOD_INVALID").await;
    assert_eq!(paths(&problem), ["$.cardNumber", "$.expiration", "$.cvc"]);

    let listed = json_of(app.get(PAYMENTS, &ann).await, StatusCode::OK).await;
    assert_eq!(listed["paymentMethods"].as_array().unwrap().len(), 1);
    let bob = session(&app, &key, user("bob")).await;
    assert_eq!(json_of(app.get(PAYMENTS, &bob).await, StatusCode::OK).await["paymentMethods"], json!([]));
    problem_of(app.delete(&format!("{PAYMENTS}/{id}"), &bob).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    // Cards belong to a person: not to an anonymous session, nor to the partner's key.
    let anonymous = session(&app, &key, json!({})).await;
    for caller in [&anonymous, &key] {
        problem_of(app.get(PAYMENTS, caller).await, StatusCode::UNAUTHORIZED, "SESSION_USER_REQUIRED").await;
        let response = app.post(PAYMENTS, caller, &card("4242424242424242", "2030-01")).await;
        problem_of(response, StatusCode::UNAUTHORIZED, "SESSION_USER_REQUIRED").await;
    }

    assert_eq!(app.delete(&format!("{PAYMENTS}/{id}"), &ann).await.status(), StatusCode::NO_CONTENT);
    problem_of(app.delete(&format!("{PAYMENTS}/{id}"), &ann).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_eq!(json_of(app.get(PAYMENTS, &ann).await, StatusCode::OK).await["paymentMethods"], json!([]));
}

/// The place body for `shop`'s margherita, validated by `token`, paid with saved card `id`.
async fn paid_with(app: &TestApp, shop: &Shop, token: &str, id: &str) -> Value {
    let order = pickup(shop, json!([margherita("l1", 1, "large", 0)]));
    let mut body = app.validated(token, &order, "unused").await;
    body["payment"] = json!({"savedCard": {"paymentId": id}});
    body
}

#[tokio::test]
async fn place_charges_a_saved_card_of_the_sessions_user_once_and_refuses_the_rest() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let ann = session(&app, &shop.distribution, user("ann")).await;
    let visa = saved(&app, &ann, &card("4242424242424242", "2030-01")).await;

    let body = paid_with(&app, &shop, &ann, &visa).await;
    let key = fresh_key();
    let placed = json_of(app.place(&ann, &key, &body).await, StatusCode::CREATED).await;
    assert_eq!(placed["payment"]["method"], "savedCard", "{placed}");
    let again = app.place(&ann, &key, &body).await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(json_of(again, StatusCode::CREATED).await["gettOrderId"], placed["gettOrderId"]);
    assert_eq!(app.count("SELECT count(*) FROM sandbox_processor_ledger").await, 1, "charged once");

    // Another user's card, and one that is not a card at all, are not found.
    let bob = session(&app, &shop.distribution, user("bob")).await;
    let bobs = saved(&app, &bob, &card("5555555555554444", "2030-01")).await;
    for id in [bobs.as_str(), "not-an-id", &Uuid::new_v4().to_string()] {
        let body = paid_with(&app, &shop, &ann, id).await;
        let refused =
            problem_of(app.place(&ann, &fresh_key(), &body).await, StatusCode::BAD_REQUEST, "PAYMENT_METHOD_INVALID")
                .await;
        assert_eq!(refused["errors"][0]["code"], "PAYMENT_METHOD_NOT_FOUND", "{id}: {refused}");
    }
    // A card the network declines is declined when charged.
    let declined = saved(&app, &ann, &card("4000000000000002", "2030-01")).await;
    let body = paid_with(&app, &shop, &ann, &declined).await;
    problem_of(app.place(&ann, &fresh_key(), &body).await, StatusCode::BAD_REQUEST, "PAYMENT_DECLINED").await;

    // A card good this month has expired by next month.
    let this_month = saved(&app, &ann, &card("4242424242424242", "2026-11")).await;
    app.clock.advance(Duration::days(9));
    let body = paid_with(&app, &shop, &ann, &this_month).await;
    let refused =
        problem_of(app.place(&ann, &fresh_key(), &body).await, StatusCode::BAD_REQUEST, "PAYMENT_METHOD_INVALID").await;
    assert_eq!(refused["errors"][0]["code"], "PAYMENT_METHOD_EXPIRED", "{refused}");
}

/// A real server logging everything down to debug, sent cards well and badly formed: neither
/// number nor CVC appears in its log, nor in any text column of any table.
#[tokio::test]
async fn no_card_number_or_cvc_is_stored_or_logged() {
    let database = TestDatabase::create().await;
    let log = std::env::temp_dir().join(format!("marketfront-cards-{}.log", Uuid::new_v4()));
    let server = Server::start_logging_to(&database.url, &log).await;
    let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
    let key = marketfront::app::keys::create(&pool, "Card App", OrgKind::Distribution, None, None).await.unwrap().key;
    let client = reqwest::Client::new();
    let post = |path: &str, token: &str, body: Value| {
        client.post(format!("{}{path}", server.address)).bearer_auth(token).json(&body).send()
    };
    let created = post("/v1/marketplace/session/create", &key, user("ann")).await.unwrap();
    let token = created.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    let numbers = ["4111111111111111", "4000056655665556", "4111111111111112"];
    let bodies = [
        json!({"cardNumber": numbers[0], "expiration": "2030-01", "cvc": "123"}),
        json!({"cardNumber": numbers[1], "expiration": "2019-01", "cvc": "4567"}),
        json!({"cardNumber": numbers[2], "expiration": "2030-01"}),
        // A number where a string belongs: the body cannot be read at all.
        json!({"cardNumber": 4111111111111111u64, "expiration": "2030-01", "cvc": "123"}),
    ];
    let mut statuses = Vec::new();
    for body in bodies {
        statuses.push(post(PAYMENTS, &token, body).await.unwrap().status());
    }
    assert_eq!(
        statuses,
        [StatusCode::CREATED, StatusCode::BAD_REQUEST, StatusCode::BAD_REQUEST, StatusCode::BAD_REQUEST]
    );
    drop(server);

    let logged = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    assert!(logged.contains("/v1/marketplace/checkout/payments"), "the log is the server's: {logged}");
    for needle in numbers.iter().copied().chain(["cvc", "cardNumber"]) {
        assert!(!logged.contains(needle), "the log holds {needle:?}");
    }
    for needle in numbers.iter().copied().chain(["cvc", "cardNumber"]) {
        let found = crate::white_box::text_columns_containing(&pool, needle).await;
        assert!(found.is_empty(), "{needle:?} is stored in {found:?}");
    }
    let kept = crate::white_box::text_columns_containing(&pool, "1111").await;
    assert!(kept.contains(&("payment_methods".to_string(), "last_four".to_string())), "{kept:?}");
}
