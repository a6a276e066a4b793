use crate::helpers::*;
use chrono::{TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn store_view(app: &TestApp, key: &str, id: uuid::Uuid) -> Value {
    json_of(app.get(&format!("/v1/marketplace/stores/{id}"), key).await, StatusCode::OK).await
}

#[tokio::test]
async fn is_open_is_computed_in_each_stores_time_zone() {
    let app = TestApp::spawn().await;
    let commerce = app.commerce_key().await;
    let distribution = app.distribution_key().await;
    let mut new_york = store_body("East");
    new_york["availability"] = every_day("09:00:00", "17:00:00");
    let mut los_angeles = new_york.clone();
    los_angeles["name"] = json!("West");
    los_angeles["timezone"] = json!("America/Los_Angeles");
    let east = app.store_with_menu(&commerce, &new_york).await;
    let west = app.store_with_menu(&commerce, &los_angeles).await;

    // Monday 23:00 UTC: 18:00 in New York (closed), 15:00 in Los Angeles (open).
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 23, 23, 0, 0).unwrap());
    let east_view = store_view(&app, &distribution, east).await;
    assert_eq!(east_view["isOpen"], false);
    assert_eq!(east_view["nextOpenAt"], "2026-11-24T14:00:00Z", "Tuesday 09:00 in New York");
    let west_view = store_view(&app, &distribution, west).await;
    assert_eq!(west_view["isOpen"], true);
    assert_eq!(west_view["nextOpenAt"], json!(null));
}

#[tokio::test]
async fn an_overnight_window_stays_open_past_midnight() {
    let app = TestApp::spawn().await;
    let commerce = app.commerce_key().await;
    let distribution = app.distribution_key().await;
    let mut late = store_body("Late Night");
    late["availability"] = json!([{"dayOfWeek": "Friday", "start": "22:00:00", "end": "02:00:00"}]);
    let id = app.store_with_menu(&commerce, &late).await;

    // Saturday 2026-11-28 01:30 in New York (06:30 UTC) belongs to Friday's window.
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 28, 6, 30, 0).unwrap());
    assert_eq!(store_view(&app, &distribution, id).await["isOpen"], true);
    // 02:30: closed until next Friday 22:00 (03:00 UTC on Saturday 2026-12-05).
    app.clock.set(Utc.with_ymd_and_hms(2026, 11, 28, 7, 30, 0).unwrap());
    let view = store_view(&app, &distribution, id).await;
    assert_eq!(view["isOpen"], false);
    assert_eq!(view["nextOpenAt"], "2026-12-05T03:00:00Z");
}

#[tokio::test]
async fn a_store_without_hours_is_closed() {
    let app = TestApp::spawn().await;
    let commerce = app.commerce_key().await;
    let distribution = app.distribution_key().await;
    let mut no_hours = store_body("Ghost Kitchen");
    no_hours["availability"] = json!([]);
    let id = app.store_with_menu(&commerce, &no_hours).await;
    let view = store_view(&app, &distribution, id).await;
    assert_eq!(view["isOpen"], false);
    assert_eq!(view["nextOpenAt"], json!(null));
}
