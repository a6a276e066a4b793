use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn a_pushed_catalog_set_is_served_to_distribution_partners() {
    let app = TestApp::spawn().await;
    let commerce = app.commerce_key().await;
    let distribution = app.distribution_key().await;
    let store = app.store_with_menu(&commerce, &store_body("Menu House")).await;
    let set_id = Uuid::now_v7();
    let path = format!("/v1/commerce/stores/{store}/catalog-set");

    let pushed = json_of(app.put(&path, &commerce, &catalog_body(set_id)).await, StatusCode::CREATED).await;
    assert_eq!(pushed["catalogSetId"], set_id.to_string());
    assert_eq!(pushed["version"], 1);

    let read =
        json_of(app.get(&format!("/v1/marketplace/catalog-sets/{set_id}"), &distribution).await, StatusCode::OK).await;
    assert_eq!(read["storeId"], store.to_string());
    assert_eq!(read["items"]["margherita"]["basePrice"].to_string(), "12.50");
    assert_eq!(read["items"]["calzone"]["available"], false);
    assert_eq!(read["items"]["large"]["available"], true, "available defaults to true");
    assert_eq!(read["modifierGroups"]["size"]["minSelections"], 1);
    assert_eq!(read["sections"]["pizzas"]["sectionIds"], json!(["specials"]));

    let store_view =
        json_of(app.get(&format!("/v1/marketplace/stores/{store}"), &distribution).await, StatusCode::OK).await;
    assert_eq!(store_view["catalogSetId"], set_id.to_string());

    // Pushing the same id again replaces it in place.
    let mut cheaper = catalog_body(set_id);
    cheaper["items"]["margherita"]["basePrice"] = json!(11);
    let again = json_of(app.put(&path, &commerce, &cheaper).await, StatusCode::OK).await;
    assert_eq!(again["version"], 2);
    assert_eq!(again["items"]["margherita"]["basePrice"].to_string(), "11.00");
}

#[tokio::test]
async fn a_set_with_problems_is_refused_whole_and_the_old_set_stays_live() {
    let app = TestApp::spawn().await;
    let commerce = app.commerce_key().await;
    let distribution = app.distribution_key().await;
    let store = app.store_with_menu(&commerce, &store_body("Careful Kitchen")).await;
    let live =
        json_of(app.get(&format!("/v1/commerce/stores/{store}/catalog-set"), &commerce).await, StatusCode::OK).await;
    let live_id = live["catalogSetId"].as_str().unwrap().to_string();

    let mut bad = catalog_body(Uuid::now_v7());
    bad["currency"] = json!("ZZZ");
    bad["items"]["margherita"]["modifierGroupIds"] = json!(["size", "ghost-group", "size"]);
    bad["items"]["large"]["itemId"] = json!("LARGE");
    bad["items"]["basil"]["basePrice"] = json!(-0.5);
    bad["modifierGroups"]["toppings"]["minSelections"] = json!(3);
    bad["sections"]["specials"]["sectionIds"] = json!(["pizzas"]);
    bad["catalogs"]["main"]["availability"] = json!([{"dayOfWeek": "Monday", "start": "25:00:00", "end": "10:00:00"}]);
    bad["catalogs"]["main"]["sectionIds"] = json!(["pizzas", "desserts"]);

    let response = app.put(&format!("/v1/commerce/stores/{store}/catalog-set"), &commerce, &bad).await;
    let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let mut found: Vec<(String, String)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["code"].as_str().unwrap().to_string(), e["jsonPath"].as_str().unwrap().to_string()))
        .collect();
    found.sort();
    let mut expected: Vec<(String, String)> = [
        ("UNKNOWN_CURRENCY", "$.currency"),
        ("DANGLING_REFERENCE", "$.catalogs.main.sectionIds[1]"),
        ("INVALID_TIME_WINDOW", "$.catalogs.main.availability[0].start"),
        ("KEY_MISMATCH", "$.items.large.itemId"),
        ("NEGATIVE_AMOUNT", "$.items.basil.basePrice"),
        ("DANGLING_REFERENCE", "$.items.margherita.modifierGroupIds[1]"),
        ("DUPLICATE_REFERENCE", "$.items.margherita.modifierGroupIds[2]"),
        ("INVALID_SELECTION_RANGE", "$.modifierGroups.toppings.minSelections"),
        ("CYCLIC_REFERENCE", "$.sections.specials.sectionIds[0]"),
    ]
    .iter()
    .map(|(c, p)| (c.to_string(), p.to_string()))
    .collect();
    expected.sort();
    assert_eq!(found, expected);

    let still =
        json_of(app.get(&format!("/v1/marketplace/catalog-sets/{live_id}"), &distribution).await, StatusCode::OK).await;
    assert_eq!(still, live, "the previous set is served unchanged");
}

#[tokio::test]
async fn a_set_under_a_new_id_replaces_the_old_one() {
    let app = TestApp::spawn().await;
    let commerce = app.commerce_key().await;
    let distribution = app.distribution_key().await;
    let store = app.store_with_menu(&commerce, &store_body("Seasonal")).await;
    let old =
        json_of(app.get(&format!("/v1/commerce/stores/{store}/catalog-set"), &commerce).await, StatusCode::OK).await;
    let new_id = Uuid::now_v7();
    json_of(
        app.put(&format!("/v1/commerce/stores/{store}/catalog-set"), &commerce, &catalog_body(new_id)).await,
        StatusCode::CREATED,
    )
    .await;
    let old_path = format!("/v1/marketplace/catalog-sets/{}", old["catalogSetId"].as_str().unwrap());
    problem_of(app.get(&old_path, &distribution).await, StatusCode::NOT_FOUND, "CATALOGSET_NOT_FOUND").await;
    json_of(app.get(&format!("/v1/marketplace/catalog-sets/{new_id}"), &distribution).await, StatusCode::OK).await;
}

#[tokio::test]
async fn a_catalog_set_id_cannot_be_taken_from_another_store() {
    let app = TestApp::spawn().await;
    let commerce = app.commerce_key().await;
    let first = app.store_with_menu(&commerce, &store_body("First")).await;
    let second = app.store_with_menu(&commerce, &store_body("Second")).await;
    let first_set =
        json_of(app.get(&format!("/v1/commerce/stores/{first}/catalog-set"), &commerce).await, StatusCode::OK).await;
    let taken: Uuid = first_set["catalogSetId"].as_str().unwrap().parse().unwrap();
    let response = app.put(&format!("/v1/commerce/stores/{second}/catalog-set"), &commerce, &catalog_body(taken)).await;
    let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_eq!(paths(&problem), ["$.catalogSetId"]);
}

#[tokio::test]
async fn a_set_in_another_currency_than_the_store_is_refused() {
    let app = TestApp::spawn().await;
    let commerce = app.commerce_key().await;
    let store = app.store_with_menu(&commerce, &store_body("Dollars Only")).await;
    let mut euros = catalog_body(Uuid::now_v7());
    euros["currency"] = json!("EUR");
    let response = app.put(&format!("/v1/commerce/stores/{store}/catalog-set"), &commerce, &euros).await;
    let problem = problem_of(response, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_eq!(problem["errors"][0]["code"], "CURRENCY_MISMATCH");
}

#[tokio::test]
async fn an_unknown_catalog_set_is_404() {
    let app = TestApp::spawn().await;
    let key = app.distribution_key().await;
    let path = format!("/v1/marketplace/catalog-sets/{}", Uuid::now_v7());
    problem_of(app.get(&path, &key).await, StatusCode::NOT_FOUND, "CATALOGSET_NOT_FOUND").await;
}
