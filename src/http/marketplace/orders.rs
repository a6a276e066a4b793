//! `/v1/marketplace/orders/…`: pricing, placing and reading orders.

use crate::auth::budget::Budget;
use crate::domain::cursor::ListKind;
use crate::http::auth::{Distribution, spends};
use crate::http::context::RequestContext;
use crate::http::extract::{JsonBody, JsonDocument, QueryParams, parse_id};

use crate::app::error::{AppError, AppResult};
use crate::app::place::{self, PlaceCommand};
use crate::app::{orders, validate};
use crate::domain::error_code::ErrorCode;
use crate::domain::idempotency::{self, KeyProblem};
use crate::domain::order::{OrderInput, OrderView, PlaceRequest, ValidatedOrder};
use crate::http::problem::IDEMPOTENT_REPLAYED;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/marketplace/orders/validate", post(validate_order).layer(spends(Budget::Read)))
        .route("/v1/marketplace/orders/place", post(place_order))
        .route("/v1/marketplace/orders", get(list_orders))
        .route("/v1/marketplace/orders/{order_id}", get(get_order))
}

/// 200 with the priced order; business problems are inline (`isValid: false`, `errors[]`).
async fn validate_order(
    State(state): State<AppState>,
    Distribution(caller): Distribution,
    Extension(context): Extension<RequestContext>,
    JsonBody(order): JsonBody<OrderInput>,
) -> AppResult<ValidatedOrder> {
    let mut validated = validate::validate(&state, &caller, order).await?;
    if !validated.verdict.is_valid {
        // The transport's trace, so that support can find an invalid cart's request.
        validated.verdict.trace_id = Some(context.trace_id);
    }
    Ok(validated)
}

impl IntoResponse for ValidatedOrder {
    fn into_response(self) -> Response {
        match self.to_json() {
            Ok(body) => ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response(),
            Err(error) => AppError::internal(error).into_response(),
        }
    }
}

const IDEMPOTENCY_KEY: &str = "idempotency-key";
const IDEMPOTENCY_EXPIRES: HeaderName = HeaderName::from_static("idempotency-expires");

/// 201 with the placed order, or its replay; see `app::place` for the steps.
async fn place_order(
    State(state): State<AppState>,
    Distribution(caller): Distribution,
    headers: HeaderMap,
    JsonDocument(request, body): JsonDocument<PlaceRequest>,
) -> AppResult<Response> {
    let key =
        idempotency::parse_key(headers.get(IDEMPOTENCY_KEY).and_then(|v| v.to_str().ok())).map_err(|problem| {
            match problem {
                KeyProblem::Missing => AppError::new(
                    ErrorCode::MissingIdempotencyKey,
                    "The Idempotency-Key header is required: a fresh UUID v4 per order, the same on every retry.",
                ),
                KeyProblem::Invalid => {
                    AppError::new(ErrorCode::InvalidIdempotencyKey, "The Idempotency-Key header must be a UUID v4.")
                }
            }
        })?;
    let fingerprint = idempotency::fingerprint(&body);
    let placed = place::place(&state, &caller, PlaceCommand { key, fingerprint, request }).await?;
    let mut response = (StatusCode::CREATED, placed.body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(location) = HeaderValue::from_str(&order_location(placed.order_id)) {
        headers.insert(header::LOCATION, location);
    }
    if placed.replayed {
        headers.insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    if let Ok(ttl) = HeaderValue::from_str(&state.config.idempotency_ttl.as_secs().to_string()) {
        // Seconds the key is kept for replay (the draft's Idempotency-Expires, as a duration).
        headers.insert(IDEMPOTENCY_EXPIRES, ttl);
    }
    Ok(response)
}

fn order_location(order_id: uuid::Uuid) -> String {
    format!("/v1/marketplace/orders/{order_id}")
}

async fn get_order(
    State(state): State<AppState>,
    Distribution(caller): Distribution,
    Path(raw): Path<String>,
) -> AppResult<Json<OrderView>> {
    let id = parse_id(&raw, ErrorCode::OrderNotFound, "order")?;
    Ok(Json(orders::get(&state, &caller, id).await?))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    limit: Option<i64>,
    offset: Option<i64>,
    cursor: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderPage {
    orders: Vec<OrderView>,
    total_count: i64,
    total_count_exact: bool,
    has_more: bool,
    next_cursor: Option<String>,
}

async fn list_orders(
    State(state): State<AppState>,
    Distribution(caller): Distribution,
    QueryParams(query): QueryParams<ListQuery>,
) -> AppResult<(StatusCode, Json<OrderPage>)> {
    let page = crate::app::list_page(query.limit, query.offset, query.cursor.as_deref(), ListKind::Orders)?;
    let listed = orders::list(&state, &caller, page).await?;
    Ok((
        StatusCode::OK,
        Json(OrderPage {
            orders: listed.items,
            total_count: listed.total,
            total_count_exact: listed.total_exact,
            has_more: listed.has_more,
            next_cursor: listed.next_cursor,
        }),
    ))
}
