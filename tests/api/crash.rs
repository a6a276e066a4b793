//! Real `marketfront serve` processes: one killed with SIGKILL while a place is inside the
//! payment step, then restarted (the money and the order must still come out right), and two
//! side by side on one database given the same key at once.

use crate::binary::{Scene, Server};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

impl Scene {
    /// Sends a place and kills the server once the request is inside the payment step.
    async fn kill_mid_payment(&self, server: Server) {
        let in_flight = tokio::spawn(self.place(&server));
        for _ in 0..200 {
            if self.count("SELECT count(*) FROM idempotency_keys WHERE recovery_point = 'order_created'").await == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        server.kill();
        assert!(in_flight.await.unwrap().is_err(), "the client saw the connection die, not an answer");
        assert_eq!(self.count("SELECT count(*) FROM orders WHERE placement = 'awaiting_payment'").await, 1);
        assert_eq!(self.count("SELECT count(*) FROM sandbox_processor_ledger").await, 0, "killed before the processor");
    }

    /// What must hold whatever happened: at most one live order for the token, and no approved
    /// authorisation without a placed order.
    async fn assert_consistent(&self) {
        assert!(self.count("SELECT count(*) FROM orders WHERE placement <> 'failed'").await <= 1);
        let orphans = self
            .count(
                "SELECT count(*) FROM sandbox_processor_ledger l
                 WHERE l.outcome = 'approved' AND NOT EXISTS (
                     SELECT 1 FROM payment_authorizations p JOIN orders o ON o.id = p.order_id
                     WHERE p.processor_key = l.idempotency_key AND o.placement = 'placed')",
            )
            .await;
        assert_eq!(orphans, 0, "an authorisation without an order");
    }
}

#[tokio::test]
async fn a_retry_after_a_crash_mid_payment_finishes_with_one_order_and_one_authorisation() {
    let database = TestDatabase::create().await;
    let first = Server::start(&database.url).await;
    let scene = Scene::new(&database, &first).await;
    scene.kill_mid_payment(first).await;

    let second = Server::start(&database.url).await;
    let mut answer = scene.place(&second).await.unwrap();
    for _ in 0..100 {
        if answer.status() != StatusCode::CONFLICT {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        answer = scene.place(&second).await.unwrap();
    }
    let status = answer.status();
    let order: Value = answer.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(scene.count("SELECT count(*) FROM orders WHERE placement = 'placed'").await, 1);
    assert_eq!(scene.count("SELECT count(*) FROM sandbox_processor_ledger WHERE outcome = 'approved'").await, 1);
    scene.assert_consistent().await;
    // On the real clock too, the order reads back exactly as the 201 described it.
    let id = order["gettOrderId"].as_str().unwrap();
    let read = scene
        .client
        .get(format!("{}/v1/marketplace/orders/{id}", second.address))
        .bearer_auth(&scene.distribution)
        .send()
        .await
        .unwrap();
    assert_eq!(read.json::<Value>().await.unwrap(), order);
    // And the answer is kept: asking once more replays it.
    let replay = scene.place(&second).await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let replayed: Value = replay.json().await.unwrap();
    assert_eq!(replayed["gettOrderId"], order["gettOrderId"]);
}

#[tokio::test]
async fn without_a_retry_the_completer_rolls_a_crashed_place_back() {
    let database = TestDatabase::create().await;
    let first = Server::start(&database.url).await;
    let scene = Scene::new(&database, &first).await;
    scene.kill_mid_payment(first).await;

    let _second = Server::start(&database.url).await;
    for _ in 0..100 {
        if scene.count("SELECT count(*) FROM idempotency_keys").await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(scene.count("SELECT count(*) FROM idempotency_keys").await, 0, "the key is released");
    assert_eq!(scene.count("SELECT count(*) FROM orders WHERE placement = 'failed'").await, 1);
    assert_eq!(scene.count("SELECT count(*) FROM payment_authorizations WHERE state = 'voided'").await, 1);
    assert_eq!(
        scene.count("SELECT count(*) FROM validated_orders WHERE order_id IS NULL").await,
        1,
        "the token is free"
    );
    scene.assert_consistent().await;
}

#[tokio::test]
async fn two_server_processes_given_one_key_at_once_place_one_order() {
    let database = TestDatabase::create().await;
    let first = Server::start(&database.url).await;
    let second = Server::start(&database.url).await;
    let scene = Scene::new(&database, &first).await;
    let (a, b) = tokio::join!(scene.place(&first), scene.place(&second));
    let mut statuses = [a.unwrap().status(), b.unwrap().status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT], "one runs, the other is told it is in use");

    let replay = scene.place(&second).await.unwrap();
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(scene.count("SELECT count(*) FROM orders").await, 1);
    assert_eq!(scene.count("SELECT coalesce(sum(requests), 0) FROM sandbox_processor_ledger").await, 1);
    scene.assert_consistent().await;
}
