//! A session's saved addresses and fulfilment context, and validate and place filling in from
//! the context what an order leaves out.

use crate::helpers::*;
use marketfront::auth::OrgKind;
use reqwest::StatusCode;
use serde_json::{Value, json};

const ADDRESSES: &str = "/v1/marketplace/session/addresses";
const CONTEXT: &str = "/v1/marketplace/session/fulfillment-context";
const VALIDATE: &str = "/v1/marketplace/orders/validate";

async fn session(app: &TestApp, key: &str, body: Value) -> String {
    let created = json_of(app.post("/v1/marketplace/session/create", key, &body).await, StatusCode::CREATED).await;
    created["token"].as_str().unwrap().to_string()
}

fn user(id: &str) -> Value {
    json!({"partnerUserId": id, "email": format!("{id}@example.com"), "firstName": "Ann", "lastName": "Lee"})
}

/// 1 km north of the test store (inside its 5 km delivery radius) unless moved.
fn home(km_north: f64) -> Value {
    json!({"address1": "350 5th Ave", "address2": "Apt 2", "city": "New York", "state": "NY", "postalCode": "10118",
           "latitude": 40.75 + (1.0 + km_north) / 111.2, "longitude": -73.99})
}

async fn saved(app: &TestApp, token: &str, address: &Value, status: StatusCode) -> String {
    let answer = json_of(app.post(ADDRESSES, token, address).await, status).await;
    answer["addressId"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn an_address_is_saved_once_per_owner_however_it_is_spelt() {
    let app = TestApp::spawn().await;
    let key = app.distribution_key().await;
    let ann = session(&app, &key, user("ann")).await;
    let id = saved(&app, &ann, &home(0.0), StatusCode::CREATED).await;
    let mut respelt = home(0.0);
    respelt["address1"] = json!("  350   5TH ave ");
    respelt["city"] = json!("new york");
    assert_eq!(saved(&app, &ann, &respelt, StatusCode::OK).await, id, "the same address, the same id");
    // Another session of the same user sees it; another user, and an anonymous session, do not.
    let ann_elsewhere = session(&app, &key, user("ann")).await;
    let listed = json_of(app.get(ADDRESSES, &ann_elsewhere).await, StatusCode::OK).await;
    assert_eq!(listed["addresses"].as_array().unwrap().len(), 1);
    assert_eq!(listed["addresses"][0]["addressId"], json!(id));
    assert_eq!(listed["addresses"][0]["address1"], "350 5th Ave", "shown as first sent");
    let bob = session(&app, &key, user("bob")).await;
    assert_ne!(saved(&app, &bob, &home(0.0), StatusCode::CREATED).await, id);
    let anonymous = session(&app, &key, json!({})).await;
    assert_eq!(json_of(app.get(ADDRESSES, &anonymous).await, StatusCode::OK).await["addresses"], json!([]));
    saved(&app, &anonymous, &home(0.0), StatusCode::CREATED).await;

    let problem = problem_of(
        app.post(ADDRESSES, &ann, &json!({"address1": " ", "state": "NY", "postalCode": "10118", "latitude": 40.7}))
            .await,
        StatusCode::BAD_REQUEST,
        "INVALID_REQUEST",
    )
    .await;
    assert_eq!(paths(&problem), ["$.address1", "$.city", "$.longitude"]);
    problem_of(app.post(ADDRESSES, &key, &home(0.0)).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    assert_eq!(app.count("SELECT count(*) FROM saved_addresses").await, 3, "a refusal saves nothing");
}

#[tokio::test]
async fn validate_and_place_price_the_context_where_the_order_leaves_fulfilment_out() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let ann = session(&app, &shop.distribution, user("ann")).await;
    problem_of(app.get(CONTEXT, &ann).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let near = saved(&app, &ann, &home(0.0), StatusCode::CREATED).await;
    let context = json_of(
        app.put(CONTEXT, &ann, &json!({"mode": "DeliveryByMerchant", "addressId": near})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (context["mode"].clone(), context["address"]["postalCode"].clone()),
        (json!("DeliveryByMerchant"), json!("10118"))
    );
    assert_eq!(json_of(app.get(CONTEXT, &ann).await, StatusCode::OK).await, context);

    // The order leaves fulfilment out: the context's delivery is priced.
    let mut order = pickup(&shop, json!([margherita("l1", 1, "large", 0)]));
    order.as_object_mut().unwrap().remove("fulfillmentType");
    let priced = json_of(app.post(VALIDATE, &ann, &order).await, StatusCode::OK).await;
    assert_eq!(priced["isValid"], true, "{priced}");
    assert_eq!(
        (priced["fulfillmentType"].clone(), priced["fulfillmentSource"].clone()),
        (json!("DeliveryByMerchant"), json!("context"))
    );
    assert_eq!(priced["delivery"]["address"], "350 5th Ave, Apt 2, New York, NY 10118");
    let fee = &priced["amounts"]["feesBreakdown"][0];
    assert_eq!((fee["type"].clone(), fee["amount"].to_string()), (json!("delivery"), "2.50".to_string()), "{priced}");
    // The order says Pickup: the request's, with no delivery fee.
    let pickup_order = pickup(&shop, json!([margherita("l1", 1, "large", 0)]));
    let priced_pickup = json_of(app.post(VALIDATE, &ann, &pickup_order).await, StatusCode::OK).await;
    assert_eq!(
        (priced_pickup["fulfillmentType"].clone(), priced_pickup["fulfillmentSource"].clone()),
        (json!("Pickup"), json!("request"))
    );

    // Place takes the fulfilment the token was priced for.
    let mut body = order.clone();
    body["validatedOrderToken"] = priced["validatedOrderToken"].clone();
    body["amounts"]["total"] = priced["amounts"]["total"].clone();
    body["payment"] = json!({"cardOnFile": {"cardToken": "tok_visa", "processorType": "stripe"}});
    let placed = json_of(app.place(&ann, &fresh_key(), &body).await, StatusCode::CREATED).await;
    assert_eq!(
        (placed["fulfillmentType"].clone(), placed["fulfillmentSource"].clone()),
        (json!("DeliveryByMerchant"), json!("context")),
        "{placed}"
    );
    assert_eq!(placed["delivery"]["latitude"], priced["delivery"]["latitude"]);

    // A saved address beyond the store's radius: the context takes it, validate says why not.
    let mut upstate = home(20.0);
    upstate["address1"] = json!("1 Yonkers Ave");
    let far = saved(&app, &ann, &upstate, StatusCode::CREATED).await;
    app.put(CONTEXT, &ann, &json!({"mode": "DeliveryByMerchant", "addressId": far})).await;
    let refused = json_of(app.post(VALIDATE, &ann, &order).await, StatusCode::OK).await;
    assert_eq!(refused["isValid"], false);
    assert_eq!(refused["errors"][0]["code"], "ADDRESS_OUT_OF_RANGE", "{refused}");

    // With an API key there is no context: fulfilmentType is required, as before.
    let problem =
        problem_of(app.post(VALIDATE, &shop.distribution, &order).await, StatusCode::BAD_REQUEST, "INVALID_REQUEST")
            .await;
    assert_eq!(paths(&problem), ["$.fulfillmentType"]);
}

#[tokio::test]
async fn a_context_needs_an_address_of_its_own_that_can_be_located() {
    let app = TestApp::spawn().await;
    let key = app.distribution_key().await;
    let anonymous = session(&app, &key, json!({})).await;
    let problem = problem_of(
        app.put(CONTEXT, &anonymous, &json!({"mode": "DeliveryByMerchant"})).await,
        StatusCode::BAD_REQUEST,
        "INVALID_REQUEST",
    )
    .await;
    assert_eq!(paths(&problem), ["$.addressId"]);
    let mut nowhere = home(0.0);
    nowhere.as_object_mut().unwrap().retain(|field, _| field != "latitude" && field != "longitude");
    nowhere["postalCode"] = json!("??");
    let unlocatable = saved(&app, &anonymous, &nowhere, StatusCode::CREATED).await;
    let body = json!({"mode": "DeliveryByMerchant", "addressId": unlocatable});
    problem_of(app.put(CONTEXT, &anonymous, &body).await, StatusCode::BAD_REQUEST, "ADDRESS_INVALID").await;
    // Saved again with its coordinates, it is the same address, now located.
    let mut located = nowhere.clone();
    located["latitude"] = json!(40.76);
    located["longitude"] = json!(-73.99);
    assert_eq!(saved(&app, &anonymous, &located, StatusCode::OK).await, unlocatable);
    let context = json_of(app.put(CONTEXT, &anonymous, &body).await, StatusCode::OK).await;
    assert_eq!(context["address"]["latitude"], json!(40.76));
    // Pickup needs no address; an anonymous session may keep a context.
    json_of(app.put(CONTEXT, &anonymous, &json!({"mode": "Pickup"})).await, StatusCode::OK).await;

    // Someone else's address is not found, like one that does not exist.
    let other = app.key("Another App", OrgKind::Distribution).await;
    let stranger = session(&app, &other, user("ann")).await;
    let theirs = saved(&app, &stranger, &home(0.0), StatusCode::CREATED).await;
    let body = json!({"mode": "DeliveryByMerchant", "addressId": theirs});
    problem_of(app.put(CONTEXT, &anonymous, &body).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let body = json!({"mode": "DeliveryByMerchant", "addressId": "not-an-id"});
    problem_of(app.put(CONTEXT, &anonymous, &body).await, StatusCode::BAD_REQUEST, "INVALID_REQUEST").await;
    problem_of(app.put(CONTEXT, &key, &json!({"mode": "Pickup"})).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
}
