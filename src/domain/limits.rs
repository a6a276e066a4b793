//! How much one request may ask of the server: caps on lists, nesting, text and amounts, so
//! that the work and storage a request costs are bounded by these numbers, not by what a body
//! can hold. A request beyond them is unusable (400 INVALID_REQUEST naming every field), not a
//! business problem: no real cart has a thousand lines or a tip of a billion.
//!
//! The numbers are the contract: the OpenAPI document states each one where it applies.

use super::error_code::ErrorCode;
use super::money::MAX_AMOUNT;
use super::order::{AmountsInput, Cart, Customer, Delivery, ModifierSelection, OrderRequest, PlaceRequest};
use super::problem::Problem;

/// Lines in one cart.
pub const MAX_LINE_ITEMS: usize = 100;
/// Modifiers selected for one line, counted through every level of nesting.
pub const MAX_MODIFIERS_PER_LINE: usize = 50;
/// Levels of modifiers inside modifiers ("extra cheese" → "which cheese" is two).
pub const MAX_MODIFIER_DEPTH: usize = 5;
/// An id a partner chooses (line items, items, groups, store ids as sent).
pub const MAX_ID_CHARS: usize = 128;
/// A person's name, an address line, an email, a phone.
pub const MAX_NAME_CHARS: usize = 200;
/// Free text: delivery instructions, a cancel or pause reason.
pub const MAX_TEXT_CHARS: usize = 1_000;
/// Cuisine tags, postal codes and opening windows one store may list.
pub const MAX_LIST_ENTRIES: usize = 100;
/// Problems listed in one answer; beyond it the answer says how many there were in all.
pub const MAX_PROBLEMS: usize = 100;

/// Counts characters (not bytes), so a limit means the same in every script.
pub fn check_text(value: Option<&str>, max: usize, path: &str, problems: &mut Vec<Problem>) {
    if let Some(text) = value
        && text.chars().count() > max
    {
        problems.push(Problem::at("TOO_LONG", path, format!("at most {max} characters")));
    }
}

/// Limits a body can break that its JSON Schema cannot state: how deep modifiers nest, and how
/// many a line holds across every level. (The others, lengths and item counts, are in the
/// schema, so a body the schema allows never breaks them.)
const BEYOND_THE_SCHEMA: &[&str] = &["TOO_DEEP", "TOO_MANY_MODIFIERS"];

/// The code for a body over the limits: INVALID_REQUEST when it breaks one the OpenAPI document
/// states (the request is malformed by its schema), VALIDATION_FAILED when it breaks only rules
/// the document can say in words alone.
pub fn refusal_code(problems: &[Problem]) -> ErrorCode {
    if problems.iter().all(|problem| BEYOND_THE_SCHEMA.contains(&problem.code.as_str())) {
        ErrorCode::ValidationFailed
    } else {
        ErrorCode::InvalidRequest
    }
}

/// Every limit a validate body breaks (what `check_sent` checks, on a settled order).
pub fn check_order(order: &OrderRequest) -> Vec<Problem> {
    check_sent(
        Some(&order.cart),
        order.delivery.as_ref(),
        order.customer.as_ref(),
        order.amounts.as_ref(),
        order.validated_order_token.as_deref(),
    )
}

/// Every limit a place body breaks.
pub fn check_place(request: &PlaceRequest) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Some(cart) = &request.cart {
        check_cart(cart, &mut problems);
    }
    check_rest(request.delivery.as_ref(), request.customer.as_ref(), request.amounts.as_ref(), &mut problems);
    check_text(request.validated_order_token.as_deref(), MAX_ID_CHARS, "$.validatedOrderToken", &mut problems);
    if let Some(payment) = &request.payment {
        if let Some(card) = &payment.card_on_file {
            check_text(card.card_token.as_deref(), MAX_ID_CHARS, "$.payment.cardOnFile.cardToken", &mut problems);
            check_text(
                card.processor_type.as_deref(),
                MAX_ID_CHARS,
                "$.payment.cardOnFile.processorType",
                &mut problems,
            );
        }
        if let Some(saved) = &payment.saved_card {
            check_text(saved.payment_id.as_deref(), MAX_ID_CHARS, "$.payment.savedCard.paymentId", &mut problems);
        }
    }
    problems
}

/// Every limit an order breaks as it was sent, before anything is settled or changed: a cart
/// helper's change could otherwise remove the line that breaks them, and settling the
/// fulfilment (pickup) could drop the delivery that does.
pub fn check_sent(
    cart: Option<&Cart>,
    delivery: Option<&Delivery>,
    customer: Option<&Customer>,
    amounts: Option<&AmountsInput>,
    validated_order_token: Option<&str>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Some(cart) = cart {
        check_cart(cart, &mut problems);
    }
    check_rest(delivery, customer, amounts, &mut problems);
    check_text(validated_order_token, MAX_ID_CHARS, "$.validatedOrderToken", &mut problems);
    problems
}

fn check_cart(cart: &Cart, problems: &mut Vec<Problem>) {
    check_text(Some(&cart.store_id), MAX_ID_CHARS, "$.cart.storeId", problems);
    check_text(cart.catalog_set_id.as_deref(), MAX_ID_CHARS, "$.cart.catalogSetId", problems);
    let lines = &cart.line_items;
    if lines.len() > MAX_LINE_ITEMS {
        problems.push(Problem::at(
            "TOO_MANY_ITEMS",
            "$.cart.lineItems",
            format!("a cart holds at most {MAX_LINE_ITEMS} lines, got {}", lines.len()),
        ));
        return;
    }
    for (i, line) in lines.iter().enumerate() {
        let at = format!("$.cart.lineItems[{i}]");
        check_text(Some(&line.line_item_id), MAX_ID_CHARS, &format!("{at}.lineItemId"), problems);
        check_text(Some(&line.item_id), MAX_ID_CHARS, &format!("{at}.itemId"), problems);
        let mut count = 0;
        check_modifiers(&line.modifier_groups, &format!("{at}.modifierGroups"), 1, &mut count, problems);
        if count > MAX_MODIFIERS_PER_LINE {
            problems.push(Problem::at(
                "TOO_MANY_MODIFIERS",
                format!("{at}.modifierGroups"),
                format!("a line holds at most {MAX_MODIFIERS_PER_LINE} modifiers"),
            ));
        }
    }
}

fn check_rest(
    delivery: Option<&Delivery>,
    customer: Option<&Customer>,
    amounts: Option<&AmountsInput>,
    problems: &mut Vec<Problem>,
) {
    if let Some(delivery) = delivery {
        check_delivery(delivery, problems);
    }
    if let Some(customer) = customer {
        check_customer(customer, "$.customer", problems);
    }
    if let Some(amounts) = amounts {
        for (value, path) in [(amounts.tip, "$.amounts.tip"), (amounts.total, "$.amounts.total")] {
            if value.is_some_and(|v| v.abs() > MAX_AMOUNT) {
                problems.push(Problem::at("AMOUNT_TOO_LARGE", path, format!("at most {MAX_AMOUNT}")));
            }
        }
    }
}

/// Walks the selections without recursing past the depth limit, so a hostile body cannot make
/// the walk itself expensive.
fn check_modifiers(
    groups: &[ModifierSelection],
    at: &str,
    depth: usize,
    count: &mut usize,
    problems: &mut Vec<Problem>,
) {
    if groups.is_empty() {
        return;
    }
    if depth > MAX_MODIFIER_DEPTH {
        problems.push(Problem::at("TOO_DEEP", at, format!("modifiers nest at most {MAX_MODIFIER_DEPTH} levels deep")));
        return;
    }
    for (g, group) in groups.iter().enumerate() {
        let group_at = format!("{at}[{g}]");
        check_text(Some(&group.modifier_group_id), MAX_ID_CHARS, &format!("{group_at}.modifierGroupId"), problems);
        for (m, selected) in group.selected_modifiers.iter().enumerate() {
            *count += 1;
            if *count > MAX_MODIFIERS_PER_LINE {
                return;
            }
            let modifier_at = format!("{group_at}.selectedModifiers[{m}]");
            check_text(Some(&selected.item_id), MAX_ID_CHARS, &format!("{modifier_at}.itemId"), problems);
            check_modifiers(
                &selected.modifier_groups,
                &format!("{modifier_at}.modifierGroups"),
                depth + 1,
                count,
                problems,
            );
        }
    }
}

fn check_delivery(delivery: &Delivery, problems: &mut Vec<Problem>) {
    check_text(delivery.address.as_deref(), MAX_NAME_CHARS, "$.delivery.address", problems);
    check_text(delivery.unit.as_deref(), MAX_NAME_CHARS, "$.delivery.unit", problems);
    check_text(delivery.postal_code.as_deref(), MAX_ID_CHARS, "$.delivery.postalCode", problems);
    check_text(delivery.instructions.as_deref(), MAX_TEXT_CHARS, "$.delivery.instructions", problems);
}

pub fn check_customer(customer: &Customer, at: &str, problems: &mut Vec<Problem>) {
    check_text(customer.first_name.as_deref(), MAX_NAME_CHARS, &format!("{at}.firstName"), problems);
    check_text(customer.last_name.as_deref(), MAX_NAME_CHARS, &format!("{at}.lastName"), problems);
    check_text(customer.email.as_deref(), MAX_NAME_CHARS, &format!("{at}.email"), problems);
    check_text(customer.phone.as_deref(), MAX_NAME_CHARS, &format!("{at}.phone"), problems);
}

/// The first `MAX_PROBLEMS` problems, and how many there were in all.
pub fn first_problems(mut problems: Vec<Problem>) -> (Vec<Problem>, usize) {
    let total = problems.len();
    problems.truncate(MAX_PROBLEMS);
    (problems, total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order(body: serde_json::Value) -> OrderRequest {
        serde_json::from_value(body).unwrap()
    }

    fn line(modifiers: serde_json::Value) -> serde_json::Value {
        json!({"lineItemId": "1", "itemId": "pizza", "quantity": 1, "modifierGroups": modifiers})
    }

    fn nested(depth: usize) -> serde_json::Value {
        (0..depth).fold(json!([]), |inner, _| {
            json!([{"modifierGroupId": "g", "selectedModifiers": [{"itemId": "m", "modifierGroups": inner}]}])
        })
    }

    #[test]
    fn an_ordinary_order_is_within_every_limit() {
        let ok = order(json!({"cart": {"storeId": "s", "catalogSetId": "c", "lineItems": [line(nested(3))]},
            "fulfillmentType": "Pickup", "amounts": {"tip": 1000000}}));
        assert_eq!(check_order(&ok), vec![]);
    }

    #[test]
    fn every_limit_names_its_field() {
        let lines: Vec<_> = (0..=MAX_LINE_ITEMS).map(|_| line(json!([]))).collect();
        let too_many = order(json!({"cart": {"storeId": "s", "lineItems": lines}, "fulfillmentType": "Pickup"}));
        assert_eq!(check_order(&too_many)[0].json_path.as_deref(), Some("$.cart.lineItems"));

        let deep = order(json!({"cart": {"storeId": "s", "lineItems": [line(nested(MAX_MODIFIER_DEPTH + 1))]},
            "fulfillmentType": "Pickup"}));
        assert_eq!(check_order(&deep)[0].code, "TOO_DEEP");

        let wide: Vec<_> = (0..=MAX_MODIFIERS_PER_LINE).map(|i| json!({"itemId": format!("m{i}")})).collect();
        let wide = order(json!({"cart": {"storeId": "s", "lineItems": [line(json!([{"modifierGroupId": "g",
            "selectedModifiers": wide}]))]}, "fulfillmentType": "Pickup"}));
        assert_eq!(check_order(&wide)[0].code, "TOO_MANY_MODIFIERS");
        assert_eq!(refusal_code(&check_order(&wide)), ErrorCode::ValidationFailed, "no schema states it");
        assert_eq!(refusal_code(&check_order(&too_many)), ErrorCode::InvalidRequest, "lineItems' maxItems does");

        let long = "é".repeat(MAX_TEXT_CHARS + 1);
        let texts = order(json!({"cart": {"storeId": "s", "lineItems": []}, "fulfillmentType": "DeliveryByMerchant",
            "delivery": {"instructions": long}, "customer": {"firstName": "x".repeat(MAX_NAME_CHARS + 1)},
            "amounts": {"tip": 79228162514264337593543950335u128}}));
        let paths: Vec<_> = check_order(&texts).into_iter().map(|p| p.json_path.unwrap()).collect();
        assert_eq!(paths, ["$.delivery.instructions", "$.customer.firstName", "$.amounts.tip"]);
    }

    #[test]
    fn problems_are_cut_to_the_first_hundred_with_the_count() {
        let many = (0..MAX_PROBLEMS + 7).map(|i| Problem::new("X", format!("{i}"))).collect();
        let (kept, total) = first_problems(many);
        assert_eq!((kept.len(), total), (MAX_PROBLEMS, MAX_PROBLEMS + 7));
    }
}
