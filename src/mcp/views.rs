//! What the tools answer: compact, named for an agent to act on, each type its tool's output
//! schema. Orders are the REST API's order document as it is, so an agent and a front end read
//! the same thing.

use crate::app::carts::PricedCart;
use crate::app::catalog::{Browsed, HeldItem};
use crate::app::conversations::{Pending, Summary, SummaryLine};
use crate::domain::address::Context;
use crate::domain::catalog::CatalogSet;
use crate::domain::discovery::Found;
use crate::domain::order::FulfillmentType;
use crate::domain::store::{self, Store, StoreStatus};
use chrono::{DateTime, Utc};
use rmcp::schemars::{self, JsonSchema};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

/// Items listed in full before a compact menu stops listing a section's items one by one.
pub const COMPACT_ITEMS: usize = 600;

fn mode(kind: FulfillmentType) -> &'static str {
    match kind {
        FulfillmentType::Pickup => "Pickup",
        FulfillmentType::DeliveryByMerchant => "DeliveryByMerchant",
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoreCard {
    pub store_id: String,
    pub name: String,
    pub cuisines: Vec<String>,
    /// One line: street, city.
    pub address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
    /// Taking orders right now (open and not paused).
    pub open_now: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_open_at: Option<DateTime<Utc>>,
    pub pickup: bool,
    pub delivery: bool,
    /// The menu to read with getCatalogSet and to order from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog_set_id: Option<String>,
    /// Up to three dish names that matched the query.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_items: Option<Vec<String>>,
}

impl StoreCard {
    pub fn of(store: &Store, distance_km: Option<f64>, matched_items: Option<Vec<String>>, now: DateTime<Utc>) -> Self {
        let details = &store.details;
        let opening = store::opening(details, &store.pause, now);
        StoreCard {
            store_id: store.id.to_string(),
            name: details.name.clone(),
            cuisines: details.cuisines.clone(),
            address: format!("{}, {}", details.address.street, details.address.city),
            distance_km: distance_km.map(|km| (km * 100.0).round() / 100.0),
            open_now: opening.is_open,
            next_open_at: opening.next_open_at,
            pickup: details.pickup_allowed,
            delivery: details.delivery_allowed,
            catalog_set_id: store.catalog_set_id.map(|id| id.to_string()),
            matched_items,
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Discovered {
    pub stores: Vec<StoreCard>,
    pub total_count: i64,
    /// False when totalCount is a cap, not a count.
    pub total_count_exact: bool,
    pub has_more: bool,
    /// The offset of the next page, while there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<i64>,
}

impl Discovered {
    pub fn of(found: crate::app::Listed<Found>, offset: i64, now: DateTime<Utc>) -> Self {
        let count = found.items.len() as i64;
        Discovered {
            stores: found
                .items
                .into_iter()
                .map(|hit| StoreCard::of(&hit.store, hit.distance_km, hit.matched_items, now))
                .collect(),
            total_count: found.total,
            total_count_exact: found.total_exact,
            has_more: found.has_more,
            next_offset: found.has_more.then_some(offset + count),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoreSheet {
    #[serde(flatten)]
    pub card: StoreCard,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub time_zone: String,
    pub currency: String,
    #[schemars(with = "f64")]
    pub minimum_order_amount: Decimal,
    #[schemars(with = "f64")]
    pub delivery_fee: Decimal,
    #[schemars(with = "f64")]
    pub delivery_radius_km: Decimal,
    pub preparation_minutes: u32,
    /// The restaurant paused online orders.
    pub paused: bool,
    /// The kitchen is busy: orders take this much longer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_preparation_minutes: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pause_reason: Option<String>,
}

impl StoreSheet {
    pub fn of(store: &Store, now: DateTime<Utc>) -> Self {
        let details = &store.details;
        let pause = store.pause.effective(now);
        StoreSheet {
            card: StoreCard::of(store, None, None, now),
            phone: details.phone.clone(),
            time_zone: details.timezone.clone(),
            currency: details.currency.clone(),
            minimum_order_amount: details.minimum_order_amount,
            delivery_fee: details.delivery_fee,
            delivery_radius_km: details.delivery_radius_km,
            preparation_minutes: details.preparation_minutes,
            paused: pause.status == StoreStatus::Paused,
            extra_preparation_minutes: pause.extra_preparation_minutes,
            pause_reason: pause.reason.clone().filter(|_| pause.status == StoreStatus::Paused),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MenuOption {
    pub item_id: String,
    pub name: String,
    #[schemars(with = "f64")]
    pub price: Decimal,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MenuChoice {
    pub modifier_group_id: String,
    pub name: String,
    pub min_selections: i64,
    pub max_selections: i64,
    /// Listed in detail only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<MenuOption>>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MenuItem {
    pub item_id: String,
    pub name: String,
    #[schemars(with = "f64")]
    pub price: Decimal,
    pub available: bool,
    /// For an item the restaurant holds back until a known time: when it is back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_again_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Compact: only the groups that must be chosen from; in detail: every group, with options.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modifier_groups: Vec<MenuChoice>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MenuSection {
    pub section_id: String,
    pub name: String,
    pub item_count: usize,
    /// Left out of a compact menu past its size; ask for the section in detail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<MenuItem>>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Menu {
    pub catalog_set_id: String,
    pub store_id: String,
    pub currency: String,
    /// Whether this is the detail of a section or of items (else the compact menu).
    pub detail: bool,
    pub sections: Vec<MenuSection>,
    pub guidance: String,
}

/// Which part of a menu to show.
pub enum MenuPart<'a> {
    Compact,
    Section(&'a str),
    Items(&'a [String]),
}

fn item_view(set: &CatalogSet, held: &[HeldItem], item_id: &str, detail: bool) -> Option<MenuItem> {
    let item = set.items.get(item_id)?;
    let modifier_groups = item
        .modifier_group_ids
        .iter()
        .filter_map(|id| set.modifier_groups.get(id))
        .filter(|group| detail || group.min_selections > 0)
        .map(|group| MenuChoice {
            modifier_group_id: group.modifier_group_id.clone(),
            name: group.name.clone(),
            min_selections: group.min_selections,
            max_selections: group.max_selections,
            options: detail.then(|| {
                group
                    .item_ids
                    .iter()
                    .filter_map(|id| set.items.get(id))
                    .map(|option| MenuOption {
                        item_id: option.item_id.clone(),
                        name: option.name.clone(),
                        price: option.base_price,
                    })
                    .collect()
            }),
        })
        .collect();
    Some(MenuItem {
        item_id: item.item_id.clone(),
        name: item.name.clone(),
        price: item.base_price,
        available: item.available,
        available_again_at: held.iter().find(|h| h.item_id == item.item_id).and_then(|h| h.until),
        description: if detail { item.description.clone() } else { None },
        modifier_groups,
    })
}

impl Menu {
    /// The menu as an agent reads it. Compact lists every section with its items' names and
    /// prices and the groups that must be chosen from; past `COMPACT_ITEMS` items it lists the
    /// sections alone. A section or a set of items comes in detail.
    pub fn of(menu: &Browsed, part: MenuPart<'_>) -> Menu {
        let (set, held) = (&menu.set.document, menu.held_back.as_slice());
        let detail = !matches!(part, MenuPart::Compact);
        let listed = |section: &crate::domain::catalog::Section, with_items: bool, detail: bool| MenuSection {
            section_id: section.section_id.clone(),
            name: section.name.clone(),
            item_count: section.item_ids.len(),
            items: with_items
                .then(|| section.item_ids.iter().filter_map(|id| item_view(set, held, id, detail)).collect()),
        };
        let sections: Vec<MenuSection> = match part {
            MenuPart::Compact => {
                let total: usize = set.sections.values().map(|s| s.item_ids.len()).sum();
                set.sections.values().map(|s| listed(s, total <= COMPACT_ITEMS, false)).collect()
            }
            MenuPart::Section(id) => set.sections.get(id).map(|s| listed(s, true, true)).into_iter().collect(),
            MenuPart::Items(ids) => vec![MenuSection {
                section_id: String::new(),
                name: "Requested items".into(),
                item_count: ids.len(),
                items: Some(ids.iter().filter_map(|id| item_view(set, held, id, true)).collect()),
            }],
        };
        let guidance = if detail {
            "Add an item with addToCart (itemId, quantity, and a choice for every group with minSelections > 0)."
        } else {
            "Ask for a section (sectionId) or items (itemIds) to see descriptions and every modifier option before adding them."
        };
        Menu {
            catalog_set_id: set.catalog_set_id.to_string(),
            store_id: menu.set.store_id.to_string(),
            currency: set.currency.clone(),
            detail,
            sections,
            guidance: guidance.into(),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CartView {
    /// False: nothing in the cart yet.
    pub has_cart: bool,
    /// The cart as the REST API shows it (storeId, catalogSetId, lineItems with their ids).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cart: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fulfillment_type: Option<String>,
    /// Where the fulfilment came from: Context (the session's) or Default (pickup).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fulfillment_source: Option<Value>,
    /// subTotal, fees, taxes, total … as they would be charged now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amounts: Option<Value>,
    pub is_valid: bool,
    /// What stands in the way of ordering it (an item unavailable, a minimum not met …).
    pub errors: Vec<Value>,
}

impl CartView {
    pub fn empty() -> Self {
        CartView {
            has_cart: false,
            cart: None,
            fulfillment_type: None,
            fulfillment_source: None,
            amounts: None,
            is_valid: false,
            errors: Vec::new(),
        }
    }

    pub fn of(priced: &PricedCart) -> Self {
        CartView {
            has_cart: true,
            cart: serde_json::to_value(&priced.cart).ok(),
            fulfillment_type: Some(mode(priced.fulfillment_type).into()),
            fulfillment_source: serde_json::to_value(priced.fulfillment_source).ok(),
            amounts: priced.amounts.as_ref().and_then(|a| serde_json::to_value(a).ok()),
            is_valid: priced.is_valid,
            errors: priced.errors.iter().filter_map(|p| serde_json::to_value(p).ok()).collect(),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Fulfillment {
    /// Pickup or DeliveryByMerchant; absent while nothing is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Value>,
    /// The person chose it themselves (confirmFulfillment).
    pub confirmed: bool,
    /// True: nobody has said yet; ask the person pickup or delivery, then call
    /// confirmFulfillment with their answer.
    pub awaiting_mode: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guidance: Option<String>,
}

impl Fulfillment {
    pub fn of(context: Option<&Context>, confirmed: bool) -> Self {
        Fulfillment {
            mode: context.map(|c| mode(c.mode).to_string()),
            address_id: context.and_then(|c| c.address_id).map(|id| id.to_string()),
            address: context.and_then(|c| c.address.as_ref()).and_then(|a| serde_json::to_value(a).ok()),
            confirmed,
            awaiting_mode: false,
            guidance: None,
        }
    }

    pub fn awaiting(context: Option<&Context>) -> Self {
        Fulfillment {
            awaiting_mode: true,
            guidance: Some(
                "Ask the person whether they want pickup or delivery (and for delivery, to which address), then call confirmFulfillment with mode (and addressId).".into(),
            ),
            ..Fulfillment::of(context, false)
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Validated {
    pub is_valid: bool,
    pub errors: Vec<Value>,
    /// Give it to placeOrder; it is for exactly this cart, fulfilment and total.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validated_order_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_expires_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_ready_at: Option<DateTime<Utc>>,
    /// The priced order: cart, fulfillmentType, delivery, amounts.
    pub order: Value,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SummaryView {
    pub store_id: String,
    pub store_name: String,
    pub items: Vec<String>,
    pub fulfillment_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliver_to: Option<String>,
    #[schemars(with = "f64")]
    pub total: Decimal,
    pub currency: String,
    pub card: String,
    /// The summary in one paragraph, to show the person as it is.
    pub text: String,
}

impl SummaryView {
    pub fn of(summary: &Summary) -> Self {
        SummaryView {
            store_id: summary.store_id.to_string(),
            store_name: summary.store_name.clone(),
            items: summary.lines.iter().map(SummaryLine::text).collect(),
            fulfillment_type: mode(summary.fulfillment_type).into(),
            deliver_to: summary.deliver_to.clone(),
            total: summary.amounts.total,
            currency: summary.amounts.currency.clone(),
            card: summary.card.clone(),
            text: summary.sentence(),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlaceOutcome {
    /// placed | confirmation_required | declined
    pub status: String,
    /// The placed order (as GET /v1/marketplace/orders/{orderId} shows it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<Value>,
    /// True when this answer is the one an earlier identical call got.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replayed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmation_expires_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<SummaryView>,
    pub guidance: String,
}

impl PlaceOutcome {
    pub fn placed(order: Value, replayed: bool) -> Self {
        PlaceOutcome {
            status: "placed".into(),
            order: Some(order),
            replayed: Some(replayed),
            confirmation_id: None,
            confirmation_expires_at: None,
            summary: None,
            guidance: "The order is placed and paid for; follow it with getOrder.".into(),
        }
    }

    pub fn confirmation_required(summary: &Summary, pending: Pending) -> Self {
        PlaceOutcome {
            status: "confirmation_required".into(),
            order: None,
            replayed: None,
            confirmation_id: Some(pending.confirmation_id),
            confirmation_expires_at: Some(pending.expires_at),
            summary: Some(SummaryView::of(summary)),
            guidance: "Show the person summary.text and ask for a yes. Only if they say yes, call placeOrder again with the same arguments and this confirmationId. Nothing has been charged.".into(),
        }
    }

    pub fn declined(summary: &Summary) -> Self {
        PlaceOutcome {
            status: "declined".into(),
            order: None,
            replayed: None,
            confirmation_id: None,
            confirmation_expires_at: None,
            summary: Some(SummaryView::of(summary)),
            guidance: "The person did not confirm: nothing was charged. Ask what they would like to change.".into(),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderDocument {
    /// The order as GET /v1/marketplace/orders/{orderId} shows it.
    pub order: Value,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderList {
    pub orders: Vec<Value>,
    pub has_more: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SavedCardView {
    /// Give it to placeOrder as paymentMethodId.
    pub payment_method_id: String,
    pub brand: String,
    pub last_four: String,
    /// YYYY-MM
    pub expiration: String,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethods {
    pub payment_methods: Vec<SavedCardView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guidance: Option<String>,
}
