//! `/v1/webhooks/…`: a partner's endpoints and its deliveries.

use crate::domain::cursor::ListKind;
use crate::http::auth::Partner;
use crate::http::extract::{JsonBody, QueryParams, parse_id};

use crate::app::error::AppResult;
use crate::app::webhooks::{self, DeliveryView, EndpointView, NewEndpoint};
use crate::domain::error_code::ErrorCode;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/webhooks/endpoints", get(list_endpoints).post(create_endpoint))
        .route("/v1/webhooks/endpoints/{endpoint_id}", delete(delete_endpoint))
        .route("/v1/webhooks/endpoints/{endpoint_id}/rotate-secret", post(rotate_endpoint_secret))
        .route("/v1/webhooks/endpoints/{endpoint_id}/enable", post(enable_endpoint))
        .route("/v1/webhooks/deliveries", get(list_deliveries))
        .route("/v1/webhooks/deliveries/replay", post(replay_dead_deliveries))
        .route("/v1/webhooks/deliveries/{delivery_id}/replay", post(replay_delivery))
}

async fn create_endpoint(
    State(state): State<AppState>,
    Partner(caller): Partner,
    JsonBody(new): JsonBody<NewEndpoint>,
) -> AppResult<(StatusCode, Json<EndpointView>)> {
    Ok((StatusCode::CREATED, Json(webhooks::register(&state, &caller, new).await?)))
}

async fn list_endpoints(State(state): State<AppState>, Partner(caller): Partner) -> AppResult<Json<Value>> {
    Ok(Json(json!({"endpoints": webhooks::list(&state, &caller).await?})))
}

async fn delete_endpoint(
    State(state): State<AppState>,
    Partner(caller): Partner,
    Path(raw): Path<String>,
) -> AppResult<StatusCode> {
    let id = parse_id(&raw, ErrorCode::NotFound, "webhook endpoint")?;
    webhooks::delete(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rotation {
    /// How long the old secret keeps signing too (default 24).
    #[serde(default)]
    overlap_hours: Option<i64>,
}

async fn rotate_endpoint_secret(
    State(state): State<AppState>,
    Partner(caller): Partner,
    Path(raw): Path<String>,
    JsonBody(rotation): JsonBody<Rotation>,
) -> AppResult<Json<EndpointView>> {
    let id = parse_id(&raw, ErrorCode::NotFound, "webhook endpoint")?;
    Ok(Json(webhooks::rotate(&state, &caller, id, rotation.overlap_hours.unwrap_or(24)).await?))
}

async fn enable_endpoint(
    State(state): State<AppState>,
    Partner(caller): Partner,
    Path(raw): Path<String>,
) -> AppResult<Json<EndpointView>> {
    let id = parse_id(&raw, ErrorCode::NotFound, "webhook endpoint")?;
    Ok(Json(webhooks::enable(&state, &caller, id).await?))
}

#[derive(Debug, Deserialize)]
struct DeliveryQuery {
    state: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
    cursor: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DeliveryPage {
    deliveries: Vec<DeliveryView>,
    total_count: i64,
    total_count_exact: bool,
    has_more: bool,
    next_cursor: Option<String>,
}

async fn list_deliveries(
    State(state): State<AppState>,
    Partner(caller): Partner,
    QueryParams(query): QueryParams<DeliveryQuery>,
) -> AppResult<Json<DeliveryPage>> {
    let page = crate::app::list_page(query.limit, query.offset, query.cursor.as_deref(), ListKind::Deliveries)?;
    let listed = webhooks::deliveries(&state, &caller, query.state.as_deref(), page).await?;
    Ok(Json(DeliveryPage {
        deliveries: listed.items,
        total_count: listed.total,
        total_count_exact: listed.total_exact,
        has_more: listed.has_more,
        next_cursor: listed.next_cursor,
    }))
}

async fn replay_delivery(
    State(state): State<AppState>,
    Partner(caller): Partner,
    Path(raw): Path<String>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let id = parse_id(&raw, ErrorCode::NotFound, "webhook delivery")?;
    let count = webhooks::replay(&state, &caller, Some(id)).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"replayed": count}))))
}

/// Every dead delivery of the organisation, again.
async fn replay_dead_deliveries(
    State(state): State<AppState>,
    Partner(caller): Partner,
) -> AppResult<(StatusCode, Json<Value>)> {
    let count = webhooks::replay(&state, &caller, None).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"replayed": count}))))
}
