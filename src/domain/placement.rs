//! The checks place makes beyond validate's rules: the payment method, the customer, and that
//! the order sent is the one the token was issued for. Pure; every problem is listed.

use super::error_code::ErrorCode;
use super::order::{Customer, PaymentInput, PaymentMethod, PlaceRequest, PricedOrder};
use super::problem::Problem;

/// The processors a card on file may be charged through (the portal's list). A partner may use
/// one only once its interchange is set up (`marketfront interchange enable`).
pub const PROCESSORS: [&str; 5] = ["stripe", "braintree", "square", "adyen", "clover"];

/// Exactly one of `cardOnFile`, `gettPayment`, `savedCard`; a card on file names its token and
/// one of `PROCESSORS`.
pub fn payment_method(input: Option<&PaymentInput>) -> Result<PaymentMethod, Vec<Problem>> {
    let Some(input) = input else {
        return Err(vec![Problem::at(
            "PAYMENT_METHOD_INVALID",
            "$.payment",
            "payment is required: one of cardOnFile, gettPayment or savedCard",
        )]);
    };
    let given = [input.card_on_file.is_some(), input.gett_payment.is_some(), input.saved_card.is_some()];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(vec![Problem::at(
            "PAYMENT_METHOD_INVALID",
            "$.payment",
            "send exactly one of cardOnFile, gettPayment or savedCard",
        )]);
    }
    let present = |value: &Option<String>| value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(String::from);
    if let Some(card) = &input.card_on_file {
        let token = present(&card.card_token);
        let processor = present(&card.processor_type);
        let mut problems = Vec::new();
        if token.is_none() {
            problems.push(Problem::at(
                "PAYMENT_METHOD_INVALID",
                "$.payment.cardOnFile.cardToken",
                "cardToken is required",
            ));
        }
        match &processor {
            None => problems.push(Problem::at(
                "PAYMENT_METHOD_INVALID",
                "$.payment.cardOnFile.processorType",
                "processorType is required",
            )),
            Some(name) if !PROCESSORS.contains(&name.as_str()) => problems.push(Problem::at(
                "PAYMENT_METHOD_INVALID",
                "$.payment.cardOnFile.processorType",
                format!("processorType must be one of {}", PROCESSORS.join(", ")),
            )),
            Some(_) => {}
        }
        return match (token, processor) {
            (Some(card_token), Some(processor_type)) if problems.is_empty() => {
                Ok(PaymentMethod::CardOnFile { card_token, processor_type })
            }
            _ => Err(problems),
        };
    }
    if let Some(saved) = &input.saved_card {
        return present(&saved.payment_id)
            .map(|payment_id| PaymentMethod::SavedCard { payment_id, vault_reference: None })
            .ok_or_else(|| {
                vec![Problem::at("PAYMENT_METHOD_INVALID", "$.payment.savedCard.paymentId", "paymentId is required")]
            });
    }
    Ok(PaymentMethod::GettPayment)
}

/// The customer: as sent, completed from the session's user where a field is missing. A first
/// name and a way to reach them (email or phone) are required.
pub fn customer(sent: Option<&Customer>, session: Option<&Customer>) -> Result<Customer, Vec<Problem>> {
    let pick = |field: fn(&Customer) -> &Option<String>| {
        sent.and_then(|c| field(c).clone())
            .or_else(|| session.and_then(|c| field(c).clone()))
            .filter(|v| !v.trim().is_empty())
    };
    let customer = Customer {
        first_name: pick(|c| &c.first_name),
        last_name: pick(|c| &c.last_name),
        email: pick(|c| &c.email),
        phone: pick(|c| &c.phone),
    };
    let mut problems = Vec::new();
    if sent.is_none() && session.is_none() {
        problems.push(Problem::at("INVALID_FIELD", "$.customer", "customer is required when placing with an API key"));
        return Err(problems);
    }
    if customer.first_name.is_none() {
        problems.push(Problem::at("INVALID_FIELD", "$.customer.firstName", "the customer's firstName is required"));
    }
    if customer.email.is_none() && customer.phone.is_none() {
        problems.push(Problem::at("INVALID_FIELD", "$.customer", "an email or a phone number is required"));
    }
    if let Some(email) = &customer.email
        && (!email.contains('@') || email.len() > 254)
    {
        problems.push(Problem::at("INVALID_FIELD", "$.customer.email", "the email address is not valid"));
    }
    if problems.is_empty() { Ok(customer) } else { Err(problems) }
}

/// Parts of the order sent again with place that differ from what the token was issued for.
pub fn differences_from_token(request: &PlaceRequest, priced: &PricedOrder) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mismatch = |path: &str, what: &str| {
        Problem::at("TOKEN_MISMATCH", path, format!("{what} differs from the order the token was issued for"))
    };
    if request.cart.as_ref().is_some_and(|cart| *cart != priced.cart) {
        problems.push(mismatch("$.cart", "the cart"));
    }
    if request.fulfillment_type.is_some_and(|f| f != priced.fulfillment_type) {
        problems.push(mismatch("$.fulfillmentType", "fulfillmentType"));
    }
    if request.delivery.is_some() && request.delivery != priced.delivery {
        problems.push(mismatch("$.delivery", "the delivery"));
    }
    problems
}

/// The top-level `errorCode` for a place refused by validate's rules: the first problem's code
/// when it is a registry code answered with 400 (STORE_CLOSED, ITEM_UNAVAILABLE, …), else
/// INVALID_REQUEST; every problem stays listed in `errors[]`.
pub fn refusal_code(problems: &[Problem]) -> ErrorCode {
    problems
        .iter()
        .find_map(|p| ErrorCode::ALL.iter().copied().find(|c| c.as_str() == p.code && c.http_status() == 400))
        .unwrap_or(ErrorCode::InvalidRequest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::order::{CardOnFileInput, SavedCardInput};
    use serde_json::json;

    fn card(token: Option<&str>, processor: Option<&str>) -> PaymentInput {
        PaymentInput {
            card_on_file: Some(CardOnFileInput {
                card_token: token.map(String::from),
                processor_type: processor.map(String::from),
            }),
            ..PaymentInput::default()
        }
    }

    #[test]
    fn exactly_one_complete_payment_method() {
        assert_eq!(
            payment_method(Some(&card(Some("tok_visa"), Some("stripe")))),
            Ok(PaymentMethod::CardOnFile { card_token: "tok_visa".into(), processor_type: "stripe".into() })
        );
        let gett = PaymentInput { gett_payment: Some(json!({})), ..PaymentInput::default() };
        assert_eq!(payment_method(Some(&gett)), Ok(PaymentMethod::GettPayment));
        let both = PaymentInput { gett_payment: Some(json!({})), ..card(Some("t"), Some("p")) };
        assert_eq!(payment_method(Some(&both)).unwrap_err()[0].json_path.as_deref(), Some("$.payment"));
        assert_eq!(payment_method(Some(&PaymentInput::default())).unwrap_err().len(), 1);
        assert_eq!(payment_method(None).unwrap_err().len(), 1);
        assert_eq!(payment_method(Some(&card(None, Some(" ")))).unwrap_err().len(), 2);
        let saved = PaymentInput { saved_card: Some(SavedCardInput { payment_id: None }), ..PaymentInput::default() };
        assert_eq!(
            payment_method(Some(&saved)).unwrap_err()[0].json_path.as_deref(),
            Some("$.payment.savedCard.paymentId")
        );
    }

    #[test]
    fn the_customer_comes_from_the_body_then_the_session() {
        let session = Customer {
            first_name: Some("Ann".into()),
            last_name: None,
            email: Some("ann@example.com".into()),
            phone: None,
        };
        let sent = Customer { first_name: None, last_name: Some("Lee".into()), email: None, phone: Some("+1".into()) };
        let merged = customer(Some(&sent), Some(&session)).unwrap();
        assert_eq!(merged.first_name.as_deref(), Some("Ann"));
        assert_eq!(merged.last_name.as_deref(), Some("Lee"));
        assert_eq!(merged.phone.as_deref(), Some("+1"));
        assert_eq!(customer(None, None).unwrap_err()[0].json_path.as_deref(), Some("$.customer"));
        let nameless = Customer { first_name: None, last_name: None, email: Some("not-an-email".into()), phone: None };
        let problems = customer(Some(&nameless), None).unwrap_err();
        let paths: Vec<_> = problems.iter().map(|p| p.json_path.clone().unwrap()).collect();
        assert_eq!(paths, ["$.customer.firstName", "$.customer.email"]);
    }

    #[test]
    fn the_refusal_code_is_the_first_registry_code() {
        let problems = vec![
            Problem::new("MODIFIER_INVALID", "x"),
            Problem::new("STORE_CLOSED", "y"),
            Problem::new("CART_EMPTY", "z"),
        ];
        assert_eq!(refusal_code(&problems), ErrorCode::StoreClosed);
        assert_eq!(refusal_code(&[Problem::new("MODIFIER_INVALID", "x")]), ErrorCode::InvalidRequest);
    }
}
