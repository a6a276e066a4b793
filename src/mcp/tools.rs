//! The tools, each a thin call into a use case: arguments in (`inputs`), the use case's answer
//! out (`views`), its refusal as an `isError` result (`problems`). The caller and the
//! conversation come from the HTTP request the gate let through.

use super::inputs::{self, Mode};
use super::problems::{self, ToolProblem};
use super::views::{self, CartView, Discovered, Fulfillment, Menu, MenuPart, PlaceOutcome, StoreSheet};
use crate::app::conversations::{self, CartChange, Checkout, Payment};
use crate::app::error::AppError;
use crate::app::{addresses, catalog, lifecycle, orders, payment_methods, stores};
use crate::auth::Caller;
use crate::auth::budget::Budget;
use crate::domain::address::{AddressInput, ContextInput};
use crate::domain::cart::NewLine;
use crate::domain::cursor::ListKind;
use crate::domain::discovery::DiscoveryRequest;
use crate::domain::error_code::ErrorCode;
use crate::domain::order::{ModifierSelection, SelectedModifier};
use crate::state::AppState;
use axum::http::request::Parts;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::Extension;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{CallToolResponse, Implementation, ProtocolVersion, ServerCapabilities, ServerConfig};
use rmcp::schemars::{self, JsonSchema};
use rmcp::service::ElicitationError;
use rmcp::{Peer, RoleServer, ServerHandler, tool, tool_handler, tool_router};
use serde::Deserialize;
use std::borrow::Cow;
use uuid::Uuid;

/// The protocol versions served: those with an `initialize` handshake, whose sessions carry a
/// conversation (newer, session-less versions would have nowhere to keep a cart).
const VERSIONS: &[ProtocolVersion] = &[
    ProtocolVersion::V_2025_11_25,
    ProtocolVersion::V_2025_06_18,
    ProtocolVersion::V_2025_03_26,
    ProtocolVersion::V_2024_11_05,
];

const DISCOVERY_PAGE: i64 = 10;
const DISCOVERY_MAX: i64 = 20;
const ORDERS_PAGE: i64 = 10;

#[derive(Clone)]
pub struct Marketfront {
    state: AppState,
    tool_router: ToolRouter<Self>,
}

/// Who is calling and in which conversation (the gate has checked both).
struct Call {
    caller: Caller,
    conversation: String,
}

fn call(parts: &Parts) -> Result<Call, ToolProblem> {
    let caller = parts
        .extensions
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("a tool call without the gate's caller")))?;
    let conversation = parts
        .headers
        .get(super::SESSION_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string)
        .ok_or_else(|| AppError::new(ErrorCode::InvalidRequest, "Tools are called inside an MCP session."))?;
    Ok(Call { caller, conversation })
}

fn parse_id(raw: &str, code: ErrorCode, what: &str) -> Result<Uuid, ToolProblem> {
    Uuid::parse_str(raw.trim()).map_err(|_| AppError::new(code, format!("No {what} has id {raw:?}.")).into())
}

/// The person's answer to "pickup or delivery?". The choices are spelt out in the property
/// itself: an elicitation form allows no references to other schemas.
#[derive(Debug, Deserialize, JsonSchema)]
struct ModeAnswer {
    /// Pickup, or DeliveryByMerchant (delivered by the restaurant)
    #[schemars(extend("enum" = ["Pickup", "DeliveryByMerchant"]), with = "String")]
    mode: Mode,
}

/// The person's answer to the order summary.
#[derive(Debug, Deserialize, JsonSchema)]
struct PlaceAnswer {
    /// Yes, place and pay for this order
    confirm: bool,
}

rmcp::elicit_safe!(ModeAnswer, PlaceAnswer);

/// An elicitation that got no answer: the client cannot ask (it declared no elicitation), or
/// asking failed. Either way the agent is told to ask the person itself.
fn unanswered(error: &ElicitationError) {
    if !matches!(error, ElicitationError::CapabilityNotSupported) {
        tracing::info!(error = %error, "an elicitation got no answer; falling back to the agent");
    }
}

/// How long the person has to answer the client's question.
const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(300);

#[tool_router]
impl Marketfront {
    pub fn new(state: AppState) -> Self {
        Marketfront { state, tool_router: Self::tool_router() }
    }

    /// Write tools spend from the organisation's write budget too (every MCP request spends a
    /// read at the door), as the REST API's writes do.
    fn spend_write(&self, caller: &Caller) -> Result<(), ToolProblem> {
        let verdict = self.state.rate_limits.check(caller.organization_id, Budget::Write);
        if verdict.allowed {
            return Ok(());
        }
        Err(AppError::new(
            ErrorCode::RateLimited,
            format!("Your organisation has used its {} write requests a minute; retry later.", verdict.limit),
        )
        .with_retry_after(verdict.retry_after)
        .into())
    }

    #[tool(
        name = "discoverStores",
        description = "Find restaurants near a point and/or by free text (store names, cuisines, dishes; typos are forgiven), nearest and most relevant first. Filter by fulfillmentType (delivery only where the point is inside the store's area), openNow and cuisine. Each store carries its catalogSetId for getCatalogSet and, for a text query, the dishes that matched.",
        annotations(title = "Discover stores", read_only_hint = true, open_world_hint = false)
    )]
    async fn discover_stores(
        &self,
        Parameters(args): Parameters<inputs::DiscoverStores>,
        Extension(parts): Extension<Parts>,
    ) -> Result<Json<Discovered>, ToolProblem> {
        call(&parts)?;
        let offset = args.offset.unwrap_or(0);
        let request = DiscoveryRequest {
            latitude: args.latitude,
            longitude: args.longitude,
            radius_km: args.radius_km,
            fulfillment_type: args.fulfillment_type.map(|m| format!("{m:?}")),
            query: args.query,
            open_now: args.open_now,
            cuisine: args.cuisine,
            limit: Some(args.limit.unwrap_or(DISCOVERY_PAGE).clamp(1, DISCOVERY_MAX)),
            offset: Some(offset),
        };
        let found = stores::discover(&self.state, request).await?;
        Ok(Json(Discovered::of(found, offset, self.state.now())))
    }

    #[tool(
        name = "getStore",
        description = "One store in full: address, phone, time zone, whether it is taking orders now (and when it next opens), pickup and delivery (fee, radius), minimum order, preparation time, and its catalogSetId.",
        annotations(title = "Get a store", read_only_hint = true, open_world_hint = false)
    )]
    async fn get_store(
        &self,
        Parameters(args): Parameters<inputs::GetStore>,
        Extension(parts): Extension<Parts>,
    ) -> Result<Json<StoreSheet>, ToolProblem> {
        call(&parts)?;
        let id = parse_id(&args.store_id, ErrorCode::StoreNotFound, "store")?;
        let store = stores::get(&self.state, id).await?;
        Ok(Json(StoreSheet::of(&store, self.state.now())))
    }

    #[tool(
        name = "getCatalogSet",
        description = "A store's menu. By default compact: every section with its items' ids, names, prices and availability, and the modifier groups that must be chosen from (a very large menu lists its sections only). Give sectionId, or itemIds, for the detail: descriptions and every modifier group with its options' ids and prices, which addToCart needs.",
        annotations(title = "Read a menu", read_only_hint = true, open_world_hint = false)
    )]
    async fn get_catalog_set(
        &self,
        Parameters(args): Parameters<inputs::GetCatalogSet>,
        Extension(parts): Extension<Parts>,
    ) -> Result<Json<Menu>, ToolProblem> {
        call(&parts)?;
        let id = parse_id(&args.catalog_set_id, ErrorCode::CatalogsetNotFound, "catalog set")?;
        let menu = catalog::get(&self.state, id).await?;
        let part = match (&args.section_id, &args.item_ids) {
            (Some(section), _) => {
                if !menu.set.document.sections.contains_key(section) {
                    return Err(AppError::new(
                        ErrorCode::NotFound,
                        format!("The menu has no section {section:?}: use a sectionId from the compact menu."),
                    )
                    .into());
                }
                MenuPart::Section(section)
            }
            (None, Some(items)) => MenuPart::Items(items),
            (None, None) => MenuPart::Compact,
        };
        Ok(Json(Menu::of(&menu, part)))
    }

    #[tool(
        name = "setFulfillmentContext",
        description = "Set how the order will be fulfilled for this session: Pickup, or DeliveryByMerchant to a saved addressId (or a new address, saved for the person). Prices, delivery checks and validateOrder use it. Use confirmFulfillment instead when the person has not said which they want.",
        annotations(
            title = "Set pickup or delivery",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn set_fulfillment_context(
        &self,
        Parameters(args): Parameters<inputs::SetFulfillmentContext>,
        Extension(parts): Extension<Parts>,
    ) -> Result<Json<Fulfillment>, ToolProblem> {
        let Call { caller, conversation } = call(&parts)?;
        self.spend_write(&caller)?;
        let address_id = match args.address {
            Some(address) => {
                let input = AddressInput {
                    address1: Some(address.address1),
                    address2: address.address2,
                    city: Some(address.city),
                    state: Some(address.state),
                    postal_code: Some(address.postal_code),
                    country: Some(address.country),
                    latitude: address.latitude,
                    longitude: address.longitude,
                };
                let (saved, _) = addresses::save(&self.state, &caller, input).await?;
                Some(saved.address_id.to_string())
            }
            None => args.address_id,
        };
        let input = ContextInput { mode: args.mode.fulfillment(), address_id };
        let context = addresses::set_context(&self.state, &caller, input).await?;
        let confirmed = conversations::confirmed(&self.state, &conversation).await?;
        Ok(Json(Fulfillment::of(Some(&context), confirmed)))
    }

    #[tool(
        name = "confirmFulfillment",
        description = "Make sure the person chose pickup or delivery. With mode (what the person said), it is set and marked confirmed. Without it, the client asks the person (elicitation) where it can; otherwise the answer is awaitingMode: true, and you should ask them and call again with mode.",
        annotations(
            title = "Confirm pickup or delivery",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn confirm_fulfillment(
        &self,
        Parameters(args): Parameters<inputs::ConfirmFulfillment>,
        Extension(parts): Extension<Parts>,
        peer: Peer<RoleServer>,
    ) -> Result<Json<Fulfillment>, ToolProblem> {
        let Call { caller, conversation } = call(&parts)?;
        self.spend_write(&caller)?;
        let context = addresses::fallback_for(&self.state, &caller).await?;
        let mode = match args.mode {
            Some(mode) => mode,
            None => {
                let question = "How would you like to get your order: pickup, or delivery?";
                match peer.elicit_with_timeout::<ModeAnswer>(question, Some(ANSWER_WITHIN)).await {
                    Ok(Some(answer)) => answer.mode,
                    Ok(None) => return Ok(Json(Fulfillment::awaiting(context.as_ref()))),
                    Err(error) => {
                        unanswered(&error);
                        return Ok(Json(Fulfillment::awaiting(context.as_ref())));
                    }
                }
            }
        };
        let address_id = match (mode, args.address_id) {
            (_, Some(id)) => Some(id),
            (Mode::Pickup, None) => None,
            (Mode::DeliveryByMerchant, None) => match context.as_ref().and_then(|c| c.address_id) {
                Some(id) => Some(id.to_string()),
                None => addresses::list(&self.state, &caller).await?.last().map(|saved| saved.address_id.to_string()),
            },
        };
        if mode == Mode::DeliveryByMerchant && address_id.is_none() {
            let mut answer = Fulfillment::awaiting(context.as_ref());
            answer.guidance = Some(
                "The person wants delivery but has no saved address: ask for it, then call setFulfillmentContext with mode DeliveryByMerchant and address.".into(),
            );
            return Ok(Json(answer));
        }
        let input = ContextInput { mode: mode.fulfillment(), address_id };
        let context = conversations::confirm_fulfillment(&self.state, &caller, &conversation, input).await?;
        Ok(Json(Fulfillment::of(Some(&context), true)))
    }

    #[tool(
        name = "addToCart",
        description = "Add an item to this conversation's cart (one store per cart), with its quantity and modifier choices. Answers the whole cart priced (subtotal, fees, taxes, total) and anything that stands in the way of ordering it.",
        annotations(
            title = "Add to cart",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn add_to_cart(
        &self,
        Parameters(args): Parameters<inputs::AddToCart>,
        Extension(parts): Extension<Parts>,
    ) -> Result<Json<CartView>, ToolProblem> {
        let Call { caller, conversation } = call(&parts)?;
        self.spend_write(&caller)?;
        let line = NewLine {
            line_item_id: None,
            item_id: args.item_id,
            quantity: args.quantity.unwrap_or(1),
            modifier_groups: args
                .modifier_groups
                .unwrap_or_default()
                .into_iter()
                .map(|group| ModifierSelection {
                    modifier_group_id: group.modifier_group_id,
                    selected_modifiers: group
                        .selected_modifiers
                        .into_iter()
                        .map(|m| SelectedModifier {
                            item_id: m.item_id,
                            quantity: m.quantity.unwrap_or(1),
                            modifier_groups: Vec::new(),
                        })
                        .collect(),
                })
                .collect(),
        };
        let change = CartChange::Add { store_id: args.store_id, catalog_set_id: args.catalog_set_id, line };
        let priced = conversations::change_cart(&self.state, &caller, &conversation, change).await?;
        Ok(Json(CartView::of(&priced)))
    }

    #[tool(
        name = "updateCartItem",
        description = "Change the quantity of a cart line (by its lineItemId from the cart); 0 removes it. Answers the cart priced.",
        annotations(
            title = "Change a quantity",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn update_cart_item(
        &self,
        Parameters(args): Parameters<inputs::UpdateCartItem>,
        Extension(parts): Extension<Parts>,
    ) -> Result<Json<CartView>, ToolProblem> {
        let Call { caller, conversation } = call(&parts)?;
        self.spend_write(&caller)?;
        let change = CartChange::SetQuantity { line_item_id: args.line_item_id, quantity: args.quantity };
        let priced = conversations::change_cart(&self.state, &caller, &conversation, change).await?;
        Ok(Json(CartView::of(&priced)))
    }

    #[tool(
        name = "removeFromCart",
        description = "Remove a line from the cart (by its lineItemId). Answers the cart priced.",
        annotations(
            title = "Remove from cart",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn remove_from_cart(
        &self,
        Parameters(args): Parameters<inputs::RemoveFromCart>,
        Extension(parts): Extension<Parts>,
    ) -> Result<Json<CartView>, ToolProblem> {
        let Call { caller, conversation } = call(&parts)?;
        self.spend_write(&caller)?;
        let change = CartChange::Remove { line_item_id: args.line_item_id };
        let priced = conversations::change_cart(&self.state, &caller, &conversation, change).await?;
        Ok(Json(CartView::of(&priced)))
    }

    #[tool(
        name = "viewCart",
        description = "This conversation's cart, priced now for the session's pickup or delivery, with anything that stands in the way of ordering it.",
        annotations(title = "View the cart", read_only_hint = true, open_world_hint = false)
    )]
    async fn view_cart(&self, Extension(parts): Extension<Parts>) -> Result<Json<CartView>, ToolProblem> {
        let Call { caller, conversation } = call(&parts)?;
        let priced = conversations::cart(&self.state, &caller, &conversation).await?;
        Ok(Json(priced.as_ref().map_or_else(CartView::empty, CartView::of)))
    }

    #[tool(
        name = "validateOrder",
        description = "Check the cart against the live store and menu for the session's pickup or delivery, and price it exactly. When it is valid, the answer carries the validatedOrderToken placeOrder needs (valid for 15 minutes, for exactly this cart and total).",
        annotations(title = "Validate the order", read_only_hint = true, open_world_hint = false)
    )]
    async fn validate_order(&self, Extension(parts): Extension<Parts>) -> Result<Json<views::Validated>, ToolProblem> {
        let Call { caller, conversation } = call(&parts)?;
        let validated = conversations::validate(&self.state, &caller, &conversation).await?;
        let order: serde_json::Value = serde_json::from_str(&validated.priced).map_err(AppError::internal)?;
        let verdict = validated.verdict;
        Ok(Json(views::Validated {
            is_valid: verdict.is_valid,
            errors: verdict.errors.iter().filter_map(|p| serde_json::to_value(p).ok()).collect(),
            validated_order_token: verdict.validated_order_token,
            token_expires_at: verdict.token_expires_at,
            estimated_ready_at: verdict.estimated_ready_at,
            order,
        }))
    }

    #[tool(
        name = "placeOrder",
        description = "Place and pay for a validated order, only with the person's yes. The client shows the person the store, items, total and card and asks them (elicitation) where it can; otherwise the answer is status confirmation_required with a summary and a confirmationId: show the summary, and only after the person says yes call placeOrder again with the same arguments plus confirmationId. Pay with paymentMethodId (listPaymentMethods) or cardOnFile. Calling again with the same token never charges twice.",
        annotations(
            title = "Place the order",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn place_order(
        &self,
        Parameters(args): Parameters<inputs::PlaceOrder>,
        Extension(parts): Extension<Parts>,
        peer: Peer<RoleServer>,
    ) -> Result<Json<PlaceOutcome>, ToolProblem> {
        let Call { caller, conversation } = call(&parts)?;
        self.spend_write(&caller)?;
        let payment = match (args.payment_method_id, args.card_on_file) {
            (Some(payment_id), None) => Payment::SavedCard { payment_id },
            (None, Some(card)) => {
                Payment::CardOnFile { card_token: card.card_token, processor_type: card.processor_type }
            }
            _ => {
                return Err(AppError::new(
                    ErrorCode::PaymentMethodInvalid,
                    "Give exactly one of paymentMethodId (from listPaymentMethods) or cardOnFile.",
                )
                .into());
            }
        };
        let checkout = Checkout { validated_order_token: args.validated_order_token, payment };
        let summary = conversations::summarize(&self.state, &caller, &checkout).await?;
        // Already placed (an earlier call whose answer was lost): the same key answers it again.
        if summary.placed_order.is_none() {
            match &args.confirmation_id {
                Some(confirmation_id) => {
                    conversations::check_confirmation(&self.state, &conversation, confirmation_id, &checkout, &summary)
                        .await?;
                }
                None => {
                    let answer = peer.elicit_with_timeout::<PlaceAnswer>(summary.sentence(), Some(ANSWER_WITHIN)).await;
                    match &answer {
                        Ok(Some(PlaceAnswer { confirm: true })) => {}
                        Ok(Some(PlaceAnswer { confirm: false }))
                        | Err(ElicitationError::UserDeclined | ElicitationError::UserCancelled) => {
                            return Ok(Json(PlaceOutcome::declined(&summary)));
                        }
                        // No elicitation here (or no answer): the agent asks the person instead.
                        Ok(None) | Err(_) => {
                            if let Err(error) = &answer {
                                unanswered(error);
                            }
                            let pending =
                                conversations::await_confirmation(&self.state, &conversation, &checkout, &summary)
                                    .await?;
                            return Ok(Json(PlaceOutcome::confirmation_required(&summary, pending)));
                        }
                    }
                }
            }
        }
        let placed = conversations::place(&self.state, &caller, &checkout, summary.amounts.total).await?;
        let order = serde_json::from_slice(&placed.body).map_err(AppError::internal)?;
        Ok(Json(PlaceOutcome::placed(order, placed.replayed)))
    }

    #[tool(
        name = "getOrder",
        description = "An order placed in this session's name: its status (pending, confirmed, preparing, ready, inTransit; or completed, cancelled), history, items and amounts.",
        annotations(title = "Get an order", read_only_hint = true, open_world_hint = false)
    )]
    async fn get_order(
        &self,
        Parameters(args): Parameters<inputs::GetOrder>,
        Extension(parts): Extension<Parts>,
    ) -> Result<Json<views::OrderDocument>, ToolProblem> {
        let Call { caller, .. } = call(&parts)?;
        let id = parse_id(&args.order_id, ErrorCode::OrderNotFound, "order")?;
        let order = orders::get(&self.state, &caller, id).await?;
        Ok(Json(views::OrderDocument { order: serde_json::to_value(order).map_err(AppError::internal)? }))
    }

    #[tool(
        name = "listOrders",
        description = "The person's orders, newest first, a page at a time (cursor: the previous page's nextCursor).",
        annotations(title = "List orders", read_only_hint = true, open_world_hint = false)
    )]
    async fn list_orders(
        &self,
        Parameters(args): Parameters<inputs::ListOrders>,
        Extension(parts): Extension<Parts>,
    ) -> Result<Json<views::OrderList>, ToolProblem> {
        let Call { caller, .. } = call(&parts)?;
        let limit = Some(args.limit.unwrap_or(ORDERS_PAGE));
        let page = crate::app::list_page(limit, None, args.cursor.as_deref(), ListKind::Orders)?;
        let listed = orders::list(&self.state, &caller, page).await?;
        let orders = listed.items.into_iter().filter_map(|order| serde_json::to_value(order).ok()).collect();
        Ok(Json(views::OrderList { orders, has_more: listed.has_more, next_cursor: listed.next_cursor }))
    }

    #[tool(
        name = "listPaymentMethods",
        description = "The person's saved cards (brand, last four digits, expiry), each with the paymentMethodId placeOrder takes.",
        annotations(title = "List saved cards", read_only_hint = true, open_world_hint = false)
    )]
    async fn list_payment_methods(
        &self,
        Extension(parts): Extension<Parts>,
    ) -> Result<Json<views::PaymentMethods>, ToolProblem> {
        let Call { caller, .. } = call(&parts)?;
        let saved = payment_methods::list(&self.state, &caller).await?;
        let guidance = saved.is_empty().then(|| {
            "The person has no saved card: they add one in the partner's app; you cannot take card numbers.".to_string()
        });
        Ok(Json(views::PaymentMethods {
            payment_methods: saved
                .into_iter()
                .map(|s| views::SavedCardView {
                    payment_method_id: s.payment_id.to_string(),
                    brand: s.card.brand.to_string(),
                    last_four: s.card.last_four.clone(),
                    expiration: s.card.expiration(),
                })
                .collect(),
            guidance,
        }))
    }

    #[tool(
        name = "cancelOrder",
        description = "Cancel an order the person placed, while the restaurant has not started on it (status pending or confirmed): the payment is released and the restaurant told. Later it is refused with INVALID_STATUS_TRANSITION naming the status. Cancelling again answers the cancelled order.",
        annotations(
            title = "Cancel an order",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn cancel_order(
        &self,
        Parameters(args): Parameters<inputs::CancelOrder>,
        Extension(parts): Extension<Parts>,
    ) -> Result<Json<views::OrderDocument>, ToolProblem> {
        let Call { caller, .. } = call(&parts)?;
        self.spend_write(&caller)?;
        crate::auth::require_user(&caller, "Cancelling an order")?;
        let id = parse_id(&args.order_id, ErrorCode::OrderNotFound, "order")?;
        let order = lifecycle::cancel_by_partner(&self.state, &caller, id, args.reason).await?;
        Ok(Json(views::OrderDocument { order: serde_json::to_value(order).map_err(AppError::internal)? }))
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Marketfront {
    /// The router's answer, with arguments that do not fit the tool's schema told as every other
    /// refusal is (rmcp answers them as an error result with text only).
    async fn call_tool(
        &self,
        request: rmcp::model::CallToolRequestParams,
        context: rmcp::service::RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, rmcp::ErrorData> {
        let call = rmcp::handler::server::tool::ToolCallContext::new(self, request, context);
        let response = self.tool_router.call(call).await?;
        Ok(match response {
            CallToolResponse::Complete(result) => CallToolResponse::Complete(problems::unfit_arguments(result)),
            other => other,
        })
    }

    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("marketfront", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Order food for the person from local restaurants. Typical flow: discoverStores → getCatalogSet → \
                 confirmFulfillment (pickup or delivery) → addToCart → validateOrder → listPaymentMethods → \
                 placeOrder. placeOrder never charges without the person's yes. A refused call answers isError \
                 with errorCode, retryable and guidance: follow the guidance.",
            )
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(VERSIONS)
    }
}
