//! The ExternalOrder as partners send it to validate and place, and the amounts the server
//! computes for it.

use super::lifecycle::{State, Status};
use super::problem::Problem;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An order as validate receives it: `fulfillmentType` (and a delivery's address) may be left
/// out when a session's fulfilment context says them (`domain::address::fill`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderInput {
    pub cart: Cart,
    #[serde(default)]
    pub fulfillment_type: Option<FulfillmentType>,
    #[serde(default)]
    pub delivery: Option<Delivery>,
    #[serde(default)]
    pub customer: Option<Customer>,
    #[serde(default)]
    pub amounts: Option<AmountsInput>,
    #[serde(default)]
    pub payment: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    pub validated_order_token: Option<String>,
}

impl OrderInput {
    /// The order with its fulfilment settled.
    pub fn settled(self, fulfillment_type: FulfillmentType, delivery: Option<Delivery>) -> OrderRequest {
        OrderRequest {
            cart: self.cart,
            fulfillment_type,
            delivery,
            customer: self.customer,
            amounts: self.amounts,
            payment: self.payment,
            validated_order_token: self.validated_order_token,
        }
    }
}

/// An order with its fulfilment settled: what the rules price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRequest {
    pub cart: Cart,
    pub fulfillment_type: FulfillmentType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amounts: Option<AmountsInput>,
    /// Used by place; kept as sent so validate can ignore it (but an object, as the spec says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<serde_json::Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validated_order_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cart {
    /// Strings, not UUIDs, so that an id that cannot exist is "not found" rather than malformed.
    pub store_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_set_id: Option<String>,
    #[serde(default)]
    pub line_items: Vec<LineItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    pub line_item_id: String,
    pub item_id: String,
    pub quantity: i64,
    #[serde(default)]
    pub modifier_groups: Vec<ModifierSelection>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModifierSelection {
    pub modifier_group_id: String,
    #[serde(default)]
    pub selected_modifiers: Vec<SelectedModifier>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SelectedModifier {
    pub item_id: String,
    #[serde(default = "one")]
    pub quantity: i64,
    /// A modifier may have modifier groups of its own ("extra cheese" → "which cheese").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifier_groups: Vec<ModifierSelection>,
}

fn one() -> i64 {
    1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "text")]
pub enum FulfillmentType {
    Pickup,
    DeliveryByMerchant,
}

impl FulfillmentType {
    /// The wire spelling, the one parser of it (query strings, stored rows).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "Pickup" => Some(FulfillmentType::Pickup),
            "DeliveryByMerchant" => Some(FulfillmentType::DeliveryByMerchant),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

/// What the partner may send in `amounts`: the tip (validate) and the total it showed (place).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AmountsInput {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::money::json_number::option::deserialize"
    )]
    pub tip: Option<Decimal>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::money::json_number::option::deserialize"
    )]
    pub total: Option<Decimal>,
}

/// One entry of a breakdown, e.g. `{type: "delivery", amount: 3.99}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Charge {
    #[serde(rename = "type")]
    pub kind: String,
    pub amount: Decimal,
}

/// The server's price of an order. Invariants (checked by property tests):
/// `total = subTotal + fees − promotions + taxes + adjustments + tip`, and each breakdown sums
/// to its parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Amounts {
    pub currency: String,
    pub sub_total: Decimal,
    pub fees: Decimal,
    pub fees_breakdown: Vec<Charge>,
    pub taxes: Decimal,
    pub taxes_breakdown: Vec<Charge>,
    /// A discount, as a positive number.
    pub promotions: Decimal,
    pub adjustments: Decimal,
    pub tip: Decimal,
    pub total: Decimal,
}

/// What a validatedOrderToken stands for: the order as validated and its price. Place checks the
/// live store and menu against it and charges exactly what it re-prices to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PricedOrder {
    pub cart: Cart,
    pub fulfillment_type: FulfillmentType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
    pub amounts: Amounts,
    #[serde(default)]
    pub fulfillment_source: super::address::FulfillmentSource,
}

/// The order as validate priced it, borrowed from the request: the first half of validate's
/// answer, and, for a valid order, the token's snapshot. Serialised once and used for both (a
/// valid order's JSON here is a `PricedOrder`'s, which place reads back).
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PricedOrderRef<'a> {
    pub cart: &'a Cart,
    pub fulfillment_type: FulfillmentType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<&'a Delivery>,
    /// `null` when some line could not be priced.
    pub amounts: Option<&'a Amounts>,
    /// Whether the fulfilment priced was the request's or the session's fulfilment context's.
    pub fulfillment_source: super::address::FulfillmentSource,
}

/// The second half of validate's answer: the verdict and what comes with it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    pub is_valid: bool,
    pub errors: Vec<Problem>,
    pub validated_order_token: Option<String>,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub estimated_ready_at: Option<DateTime<Utc>>,
    /// Present only when there are errors, so a support agent can find the trace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

/// The answer to validate: the order as sent, with the server's fields filled in.
#[derive(Debug, Clone)]
pub struct ValidatedOrder {
    /// A `PricedOrderRef` as JSON text.
    pub priced: String,
    pub verdict: Verdict,
}

impl ValidatedOrder {
    /// The answer's JSON: one object holding the priced order's members, then the verdict's.
    pub fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        let verdict = serde_json::to_vec(&self.verdict)?;
        let mut body = Vec::with_capacity(self.priced.len() + verdict.len());
        body.extend_from_slice(self.priced.as_bytes());
        // `{…priced…}` + `{…verdict…}` → `{…priced…,…verdict…}`: both are objects serde wrote,
        // and neither is empty (a cart and `isValid` are always there).
        debug_assert!(body.last() == Some(&b'}') && verdict.first() == Some(&b'{'));
        body.pop();
        body.push(b',');
        body.extend_from_slice(&verdict[1..]);
        Ok(body)
    }
}

/// The body of place: the token, how to pay, who the customer is and the total the customer
/// was shown. The cart, fulfilment and delivery may be sent again (the same ExternalOrder as
/// validate); when they are, they must be what the token was issued for.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaceRequest {
    #[serde(default)]
    pub cart: Option<Cart>,
    #[serde(default)]
    pub fulfillment_type: Option<FulfillmentType>,
    #[serde(default)]
    pub delivery: Option<Delivery>,
    #[serde(default)]
    pub customer: Option<Customer>,
    #[serde(default)]
    pub amounts: Option<AmountsInput>,
    #[serde(default)]
    pub payment: Option<PaymentInput>,
    #[serde(default)]
    pub validated_order_token: Option<String>,
}

/// `payment` as sent: exactly one member must be present.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentInput {
    #[serde(default)]
    pub card_on_file: Option<CardOnFileInput>,
    #[serde(default)]
    pub gett_payment: Option<Value>,
    #[serde(default)]
    pub saved_card: Option<SavedCardInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardOnFileInput {
    #[serde(default)]
    pub card_token: Option<String>,
    #[serde(default)]
    pub processor_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedCardInput {
    #[serde(default)]
    pub payment_id: Option<String>,
}

/// A checked payment method, as stored with the order (a card token is the partner's or
/// processor's reference to a card, never card data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum PaymentMethod {
    CardOnFile {
        card_token: String,
        processor_type: String,
    },
    GettPayment,
    /// `vault_reference` is filled in by place from the saved card (never sent by a partner).
    SavedCard {
        payment_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        vault_reference: Option<String>,
    },
}

impl PaymentMethod {
    pub fn kind(&self) -> &'static str {
        match self {
            PaymentMethod::CardOnFile { .. } => "cardOnFile",
            PaymentMethod::GettPayment => "gettPayment",
            PaymentMethod::SavedCard { .. } => "savedCard",
        }
    }
}

/// Where an order is in being placed: only a `placed` order is ever shown to a partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Placement {
    AwaitingPayment,
    Placed,
    Failed,
}

/// The authorisation's state: `pending` until the processor answers, then `authorized`
/// (later `captured` or `voided`) or `declined`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum PaymentState {
    Pending,
    Authorized,
    Declined,
    Voided,
    Captured,
    Refunded,
}

impl PaymentState {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::Pending => "pending",
            PaymentState::Authorized => "authorized",
            PaymentState::Declined => "declined",
            PaymentState::Voided => "voided",
            PaymentState::Captured => "captured",
            PaymentState::Refunded => "refunded",
        }
    }
}

/// The payment summary shown on an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentSummary {
    pub method: String,
    pub state: PaymentState,
    pub amount: Decimal,
    pub currency: String,
}

/// A placed order as partners read it: the ExternalOrder with the server's fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    pub gett_order_id: uuid::Uuid,
    pub cart: Cart,
    pub fulfillment_type: FulfillmentType,
    /// Whether the fulfilment was the order's own or its session's fulfilment context's.
    pub fulfillment_source: super::address::FulfillmentSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
    pub customer: Customer,
    pub amounts: Amounts,
    pub payment: PaymentSummary,
    pub is_valid: bool,
    pub errors: Vec<Problem>,
    pub state: State,
    pub status: Status,
    pub version: i64,
    pub placed_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_ready_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
    /// Every version of the order, oldest first.
    pub history: Vec<HistoryEntry>,
}

/// One version of an order: what it was, who made it so, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub version: i64,
    pub state: State,
    pub status: Status,
    pub payment_state: PaymentState,
    /// `marketfront`, or the commerce organisation's id.
    pub changed_by: String,
    pub changed_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use serde_json::json;

    fn request() -> OrderRequest {
        serde_json::from_value(json!({
            "cart": {"storeId": "s", "catalogSetId": "c", "lineItems": [
                {"lineItemId": "l1", "itemId": "pizza", "quantity": 2, "modifierGroups": [
                    {"modifierGroupId": "size", "selectedModifiers": [{"itemId": "large", "quantity": 1}]}
                ]}
            ]},
            "fulfillmentType": "DeliveryByMerchant",
            "delivery": {"address": "1 Main St", "postalCode": "10001", "latitude": 40.75, "longitude": -73.99},
            "customer": {"firstName": "Ada"}
        }))
        .unwrap()
    }

    fn amounts() -> Amounts {
        let charge = |kind: &str, amount| Charge { kind: kind.to_string(), amount };
        Amounts {
            currency: "USD".into(),
            sub_total: dec!(30.00),
            fees: dec!(3.99),
            fees_breakdown: vec![charge("delivery", dec!(3.99))],
            taxes: dec!(2.66),
            taxes_breakdown: vec![charge("sales", dec!(2.66))],
            promotions: dec!(0.00),
            adjustments: dec!(0.00),
            tip: dec!(1.10),
            total: dec!(37.75),
        }
    }

    #[test]
    fn a_priced_orders_text_reads_back_as_the_snapshot_place_uses() {
        let order = request();
        let amounts = amounts();
        let priced = PricedOrderRef {
            cart: &order.cart,
            fulfillment_type: order.fulfillment_type,
            delivery: order.delivery.as_ref(),
            amounts: Some(&amounts),
            fulfillment_source: crate::domain::address::FulfillmentSource::Context,
        };
        let snapshot: PricedOrder = serde_json::from_str(&serde_json::to_string(&priced).unwrap()).unwrap();
        assert_eq!(
            snapshot,
            PricedOrder {
                cart: order.cart,
                fulfillment_type: order.fulfillment_type,
                delivery: order.delivery,
                amounts,
                fulfillment_source: crate::domain::address::FulfillmentSource::Context,
            }
        );
    }

    #[test]
    fn the_answer_is_one_object_of_both_halves() {
        let order = request();
        let priced = PricedOrderRef {
            cart: &order.cart,
            fulfillment_type: order.fulfillment_type,
            delivery: None,
            amounts: None,
            fulfillment_source: crate::domain::address::FulfillmentSource::Request,
        };
        let answer = ValidatedOrder {
            priced: serde_json::to_string(&priced).unwrap(),
            verdict: Verdict {
                customer: order.customer.clone(),
                is_valid: false,
                errors: vec![Problem::at("CART_EMPTY", "$.cart.lineItems", "the cart has no items")],
                validated_order_token: None,
                token_expires_at: None,
                estimated_ready_at: None,
                trace_id: Some("abc".into()),
            },
        };
        let joined: Value = serde_json::from_slice(&answer.to_json().unwrap()).unwrap();
        let mut expected = serde_json::to_value(priced).unwrap();
        let Value::Object(verdict) = serde_json::to_value(&answer.verdict).unwrap() else { unreachable!() };
        expected.as_object_mut().unwrap().extend(verdict);
        assert_eq!(joined, expected);
        assert_eq!(joined["amounts"], Value::Null, "an unpriced order says so");
        assert_eq!(joined["customer"]["firstName"], "Ada");
    }
}
