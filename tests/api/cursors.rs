//! Lists by keyset cursor: `cursor` in, `nextCursor` out. A cursor names the last item of the
//! page before, so a page costs what page 1 costs and items written meanwhile neither repeat nor
//! push anything out of the pages still to come.

use crate::helpers::*;
use crate::white_box::clone_store;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Every page of `path` (which already has a query string), following `nextCursor`: the ids of
/// each page's items.
async fn follow(app: &TestApp, path: &str, key: &str, list: &str, id: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(cursor) => format!("{path}&cursor={cursor}"),
            None => path.to_string(),
        };
        let page = json_of(app.get(&url, key).await, StatusCode::OK).await;
        pages.push(page[list].as_array().unwrap().iter().map(|item| item[id].as_str().unwrap().to_string()).collect());
        assert_eq!(page["hasMore"], page["nextCursor"].is_string(), "{page}");
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return pages,
        }
    }
}

#[tokio::test]
async fn orders_page_by_cursor_with_no_repeat_and_no_skip_while_new_orders_arrive() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    // Five orders at one instant and two a minute later: the cursor must break ties by id.
    let mut placed = Vec::new();
    for n in 0..7 {
        if n == 5 {
            app.clock.advance(chrono::Duration::minutes(1));
        }
        placed.push(app.place_one(&shop, &shop.distribution).await["gettOrderId"].as_str().unwrap().to_string());
    }
    let first = json_of(app.get("/v1/marketplace/orders?limit=3", &shop.distribution).await, StatusCode::OK).await;
    assert_eq!((first["totalCount"].clone(), first["totalCountExact"].clone()), (json!(7), json!(true)));

    // Page through while two more orders are placed, newer than everything listed so far.
    let mut seen: Vec<String> = Vec::new();
    let mut cursor = first["nextCursor"].as_str().unwrap().to_string();
    seen.extend(first["orders"].as_array().unwrap().iter().map(|o| o["gettOrderId"].as_str().unwrap().to_string()));
    let mut arrived = Vec::new();
    loop {
        let next = format!("/v1/marketplace/orders?limit=3&cursor={cursor}");
        let (page, newcomer) =
            tokio::join!(app.get(&next, &shop.distribution), app.place_one(&shop, &shop.distribution),);
        arrived.push(newcomer["gettOrderId"].as_str().unwrap().to_string());
        let page = json_of(page, StatusCode::OK).await;
        seen.extend(page["orders"].as_array().unwrap().iter().map(|o| o["gettOrderId"].as_str().unwrap().to_string()));
        match page["nextCursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => break,
        }
    }
    let mut newest_first = placed.clone();
    newest_first.sort_by(|a, b| b.cmp(a)); // v7 ids grow with time, and ties fall back on the id
    assert_eq!(seen, newest_first, "every order once, newest first, none of the newcomers");
    assert!(arrived.iter().all(|id| !seen.contains(id)));

    // The newcomers lead a fresh first page.
    let fresh = follow(&app, "/v1/marketplace/orders?limit=4", &shop.distribution, "orders", "gettOrderId").await;
    assert_eq!(fresh.concat().len(), placed.len() + arrived.len());
    assert!(arrived.iter().all(|id| fresh[0].contains(id)));
}

#[tokio::test]
async fn a_session_user_pages_through_their_own_orders_only() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let session = |user: &'static str| {
        let (app, key) = (&app, shop.distribution.clone());
        async move {
            let body =
                json!({"partnerUserId": user, "firstName": "Sam", "lastName": "Lee", "email": "sam@example.com"});
            let created = app.post("/v1/marketplace/session/create", &key, &body).await;
            json_of(created, StatusCode::CREATED).await["token"].as_str().unwrap().to_string()
        }
    };
    let (sam, kim) = (session("sam").await, session("kim").await);
    let mut sams = Vec::new();
    for n in 0..5 {
        let who = if n % 2 == 0 { &sam } else { &kim };
        let id = app.place_one(&shop, who).await["gettOrderId"].as_str().unwrap().to_string();
        if who == &sam {
            sams.push(id);
        }
    }
    let pages = follow(&app, "/v1/marketplace/orders?limit=2", &sam, "orders", "gettOrderId").await;
    sams.reverse();
    assert_eq!(pages.concat(), sams);
    assert_eq!(pages.len(), 2);
}

#[tokio::test]
async fn a_cursor_reads_only_in_its_own_list_and_never_beside_an_offset() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    for _ in 0..3 {
        app.place_one(&shop, &shop.distribution).await;
    }
    let page = json_of(app.get("/v1/marketplace/orders?limit=1", &shop.distribution).await, StatusCode::OK).await;
    let cursor = page["nextCursor"].as_str().unwrap();

    let elsewhere = app.get(&format!("/v1/commerce/stores?cursor={cursor}"), &shop.commerce).await;
    assert_eq!(paths(&problem_of(elsewhere, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await), ["$.cursor"]);
    let deliveries = app.get(&format!("/v1/webhooks/deliveries?cursor={cursor}"), &shop.distribution).await;
    assert_eq!(paths(&problem_of(deliveries, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await), ["$.cursor"]);
    for made_up in ["", "abc", "MS5vLjE", &format!("{cursor}x")] {
        let bad = app.get(&format!("/v1/marketplace/orders?cursor={made_up}"), &shop.distribution).await;
        assert_eq!(
            paths(&problem_of(bad, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await),
            ["$.cursor"],
            "{made_up}"
        );
    }
    let both = app.get(&format!("/v1/marketplace/orders?offset=1&cursor={cursor}"), &shop.distribution).await;
    assert_eq!(paths(&problem_of(both, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await), ["$.offset"]);

    // Offset paging keeps working, and hands out a cursor too.
    let second =
        json_of(app.get("/v1/marketplace/orders?limit=1&offset=1", &shop.distribution).await, StatusCode::OK).await;
    let by_cursor = json_of(
        app.get(&format!("/v1/marketplace/orders?limit=1&cursor={cursor}"), &shop.distribution).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(second["orders"], by_cursor["orders"]);
    assert!(second["nextCursor"].is_string());
}

#[tokio::test]
async fn store_lists_page_by_cursor_and_count_up_to_the_cap() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let one = follow(&app, "/v1/commerce/stores?limit=5", &shop.commerce, "stores", "storeId").await;
    assert_eq!(one, [vec![shop.store.to_string()]]);

    clone_store(&app, shop.store, 10_000).await;
    let first = json_of(app.get("/v1/commerce/stores?limit=100", &shop.commerce).await, StatusCode::OK).await;
    assert_eq!((first["totalCount"].clone(), first["totalCountExact"].clone()), (json!(10_000), json!(false)));
    let cursor = first["nextCursor"].as_str().unwrap();
    let second = json_of(
        app.get(&format!("/v1/commerce/stores?limit=100&cursor={cursor}"), &shop.commerce).await,
        StatusCode::OK,
    )
    .await;
    let ids = |page: &Value| -> Vec<String> {
        page["stores"].as_array().unwrap().iter().map(|s| s["storeId"].as_str().unwrap().to_string()).collect()
    };
    let (a, b) = (ids(&first), ids(&second));
    assert_eq!((a.len(), b.len()), (100, 100));
    assert!(a.last() < b.first(), "by id, each page after the one before");
    assert!(a.windows(2).chain(b.windows(2)).all(|w| w[0] < w[1]));
    assert_eq!(
        json_of(app.get("/v1/commerce/stores?limit=100&offset=100", &shop.commerce).await, StatusCode::OK).await["stores"],
        second["stores"]
    );
}

#[tokio::test]
async fn deliveries_page_by_cursor_newest_first() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let endpoint = json!({"url": "http://127.0.0.1:9/hook"});
    json_of(app.post("/v1/webhooks/endpoints", &shop.distribution, &endpoint).await, StatusCode::CREATED).await;
    for _ in 0..3 {
        app.place_one(&shop, &shop.distribution).await;
        app.clock.advance(chrono::Duration::seconds(1));
    }
    let all = json_of(app.get("/v1/webhooks/deliveries?limit=100", &shop.distribution).await, StatusCode::OK).await;
    let every: Vec<String> =
        all["deliveries"].as_array().unwrap().iter().map(|d| d["deliveryId"].as_str().unwrap().to_string()).collect();
    assert!(every.len() >= 3, "{all}");
    let pages = follow(&app, "/v1/webhooks/deliveries?limit=2", &shop.distribution, "deliveries", "deliveryId").await;
    assert_eq!(pages.concat(), every);
    let pending =
        follow(&app, "/v1/webhooks/deliveries?limit=1&state=pending", &shop.distribution, "deliveries", "deliveryId")
            .await
            .concat();
    assert!(!pending.is_empty() && pending.iter().all(|id| every.contains(id)));
}
