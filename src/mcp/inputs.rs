//! The tools' arguments, as agents send them. Each type is its tool's input JSON Schema (by
//! `schemars`); a call whose arguments do not fit is refused by rmcp as a JSON-RPC error
//! (invalid params) before any tool runs.

use rmcp::schemars::{self, JsonSchema};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum Mode {
    Pickup,
    DeliveryByMerchant,
}

impl Mode {
    pub fn fulfillment(self) -> crate::domain::order::FulfillmentType {
        match self {
            Mode::Pickup => crate::domain::order::FulfillmentType::Pickup,
            Mode::DeliveryByMerchant => crate::domain::order::FulfillmentType::DeliveryByMerchant,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DiscoverStores {
    /// Latitude of the person (or of where they want the food), in degrees.
    #[schemars(range(min = -90.0, max = 90.0))]
    pub latitude: Option<f64>,
    /// Longitude, in degrees; give it with latitude.
    #[schemars(range(min = -180.0, max = 180.0))]
    pub longitude: Option<f64>,
    /// How far to look around the point, in kilometres (default 10).
    #[schemars(range(min = 0.0, max = 100.0))]
    pub radius_km: Option<f64>,
    /// Only stores offering this: delivery only where the point is inside the store's area.
    pub fulfillment_type: Option<Mode>,
    /// Free text over store names, cuisines and dish names; typos are forgiven.
    #[schemars(length(max = 200))]
    pub query: Option<String>,
    /// Only stores taking orders right now.
    pub open_now: Option<bool>,
    /// Only stores listing this cuisine.
    pub cuisine: Option<String>,
    /// Stores per page (default 10, at most 20).
    #[schemars(range(min = 1, max = 20))]
    pub limit: Option<i64>,
    /// Stores to skip, for the next page.
    #[schemars(range(min = 0))]
    pub offset: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetStore {
    /// The store's id, from discoverStores.
    pub store_id: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetCatalogSet {
    /// The store's catalogSetId, from discoverStores or getStore.
    pub catalog_set_id: String,
    /// One section in detail: descriptions and every modifier group with its options.
    pub section_id: Option<String>,
    /// These items in detail (at most 20), wherever they are on the menu.
    #[schemars(length(max = 20))]
    pub item_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewAddress {
    pub address1: String,
    pub address2: Option<String>,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, e.g. US.
    pub country: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SetFulfillmentContext {
    pub mode: Mode,
    /// One of the person's saved addresses (required for delivery unless `address` is given).
    pub address_id: Option<String>,
    /// A new address to save and use instead of `addressId`.
    pub address: Option<NewAddress>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmFulfillment {
    /// What the person said, when they said it in the conversation; leave it out to have the
    /// client ask them.
    pub mode: Option<Mode>,
    /// For delivery: the saved address they chose (default: the context's, else their latest).
    pub address_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SelectedModifier {
    pub item_id: String,
    #[schemars(range(min = 1))]
    pub quantity: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModifierChoice {
    pub modifier_group_id: String,
    pub selected_modifiers: Vec<SelectedModifier>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddToCart {
    /// The store the item is from. One cart holds one store's items.
    pub store_id: String,
    /// The store's menu (default: the one it sells from now).
    pub catalog_set_id: Option<String>,
    pub item_id: String,
    /// Default 1.
    #[schemars(range(min = 1, max = 99))]
    pub quantity: Option<i64>,
    /// Choices for the item's modifier groups; a group with a minimum must be filled.
    pub modifier_groups: Option<Vec<ModifierChoice>>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateCartItem {
    /// The line's id, from the cart.
    pub line_item_id: String,
    /// The new quantity; 0 removes the line.
    #[schemars(range(min = 0, max = 99))]
    pub quantity: i64,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RemoveFromCart {
    pub line_item_id: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CardOnFile {
    pub card_token: String,
    /// The processor holding the card: stripe, adyen, braintree, checkout or worldpay.
    pub processor_type: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlaceOrder {
    /// From validateOrder.
    pub validated_order_token: String,
    /// A saved card, from listPaymentMethods.
    pub payment_method_id: Option<String>,
    /// Or, for a partner set up for card interchange, its card on file.
    pub card_on_file: Option<CardOnFile>,
    /// The confirmationId a previous placeOrder answered, once the person said yes to its
    /// summary. Send it with the same token and card.
    pub confirmation_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetOrder {
    pub order_id: String,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListOrders {
    /// Orders per page (default 10, at most 50).
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<i64>,
    /// nextCursor of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CancelOrder {
    pub order_id: String,
    /// Why, in the person's words; the restaurant sees it.
    #[schemars(length(max = 500))]
    pub reason: Option<String>,
}
