//! Discovery's text search, `openNow`, cuisine and the count cap, on small fixed data sets.

use crate::helpers::*;
use chrono::{Duration, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const HERE: &str = "latitude=40.75&longitude=-73.99";

/// A menu of one section whose items have these names.
fn menu_of(id: Uuid, names: &[&str]) -> Value {
    let ids: Vec<String> = (0..names.len()).map(|i| format!("item{i}")).collect();
    let items: serde_json::Map<String, Value> = names
        .iter()
        .zip(&ids)
        .map(|(name, id)| (id.clone(), json!({"itemId": id, "name": name, "basePrice": 9})))
        .collect();
    json!({
        "catalogSetId": id, "currency": "USD",
        "catalogs": {"main": {"catalogId": "main", "name": "Main menu", "sectionIds": ["menu"],
                               "availability": every_day("00:00:00", "00:00:00")}},
        "sections": {"menu": {"sectionId": "menu", "name": "Menu", "itemIds": ids}},
        "items": items,
        "modifierGroups": {}
    })
}

/// A store `km_north` kilometres north of HERE with this name, cuisines and item names (each
/// store its own partner's).
async fn place_store(app: &TestApp, name: &str, cuisines: &[&str], km_north: f64, items: &[&str]) -> Uuid {
    let mut body = store_body(name);
    body["cuisines"] = json!(cuisines);
    body["address"]["latitude"] = json!(40.75 + km_north / 111.2);
    shop(app, &body, |id| menu_of(id, items)).await.store
}

fn ids(page: &Value) -> Vec<Uuid> {
    page["stores"].as_array().unwrap().iter().map(|s| s["storeId"].as_str().unwrap().parse().unwrap()).collect()
}

fn matched(page: &Value, index: usize) -> Value {
    page["stores"][index]["matchedItems"].clone()
}

struct Town {
    app: TestApp,
    key: String,
    ramen_ya: Uuid,
    tokyo_kitchen: Uuid,
    corner_deli: Uuid,
    pizza_planet: Uuid,
    slice_shop: Uuid,
}

/// Five stores north of HERE, nearest last in this list: the word "ramen" in a name (3 km), in
/// cuisines (2 km), on a menu (1 km); pizza in a name (0.5 km) and on a menu (0.2 km).
async fn town() -> Town {
    let app = TestApp::spawn().await;
    let ramen_ya = place_store(&app, "Ramen Ya", &["japanese"], 3.0, &["Shoyu Ramen", "Gyoza"]).await;
    let tokyo_kitchen = place_store(&app, "Tokyo Kitchen", &["ramen"], 2.0, &["Miso Soup"]).await;
    let corner_deli =
        place_store(&app, "Corner Deli", &["deli"], 1.0, &["Tonkotsu Ramen", "Vegan Ramen", "Pastrami on Rye"]).await;
    let pizza_planet = place_store(&app, "Pizza Planet", &["italian"], 0.5, &["Margherita", "Vegan Pizza"]).await;
    let slice_shop = place_store(&app, "Slice Shop", &["italian"], 0.2, &["Pepperoni Pizza"]).await;
    let key = app.distribution_key().await;
    Town { app, key, ramen_ya, tokyo_kitchen, corner_deli, pizza_planet, slice_shop }
}

impl Town {
    async fn find(&self, query: &str) -> Value {
        let response = self.app.get(&format!("/v1/marketplace/stores?{HERE}&{query}"), &self.key).await;
        json_of(response, StatusCode::OK).await
    }
}

#[tokio::test]
async fn search_ranks_name_then_cuisine_then_menu_then_distance_and_forgives_typos() {
    let t = town().await;
    let ramen = t.find("query=ramen").await;
    assert_eq!(ids(&ramen), [t.ramen_ya, t.tokyo_kitchen, t.corner_deli], "name, cuisine, menu; not nearest first");
    assert_eq!(ramen["totalCount"], 3);
    assert_eq!(ramen["totalCountExact"], true);
    assert_eq!(matched(&ramen, 0), json!(["Shoyu Ramen"]));
    assert_eq!(matched(&ramen, 1), json!([]), "matched by its cuisine, no item says ramen");
    assert_eq!(matched(&ramen, 2), json!(["Vegan Ramen", "Tonkotsu Ramen"]), "plainest names first");

    for typo in ["ramn", "RAMEN", "raemn"] {
        assert_eq!(ids(&t.find(&format!("query={typo}")).await), ids(&ramen), "{typo}");
    }
    let pizza = t.find("query=pizzza").await;
    assert_eq!(ids(&pizza), [t.pizza_planet, t.slice_shop], "a name outranks a nearer menu");
    assert_eq!(matched(&pizza, 1), json!(["Pepperoni Pizza"]));

    let vegan = t.find("query=vegan").await;
    assert_eq!(ids(&vegan), [t.pizza_planet, t.corner_deli], "equal relevance: nearest first");

    let narrowed = t.find("query=vegan%20ramen").await;
    assert_eq!(ids(&narrowed), [t.corner_deli], "every word must match");
    assert_eq!(matched(&narrowed, 0)[0], "Vegan Ramen", "the item with both words is quoted first");

    assert_eq!(ids(&t.find("query=ram").await), ids(&ramen), "the word being typed completes");
    assert_eq!(ids(&t.find("query=gyoza%20ram").await), [t.ramen_ya]);

    let nothing = t.find("query=xyzzy").await;
    assert_eq!(nothing["totalCount"], 0);
    assert_eq!(nothing["stores"], json!([]));
    assert_eq!(ids(&t.find("query=pho").await), Vec::<Uuid>::new(), "three letters: no typo allowed");

    let plain = t.find("").await;
    assert!(plain["stores"][0].get("matchedItems").is_none(), "no text, no matchedItems");
    assert_eq!(t.find("query=%25%20--").await["totalCount"], 5, "punctuation alone is no text");
}

#[tokio::test]
async fn cuisine_filters_and_combines_with_text() {
    let t = town().await;
    assert_eq!(ids(&t.find("cuisine=Italian").await), [t.slice_shop, t.pizza_planet]);
    assert_eq!(ids(&t.find("cuisine=italian&query=vegan").await), [t.pizza_planet]);
    assert_eq!(ids(&t.find("cuisine=thai").await), Vec::<Uuid>::new());
    let response = t.app.get(&format!("/v1/marketplace/stores?cuisine={}", "x".repeat(51)), &t.key).await;
    let problem = problem_of(response, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    assert_eq!(problem["errors"][0]["jsonPath"], "$.cuisine");
}

#[tokio::test]
async fn a_count_past_the_cap_says_it_is_not_exact_and_pages_end_there() {
    let app = TestApp::spawn_with(|config| config.discovery_count_cap = 2).await;
    let mut stores = Vec::new();
    for km in [0.1, 0.2, 0.3, 0.4] {
        stores.push(place_store(&app, "Pizza Place", &["pizza"], km, &["Pizza"]).await);
    }
    let key = app.distribution_key().await;
    let find = |query: String| {
        let (app, key) = (&app, &key);
        async move { json_of(app.get(&format!("/v1/marketplace/stores?{HERE}&{query}"), key).await, StatusCode::OK).await }
    };
    let first = find("limit=1".into()).await;
    assert_eq!(ids(&first), [stores[0]]);
    assert_eq!(
        (first["totalCount"].clone(), first["totalCountExact"].clone(), first["hasMore"].clone()),
        (json!(2), json!(false), json!(true))
    );
    let last = find("limit=5&offset=1".into()).await;
    assert_eq!(ids(&last), [stores[1]], "pages end at the cap");
    assert_eq!(last["hasMore"], false);
    let small = find("radiusKm=0.25".into()).await;
    assert_eq!((small["totalCount"].clone(), small["totalCountExact"].clone()), (json!(2), json!(true)));
    let text = find("query=pizza&radiusKm=0.15".into()).await;
    assert_eq!((ids(&text), text["totalCountExact"].clone()), (vec![stores[0]], json!(true)));
}

#[tokio::test]
async fn open_now_is_judged_in_each_stores_time_zone_and_agrees_with_is_open() {
    let app = TestApp::spawn().await;
    let commerce = app.commerce_key().await;
    let key = app.distribution_key().await;
    let mut made = Vec::new();
    for (name, zone, start, end) in [
        ("East", "America/New_York", "09:00:00", "17:00:00"),
        ("West", "America/Los_Angeles", "09:00:00", "17:00:00"),
        ("Tokyo", "Asia/Tokyo", "09:00:00", "17:00:00"),
        ("Night Owl", "America/New_York", "22:00:00", "02:00:00"),
    ] {
        let mut body = store_body(name);
        body["timezone"] = json!(zone);
        body["availability"] = every_day(start, end);
        made.push(app.store_with_menu(&commerce, &body).await);
    }
    let paused = app.store_with_menu(&commerce, &store_body("Paused")).await;
    let monday = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
    let resume_at = monday + Duration::hours(40);
    let body = json!({"status": "paused", "reason": "Busy", "resumeAt": resume_at});
    let response = app.post(&format!("/v1/commerce/stores/{paused}/status"), &commerce, &body).await;
    assert!(response.status().is_success(), "{}", response.text().await.unwrap());

    // Monday 23:00 UTC: 18:00 in New York, 15:00 in Los Angeles, Tuesday 08:00 in Tokyo.
    app.clock.set(monday + Duration::hours(23));
    let open =
        json_of(app.get(&format!("/v1/marketplace/stores?openNow=true&{HERE}"), &key).await, StatusCode::OK).await;
    assert_eq!(ids(&open), [made[1]], "only the west coast is open");

    // Every three hours for two days, in the paused store's pause and after it: discovery's
    // openNow and each store's own isOpen name the same stores.
    for hour in (0..48).step_by(3) {
        app.clock.set(monday + Duration::hours(hour) + Duration::minutes(30));
        let all = json_of(app.get(&format!("/v1/marketplace/stores?{HERE}"), &key).await, StatusCode::OK).await;
        let mut said_open: Vec<Uuid> = all["stores"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["isOpen"] == true)
            .map(|s| s["storeId"].as_str().unwrap().parse().unwrap())
            .collect();
        let open =
            json_of(app.get(&format!("/v1/marketplace/stores?openNow=true&{HERE}"), &key).await, StatusCode::OK).await;
        let mut found = ids(&open);
        said_open.sort();
        found.sort();
        assert_eq!(found, said_open, "hour {hour}");
        if hour == 3 {
            assert!(found.contains(&made[3]), "the overnight window runs past midnight");
        }
        if (24..40).contains(&hour) {
            assert!(!found.contains(&paused), "paused until hour 40");
        }
        if hour == 42 {
            assert!(found.contains(&paused), "resumed by itself");
        }
    }
}

#[tokio::test]
async fn stores_written_before_the_index_are_indexed_when_a_server_starts() {
    let t = town().await;
    crate::white_box::drop_discovery_entries(&t.app).await;
    assert_eq!(t.find("query=ramen").await["totalCount"], 0, "nothing indexed, nothing found");
    let restarted = t.app.another_instance().await;
    let response = t
        .app
        .request_at(
            &restarted,
            reqwest::Method::GET,
            &format!("/v1/marketplace/stores?{HERE}&query=ramen"),
            &t.key,
            None,
        )
        .await;
    let page = json_of(response, StatusCode::OK).await;
    assert_eq!(ids(&page), [t.ramen_ya, t.tokyo_kitchen, t.corner_deli]);
    assert_eq!(matched(&page, 2), json!(["Vegan Ramen", "Tonkotsu Ramen"]), "the menu part too");
}

/// Near a point without text, the page and the count come from two different scans of the
/// location index (nearest first, and a bounding box no wider than the longest delivery
/// reach): for every such shape they must find the same stores.
#[tokio::test]
async fn near_a_point_the_count_finds_exactly_the_stores_the_pages_list() {
    let app = TestApp::spawn().await;
    let commerce = app.commerce_key().await;
    let key = app.distribution_key().await;
    let monday_noon_in_new_york = Utc.with_ymd_and_hms(2026, 11, 23, 17, 0, 0).unwrap();
    app.clock.set(monday_noon_in_new_york);
    // (name, km north of HERE, delivers, delivery radius, time zone, hours)
    let made = [
        ("Near", 0.5, true, 5, "America/New_York", ("09:00:00", "21:00:00")),
        ("Short reach", 2.0, true, 1, "America/New_York", ("09:00:00", "21:00:00")),
        ("Long reach", 7.0, true, 10, "America/Chicago", ("09:00:00", "21:00:00")),
        ("Pickup only", 3.0, false, 0, "America/New_York", ("09:00:00", "21:00:00")),
        ("Closed now", 4.0, true, 8, "America/Los_Angeles", ("01:00:00", "02:00:00")),
        ("Beyond the radius", 60.0, true, 80, "America/New_York", ("09:00:00", "21:00:00")),
    ];
    let mut ids_of = std::collections::HashMap::new();
    for (name, km, delivers, radius, zone, (opens, closes)) in made {
        let mut body = store_body(name);
        body["address"]["latitude"] = json!(40.75 + km / 111.2);
        body["deliveryAllowed"] = json!(delivers);
        body["deliveryRadiusKm"] = json!(radius);
        body["timezone"] = json!(zone);
        body["availability"] = every_day(opens, closes);
        ids_of.insert(name, app.store_with_menu(&commerce, &body).await);
    }
    let expect = |names: &[&str]| -> Vec<Uuid> { names.iter().map(|name| ids_of[name]).collect() };
    let shapes = [
        ("", expect(&["Near", "Short reach", "Pickup only", "Closed now", "Long reach"])),
        ("&fulfillmentType=Pickup", expect(&["Near", "Short reach", "Pickup only", "Closed now", "Long reach"])),
        ("&fulfillmentType=DeliveryByMerchant", expect(&["Near", "Closed now", "Long reach"])),
        ("&openNow=true", expect(&["Near", "Short reach", "Pickup only", "Long reach"])),
        ("&openNow=true&fulfillmentType=DeliveryByMerchant", expect(&["Near", "Long reach"])),
        ("&radiusKm=3.5", expect(&["Near", "Short reach", "Pickup only"])),
        ("&radiusKm=3.5&fulfillmentType=DeliveryByMerchant", expect(&["Near"])),
        (
            "&radiusKm=100&fulfillmentType=DeliveryByMerchant",
            expect(&["Near", "Closed now", "Long reach", "Beyond the radius"]),
        ),
    ];
    for (shape, expected) in shapes {
        let all =
            json_of(app.get(&format!("/v1/marketplace/stores?{HERE}{shape}&limit=50"), &key).await, StatusCode::OK)
                .await;
        assert_eq!(ids(&all), expected, "{shape}: nearest first");
        assert_eq!((all["totalCount"].clone(), all["totalCountExact"].clone()), (json!(expected.len()), json!(true)));
        // The count does not depend on the page: a page of one, and the last page.
        let one =
            json_of(app.get(&format!("/v1/marketplace/stores?{HERE}{shape}&limit=1"), &key).await, StatusCode::OK)
                .await;
        assert_eq!(one["totalCount"], json!(expected.len()), "{shape}: a page of one");
        let offset = expected.len() - 1;
        let last = app.get(&format!("/v1/marketplace/stores?{HERE}{shape}&limit=5&offset={offset}"), &key).await;
        let last = json_of(last, StatusCode::OK).await;
        assert_eq!(ids(&last), expected[offset..], "{shape}: the last page");
    }
    // Writing stores over and over numbers each time zone once: openNow's array of zones is as
    // long as the highest number.
    for _ in 0..3 {
        app.store_with_menu(&commerce, &store_body("Another")).await;
    }
    let zones = app.count("SELECT coalesce(max(id), 0)::int8 FROM discovery_time_zones").await;
    assert_eq!(zones, 3, "New York, Chicago, Los Angeles");
}
