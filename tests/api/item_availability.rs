//! A restaurant marks items out of stock ("86 an item") without pushing its menu: validate,
//! place, the cart helpers and the marketplace's menu all see it, on every instance; `until`
//! brings the item back by itself; a menu push keeps the mark.

use crate::helpers::*;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn availability(shop: &Shop) -> String {
    format!("/v1/commerce/stores/{}/item-availability", shop.store)
}

fn one_margherita(shop: &Shop) -> Value {
    pickup(shop, json!([margherita("l1", 1, "large", 0)]))
}

async fn validated(app: &TestApp, address: Option<&str>, shop: &Shop) -> Value {
    let path = "/v1/marketplace/orders/validate";
    let response = match address {
        Some(address) => {
            app.request_at(address, reqwest::Method::POST, path, &shop.distribution, Some(&one_margherita(shop))).await
        }
        None => app.post(path, &shop.distribution, &one_margherita(shop)).await,
    };
    json_of(response, StatusCode::OK).await
}

#[tokio::test]
async fn an_item_marked_out_of_stock_is_refused_everywhere_until_it_is_back() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let other = app.another_instance().await;
    // Before: both instances have the menu cached, and a token is issued.
    let before = app.validated(&shop.distribution, &one_margherita(&shop), "tok_visa").await;
    assert_eq!(validated(&app, Some(&other), &shop).await["isValid"], true);

    let body = json!({"items": [{"itemId": "margherita", "available": false}]});
    let marked = json_of(app.put(&availability(&shop), &shop.commerce, &body).await, StatusCode::OK).await;
    assert_eq!(marked, json!({"storeId": shop.store, "items": [{"itemId": "margherita", "available": false}]}));

    let answer = validated(&app, None, &shop).await;
    assert_eq!(answer["isValid"], false);
    assert_eq!(answer["errors"][0]["code"], "ITEM_UNAVAILABLE", "{answer}");
    assert_eq!(answer["errors"][0]["jsonPath"], "$.cart.lineItems[0].itemId");
    // The other instance hears of it through Postgres, within moments.
    app.eventually("the other instance sees the mark", || async {
        (validated(&app, Some(&other), &shop).await["isValid"] == false).then_some(())
    })
    .await;
    // A token issued before the mark no longer places.
    let refused = app.place(&shop.distribution, &fresh_key(), &before).await;
    let problem = problem_of(refused, StatusCode::BAD_REQUEST, "ITEM_UNAVAILABLE").await;
    assert_eq!(paths(&problem), ["$.cart.lineItems[0].itemId"]);
    // The cart helpers price it as validate does.
    let add = json!({"cart": null, "storeId": shop.store, "catalogSetId": shop.catalog, "fulfillmentType": "Pickup",
                     "item": margherita("l1", 1, "large", 0)});
    let cart = json_of(app.post("/v1/marketplace/carts/add", &shop.distribution, &add).await, StatusCode::OK).await;
    assert_eq!(cart["errors"][0]["code"], "ITEM_UNAVAILABLE");
    // The marketplace's menu shows it.
    let menu = json_of(
        app.get(&format!("/v1/marketplace/catalog-sets/{}", shop.catalog), &shop.distribution).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(menu["items"]["margherita"]["available"], false);
    assert_eq!(menu["itemAvailability"], json!([{"itemId": "margherita", "available": false}]));

    // Back on sale.
    let body = json!({"items": [{"itemId": "margherita", "available": true}]});
    let released = json_of(app.put(&availability(&shop), &shop.commerce, &body).await, StatusCode::OK).await;
    assert_eq!(released["items"], json!([]));
    assert_eq!(validated(&app, None, &shop).await["isValid"], true);
    let menu = json_of(
        app.get(&format!("/v1/marketplace/catalog-sets/{}", shop.catalog), &shop.distribution).await,
        StatusCode::OK,
    )
    .await;
    assert!(menu.get("itemAvailability").is_none(), "{menu}");
}

#[tokio::test]
async fn until_brings_the_item_back_by_itself_and_a_menu_push_keeps_the_mark() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let back_at = app.clock_now() + Duration::hours(1);
    let body = json!({"items": [{"itemId": "margherita", "available": false, "until": back_at}]});
    json_of(app.put(&availability(&shop), &shop.commerce, &body).await, StatusCode::OK).await;

    // The same menu pushed again (a new version): the mark stays.
    let pushed = app
        .put(&format!("/v1/commerce/stores/{}/catalog-set", shop.store), &shop.commerce, &catalog_body(shop.catalog))
        .await;
    assert_eq!(pushed.status(), StatusCode::OK);
    let answer = validated(&app, None, &shop).await;
    assert_eq!(answer["errors"][0]["code"], "ITEM_UNAVAILABLE", "{answer}");
    let again: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(answer["errors"][0]["availableAgainAt"].clone()).unwrap();
    assert_eq!(again, back_at);

    // An agent reading the menu over MCP sees it too, with when it is back.
    let (token, _) = crate::mcp::person(&app, &shop.distribution).await;
    let mut agent = crate::mcp::Agent::connect(&app.address, &token).await;
    let menu = agent.tool("getCatalogSet", json!({"catalogSetId": shop.catalog, "itemIds": ["margherita"]})).await;
    let item = &menu["sections"][0]["items"][0];
    assert_eq!(item["available"], false, "{menu}");
    let shown: chrono::DateTime<chrono::Utc> = serde_json::from_value(item["availableAgainAt"].clone()).unwrap();
    assert_eq!(shown, back_at);

    app.clock.advance(Duration::minutes(61));
    assert_eq!(validated(&app, None, &shop).await["isValid"], true, "back by itself at its until");
    assert_eq!(app.count("SELECT count(*) FROM item_availability").await, 1);
    marketfront::app::housekeeping::reap(&app.state).await.unwrap();
    assert_eq!(app.count("SELECT count(*) FROM item_availability").await, 0, "an ended mark is reaped");
    let menu = json_of(
        app.get(&format!("/v1/marketplace/catalog-sets/{}", shop.catalog), &shop.distribution).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(menu["items"]["margherita"]["available"], true);
}

#[tokio::test]
async fn unknown_items_and_bad_untils_are_refused_with_nothing_applied() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let past = app.clock_now() - Duration::minutes(5);
    let body = json!({"items": [
        {"itemId": "margherita", "available": false},
        {"itemId": "tiramisu", "available": false},
        {"itemId": "basil", "available": false, "until": past},
        {"itemId": "large", "available": true, "until": app.clock_now() + Duration::hours(1)}
    ]});
    let problem = problem_of(
        app.put(&availability(&shop), &shop.commerce, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(paths(&problem), ["$.items[1].itemId", "$.items[2].until", "$.items[3].until"]);
    assert_eq!(validated(&app, None, &shop).await["isValid"], true, "nothing was applied");
    let empty = app.put(&availability(&shop), &shop.commerce, &json!({"items": []})).await;
    problem_of(empty, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    // Another restaurant's store is not found; a marketplace key is forbidden.
    let stranger = app.key("Another Kitchen", marketfront::auth::OrgKind::Commerce).await;
    let body = json!({"items": [{"itemId": "margherita", "available": false}]});
    problem_of(app.put(&availability(&shop), &stranger, &body).await, StatusCode::NOT_FOUND, "STORE_NOT_FOUND").await;
    problem_of(app.put(&availability(&shop), &shop.distribution, &body).await, StatusCode::FORBIDDEN, "FORBIDDEN")
        .await;
}
