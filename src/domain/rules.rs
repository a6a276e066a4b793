//! The rules an order must meet to be placed, evaluated all at once so a partner can show the
//! customer every problem together. Pure: the caller supplies the store, its menu and the time.
//!
//! Codes in `errors[]`: registry codes where one fits (CART_EMPTY, ITEM_UNAVAILABLE,
//! MODIFIER_REQUIRED, STORE_CLOSED, ADDRESS_INVALID, ADDRESS_OUT_OF_RANGE, ORDER_BELOW_MINIMUM),
//! and detail codes otherwise: INVALID_QUANTITY, DUPLICATE_LINE_ITEM, MODIFIER_INVALID,
//! MODIFIER_LIMIT_EXCEEDED, FULFILLMENT_UNAVAILABLE, INVALID_TIP, CATALOGSET_MISMATCH,
//! ORDER_ABOVE_MAXIMUM (the order would cost more than `money::MAX_AMOUNT`).

use super::catalog::Item;
use super::geo::{distance_km, valid_coordinates};
use super::money::MAX_AMOUNT;
use super::order::{Amounts, Delivery, FulfillmentType, ModifierSelection, OrderRequest};
use super::pricing::{Charges, LinePrice, ModifierPrice, TooLarge, price};
use super::problem::Problem;
use super::snapshot::{MenuSnapshot, Served, StoreSnapshot};
use super::store::StoreStatus;
use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use std::collections::HashSet;
use std::fmt;

/// The most of one thing a single order may ask for.
pub const MAX_QUANTITY: i64 = 100;

#[derive(Debug, Clone)]
pub struct Evaluation {
    pub problems: Vec<Problem>,
    /// `None` when some line cannot be priced (an unknown item or modifier).
    pub amounts: Option<Amounts>,
}

impl Evaluation {
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty() && self.amounts.is_some()
    }
}

pub fn evaluate(order: &OrderRequest, store: &StoreSnapshot, menu: &MenuSnapshot, now: DateTime<Utc>) -> Evaluation {
    let mut problems = Vec::new();
    check_store_open(store, now, &mut problems);
    check_fulfillment(order, store, &mut problems);
    let tip = check_tip(order, store.exponent, &mut problems);

    if menu.store_id != store.id {
        problems.push(Problem::at(
            "CATALOGSET_MISMATCH",
            "$.cart.catalogSetId",
            "this catalog set is not the store's; use the catalogSetId the store shows",
        ));
        return Evaluation { problems, amounts: None };
    }

    let lines = check_lines(order, store, menu, now, &mut problems);
    let amounts = lines.and_then(|lines| {
        let charges = Charges {
            currency: store.details.currency.clone(),
            exponent: store.exponent,
            delivery_fee: (order.fulfillment_type == FulfillmentType::DeliveryByMerchant)
                .then_some(store.details.delivery_fee),
            service_fee_rate: store.details.service_fee_rate,
            tax_rate: store.details.tax_rate,
        };
        match price(&lines, &charges, tip) {
            Ok(amounts) => Some(amounts),
            Err(TooLarge) => {
                problems.push(Problem::at(
                    "ORDER_ABOVE_MAXIMUM",
                    "$.cart.lineItems",
                    format!("the order would cost more than {MAX_AMOUNT}, the most one order may cost"),
                ));
                None
            }
        }
    });
    if let Some(amounts) = &amounts {
        let minimum = store.details.minimum_order_amount;
        if !order.cart.line_items.is_empty() && amounts.sub_total < minimum {
            problems.push(Problem::at(
                "ORDER_BELOW_MINIMUM",
                "$.cart.lineItems",
                format!(
                    "the subtotal {} is below the store's minimum of {minimum} {}: add {} more",
                    amounts.sub_total,
                    amounts.currency,
                    minimum - amounts.sub_total
                ),
            ));
        }
    }
    Evaluation { problems, amounts }
}

fn check_store_open(store: &StoreSnapshot, now: DateTime<Utc>, problems: &mut Vec<Problem>) {
    let pause = store.pause.effective(now);
    if pause.status == StoreStatus::Paused {
        let until = pause.resume_at.map(|at| format!(" until {}", at.to_rfc3339_opts(SecondsFormat::Secs, true)));
        problems.push(Problem::at(
            "STORE_CLOSED",
            "$.cart.storeId",
            format!(
                "the store is paused{}: {}",
                until.unwrap_or_default(),
                pause.reason.unwrap_or_else(|| "no reason given".into())
            ),
        ));
        return;
    }
    let open = store.tz.is_some_and(|tz| store.schedule.is_open_at(tz, now));
    if !open {
        let next = store.tz.and_then(|tz| store.schedule.next_open_at(tz, now));
        let message = match next {
            Some(at) => {
                format!("the store is closed now; it opens at {}", at.to_rfc3339_opts(SecondsFormat::Secs, true))
            }
            None => "the store is closed and has no opening hours".to_string(),
        };
        problems.push(Problem::at("STORE_CLOSED", "$.cart.storeId", message));
    }
}

fn check_fulfillment(order: &OrderRequest, store: &StoreSnapshot, problems: &mut Vec<Problem>) {
    let details = &store.details;
    match order.fulfillment_type {
        FulfillmentType::Pickup if !details.pickup_allowed => {
            problems.push(Problem::at(
                "FULFILLMENT_UNAVAILABLE",
                "$.fulfillmentType",
                "this store does not offer pickup",
            ));
        }
        FulfillmentType::DeliveryByMerchant if !details.delivery_allowed => {
            problems.push(Problem::at("FULFILLMENT_UNAVAILABLE", "$.fulfillmentType", "this store does not deliver"));
        }
        FulfillmentType::DeliveryByMerchant => check_delivery(order.delivery.as_ref(), store, problems),
        FulfillmentType::Pickup => {}
    }
}

/// A delivery needs an address, and either coordinates (checked against the store's radius) or
/// a postal code (checked against the store's delivery postal codes).
fn check_delivery(delivery: Option<&Delivery>, store: &StoreSnapshot, problems: &mut Vec<Problem>) {
    let Some(delivery) = delivery else {
        problems.push(Problem::at("ADDRESS_INVALID", "$.delivery", "a delivery order needs a delivery address"));
        return;
    };
    if delivery.address.as_deref().is_none_or(|a| a.trim().is_empty()) {
        problems.push(Problem::at("ADDRESS_INVALID", "$.delivery.address", "the delivery address is missing"));
    }
    let details = &store.details;
    match (delivery.latitude, delivery.longitude) {
        (Some(lat), Some(lon)) if valid_coordinates(lat, lon) => {
            let distance = distance_km(details.address.latitude, details.address.longitude, lat, lon);
            let radius = f64::try_from(details.delivery_radius_km).unwrap_or(0.0);
            if distance > radius {
                problems.push(Problem::at(
                    "ADDRESS_OUT_OF_RANGE",
                    "$.delivery",
                    format!("the address is {distance:.1} km away; this store delivers within {radius} km"),
                ));
            }
        }
        (None, None) => match delivery.postal_code.as_deref().map(normalise_postal_code) {
            Some(Some(code)) => {
                let served = details
                    .delivery_postal_codes
                    .iter()
                    .chain(details.address.postal_code.iter())
                    .any(|c| normalise_postal_code(c).as_deref() == Some(code.as_str()));
                if !served {
                    problems.push(Problem::at(
                        "ADDRESS_OUT_OF_RANGE",
                        "$.delivery.postalCode",
                        format!("this store does not deliver to postal code {code}"),
                    ));
                }
            }
            _ => problems.push(Problem::at(
                "ADDRESS_INVALID",
                "$.delivery",
                "send the address's latitude and longitude, or a recognisable postal code",
            )),
        },
        _ => problems.push(Problem::at(
            "ADDRESS_INVALID",
            "$.delivery.latitude",
            "latitude and longitude go together, within ±90 and ±180",
        )),
    }
}

/// A recognisable postal code: 3 to 10 letters and digits (one space or hyphen allowed);
/// US ZIP+4 is reduced to its five-digit ZIP.
pub fn normalise_postal_code(code: &str) -> Option<String> {
    let code = code.trim().to_uppercase();
    let compact: String = code.chars().filter(|c| *c != ' ' && *c != '-').collect();
    let valid = (3..=10).contains(&compact.len())
        && compact.chars().all(|c| c.is_ascii_alphanumeric())
        && compact.chars().any(|c| c.is_ascii_digit())
        && code.chars().filter(|c| *c == ' ' || *c == '-').count() <= 1;
    if !valid {
        return None;
    }
    if compact.len() == 9 && compact.chars().all(|c| c.is_ascii_digit()) && code.contains('-') {
        return Some(compact[..5].to_string());
    }
    Some(compact)
}

fn check_tip(order: &OrderRequest, exponent: u32, problems: &mut Vec<Problem>) -> Decimal {
    let tip = order.amounts.as_ref().and_then(|a| a.tip).unwrap_or(Decimal::ZERO);
    if tip.is_sign_negative() && !tip.is_zero() {
        problems.push(Problem::at("INVALID_TIP", "$.amounts.tip", "the tip must not be negative"));
        return Decimal::ZERO;
    }
    if tip.normalize().scale() > exponent {
        problems.push(Problem::at(
            "INVALID_TIP",
            "$.amounts.tip",
            format!("the tip has more than {exponent} decimals"),
        ));
        return Decimal::ZERO;
    }
    tip
}

/// Where a line or a modifier sits in the request, written out only when a problem names it:
/// a valid cart, the common case, formats no paths at all.
struct At<'a> {
    parent: Option<&'a At<'a>>,
    list: &'static str,
    index: usize,
}

impl<'a> At<'a> {
    fn line(index: usize) -> Self {
        At { parent: None, list: "$.cart.lineItems", index }
    }

    fn child(&'a self, list: &'static str, index: usize) -> At<'a> {
        At { parent: Some(self), list, index }
    }

    /// The path of one of this element's members: `$.cart.lineItems[0].quantity`.
    fn field(&self, name: &str) -> String {
        format!("{self}.{name}")
    }
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            write!(f, "{parent}.")?;
        }
        write!(f, "{}[{}]", self.list, self.index)
    }
}

fn check_quantity(quantity: i64, at: &At, problems: &mut Vec<Problem>) -> bool {
    if (1..=MAX_QUANTITY).contains(&quantity) {
        return true;
    }
    problems.push(Problem::at(
        "INVALID_QUANTITY",
        at.field("quantity"),
        format!("quantity must be between 1 and {MAX_QUANTITY}, got {quantity}"),
    ));
    false
}

/// Checks every line; returns their prices when every line and modifier could be priced.
fn check_lines(
    order: &OrderRequest,
    store: &StoreSnapshot,
    menu: &MenuSnapshot,
    now: DateTime<Utc>,
    problems: &mut Vec<Problem>,
) -> Option<Vec<LinePrice>> {
    let lines = &order.cart.line_items;
    if lines.is_empty() {
        problems.push(Problem::at("CART_EMPTY", "$.cart.lineItems", "the cart has no items"));
        return Some(Vec::new());
    }
    let mut priced = Some(Vec::with_capacity(lines.len()));
    let mut line_ids = HashSet::new();
    for (i, line) in lines.iter().enumerate() {
        let at = At::line(i);
        if !line_ids.insert(line.line_item_id.as_str()) {
            problems.push(Problem::at(
                "DUPLICATE_LINE_ITEM",
                at.field("lineItemId"),
                format!("lineItemId {:?} is used twice", line.line_item_id),
            ));
        }
        check_quantity(line.quantity, &at, problems);
        let Some(item) = menu.set.items.get(&line.item_id) else {
            problems.push(
                Problem::at(
                    "ITEM_UNAVAILABLE",
                    at.field("itemId"),
                    format!("there is no item {:?} on this menu", line.item_id),
                )
                .with_item(line.item_id.clone()),
            );
            priced = None;
            continue;
        };
        if let Err(again) = menu.availability(item, now) {
            problems.push(unavailable(item, at.field("itemId"), again));
        } else if let Some(tz) = store.tz {
            let message = match menu.served_now(&item.item_id, tz, now) {
                Served::Yes => None,
                Served::NotNow => Some(format!("{} is not served at this time of day", item.name)),
                Served::OnNoMenu => Some(format!("{} is not on any menu", item.name)),
            };
            if let Some(message) = message {
                problems
                    .push(Problem::at("ITEM_UNAVAILABLE", at.field("itemId"), message).with_item(item.item_id.clone()));
            }
        }
        let modifiers = check_groups(item, &line.modifier_groups, &at, menu, now, problems);
        match (modifiers, priced.as_mut()) {
            (Some(modifiers), Some(priced)) => priced.push(LinePrice {
                base_price: item.base_price,
                quantity: line.quantity.clamp(0, MAX_QUANTITY),
                modifiers,
            }),
            _ => priced = None,
        }
    }
    priced
}

/// Checks the modifier selections made for `item` (recursively for nested ones); returns their
/// prices when every selection could be priced.
/// ITEM_UNAVAILABLE for `item` at `path`, saying when it is back if the restaurant said so.
fn unavailable(item: &Item, path: String, again: Option<DateTime<Utc>>) -> Problem {
    let message = match again {
        Some(at) => format!("{} is unavailable until {}", item.name, at.to_rfc3339()),
        None => format!("{} is currently unavailable", item.name),
    };
    Problem {
        available_again_at: again,
        ..Problem::at("ITEM_UNAVAILABLE", path, message).with_item(item.item_id.clone())
    }
}

fn check_groups(
    item: &Item,
    selections: &[ModifierSelection],
    at: &At,
    menu: &MenuSnapshot,
    now: DateTime<Utc>,
    problems: &mut Vec<Problem>,
) -> Option<Vec<ModifierPrice>> {
    let mut prices = Some(Vec::new());
    let mut chosen_groups = HashSet::new();
    for (g, selection) in selections.iter().enumerate() {
        let group_at = at.child("modifierGroups", g);
        let group = item
            .modifier_group_ids
            .contains(&selection.modifier_group_id)
            .then(|| menu.set.modifier_groups.get(&selection.modifier_group_id))
            .flatten();
        let Some(group) = group else {
            problems.push(
                Problem::at(
                    "MODIFIER_INVALID",
                    group_at.field("modifierGroupId"),
                    format!("{} has no modifier group {:?}", item.name, selection.modifier_group_id),
                )
                .with_item(item.item_id.clone()),
            );
            prices = None;
            continue;
        };
        if !chosen_groups.insert(group.modifier_group_id.as_str()) {
            problems.push(Problem::at(
                "MODIFIER_INVALID",
                group_at.field("modifierGroupId"),
                format!("{} is selected twice; list its modifiers once", group.name),
            ));
        }
        let mut count = 0i64;
        for (m, selected) in selection.selected_modifiers.iter().enumerate() {
            let modifier_at = group_at.child("selectedModifiers", m);
            let quantity_ok = check_quantity(selected.quantity, &modifier_at, problems);
            let modifier =
                group.item_ids.contains(&selected.item_id).then(|| menu.set.items.get(&selected.item_id)).flatten();
            // Only real choices count towards the group's minimum, so a wrong one still leaves
            // "choose a size" reported.
            if quantity_ok && modifier.is_some() {
                count += selected.quantity;
            }
            let Some(modifier) = modifier else {
                problems.push(
                    Problem::at(
                        "MODIFIER_INVALID",
                        modifier_at.field("itemId"),
                        format!("{:?} is not a choice in {}", selected.item_id, group.name),
                    )
                    .with_item(selected.item_id.clone()),
                );
                prices = None;
                continue;
            };
            if let Err(again) = menu.availability(modifier, now) {
                problems.push(unavailable(modifier, modifier_at.field("itemId"), again));
            }
            let nested = check_groups(modifier, &selected.modifier_groups, &modifier_at, menu, now, problems);
            match (nested, prices.as_mut()) {
                (Some(nested), Some(prices)) => prices.push(ModifierPrice {
                    unit_price: modifier.base_price,
                    quantity: selected.quantity.clamp(0, MAX_QUANTITY),
                    nested,
                }),
                _ => prices = None,
            }
        }
        if count < group.min_selections {
            problems.push(
                Problem::at(
                    "MODIFIER_REQUIRED",
                    group_at.field("selectedModifiers"),
                    format!("{}: choose at least {} ({} chosen)", group.name, group.min_selections, count),
                )
                .with_item(item.item_id.clone()),
            );
        } else if count > group.max_selections {
            problems.push(
                Problem::at(
                    "MODIFIER_LIMIT_EXCEEDED",
                    group_at.field("selectedModifiers"),
                    format!("{}: choose at most {} ({} chosen)", group.name, group.max_selections, count),
                )
                .with_item(item.item_id.clone()),
            );
        }
    }
    for group_id in &item.modifier_group_ids {
        if chosen_groups.contains(group_id.as_str()) {
            continue;
        }
        if let Some(group) = menu.set.modifier_groups.get(group_id).filter(|g| g.min_selections > 0) {
            problems.push(
                Problem::at(
                    "MODIFIER_REQUIRED",
                    at.field("modifierGroups"),
                    format!("{} needs a choice of {} (at least {})", item.name, group.name, group.min_selections),
                )
                .with_item(item.item_id.clone()),
            );
        }
    }
    prices
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_nested_modifiers() {
        let line = At::line(1);
        let group = line.child("modifierGroups", 0);
        let modifier = group.child("selectedModifiers", 2);
        assert_eq!(line.field("itemId"), "$.cart.lineItems[1].itemId");
        assert_eq!(
            modifier.child("modifierGroups", 3).field("modifierGroupId"),
            "$.cart.lineItems[1].modifierGroups[0].selectedModifiers[2].modifierGroups[3].modifierGroupId"
        );
    }

    #[test]
    fn postal_codes_are_normalised() {
        assert_eq!(normalise_postal_code("11201").as_deref(), Some("11201"));
        assert_eq!(normalise_postal_code("11201-1234").as_deref(), Some("11201"));
        assert_eq!(normalise_postal_code("sw1a 1aa").as_deref(), Some("SW1A1AA"));
        assert_eq!(normalise_postal_code("nowhere"), None);
        assert_eq!(normalise_postal_code("1"), None);
    }
}
