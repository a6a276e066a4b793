//! Background work with a backlog: a sweep drains more than a batch in one pass, a batch per
//! statement, and leaves alone what is not due.

use crate::helpers::*;
use crate::white_box::seed_expired_backlog;
use chrono::Duration;
use marketfront::app::housekeeping::{REAP_BATCH, reap};
use marketfront::app::lifecycle::{KEEPER_BATCH, keep_orders};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn one_reaper_pass_drains_a_backlog_of_several_batches_and_keeps_what_is_live() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    // One token (consumed) and one finished key written by the API, both still kept.
    let order = pickup(&shop, json!([margherita("l1", 1, "small", 0)]));
    let body = app.validated(&shop.distribution, &order, "tok_visa").await;
    json_of(app.place(&shop.distribution, &fresh_key(), &body).await, StatusCode::CREATED).await;
    let backlog = (REAP_BATCH * 2 + 7) as i32;
    seed_expired_backlog(&app, backlog, app.clock_now() - Duration::days(3)).await;
    assert_eq!(app.count("SELECT count(*) FROM validated_orders").await, i64::from(backlog) + 1);

    reap(&app.state).await.unwrap();
    assert_eq!(app.count("SELECT count(*) FROM validated_orders").await, 1, "the token placed an hour ago at most");
    assert_eq!(app.count("SELECT count(*) FROM idempotency_keys").await, 1, "the live key");
    // The kept token still answers a second place with the order it placed.
    let again = app.place(&shop.distribution, &fresh_key(), &body).await;
    problem_of(again, StatusCode::CONFLICT, "ORDER_ALREADY_PLACED").await;
}

#[tokio::test]
async fn one_keeper_pass_cancels_and_settles_more_than_a_batch_of_unconfirmed_orders() {
    // The keeper's own worker ticks once at start, then not for an hour: only the pass below
    // works the backlog.
    let app = TestApp::spawn_with(|config| config.completer_interval = std::time::Duration::from_secs(3600)).await;
    let shop = pizzeria(&app).await;
    let orders = KEEPER_BATCH as usize + 10;
    for _ in 0..orders {
        app.place_one(&shop, &shop.distribution).await;
    }
    // Past the restaurant's time to confirm, one pass.
    app.clock.advance(Duration::minutes(11));
    keep_orders(&app.state).await.unwrap();
    let sql = "SELECT count(*) FROM orders o JOIN payment_authorizations p ON p.order_id = o.id
               WHERE o.state = 'cancelled' AND p.state = 'voided' AND o.settled_at IS NOT NULL";
    assert_eq!(app.count(sql).await, orders as i64, "every order cancelled and its authorisation voided");
}
