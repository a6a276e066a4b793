//! The error registry: every `errorCode` the API can answer with, and what it means on the wire.
//!
//! This is the one table in code that DESIGN.md asks for; the OpenAPI spec carries the same table
//! and a test keeps the two in step. Each code also says when it is answered and what to do about
//! it: the page `/errors/{errorCode}` that every problem's `type` points to is built from here.

use serde::Serialize;

/// Broad family of an error, so a partner can route handling without knowing every code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCategory {
    Validation,
    Availability,
    Payment,
    Authentication,
    Authorization,
    NotFound,
    Conflict,
    RateLimit,
    ServerError,
}

macro_rules! registry {
    ($( $variant:ident = $wire:literal => $status:literal, $category:ident, $retryable:literal, $title:literal;
        when $when:literal; action $action:literal; )*) => {
        /// A machine-readable error code (`errorCode` in problem+json).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $( $variant ),* }

        impl ErrorCode {
            /// Every code, in registry order.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant ),* ];

            /// The wire spelling, e.g. `ORDER_ALREADY_PLACED`.
            pub fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $wire ),* }
            }

            pub fn http_status(self) -> u16 {
                match self { $( ErrorCode::$variant => $status ),* }
            }

            pub fn category(self) -> ErrorCategory {
                match self { $( ErrorCode::$variant => ErrorCategory::$category ),* }
            }

            pub fn retryable(self) -> bool {
                match self { $( ErrorCode::$variant => $retryable ),* }
            }

            /// Short human summary of the problem type (`title`).
            pub fn title(self) -> &'static str {
                match self { $( ErrorCode::$variant => $title ),* }
            }

            /// When the code is answered, for the partner reading its page (Markdown inline).
            pub fn when(self) -> &'static str {
                match self { $( ErrorCode::$variant => $when ),* }
            }

            /// What a partner's code should do about it (Markdown inline).
            pub fn action(self) -> &'static str {
                match self { $( ErrorCode::$variant => $action ),* }
            }
        }
    };
}

registry! {
    InvalidRequest = "INVALID_REQUEST" => 400, Validation, false, "The request is malformed";
        when "The request cannot be read: the body is not a JSON object, a field has the wrong type or is missing, a query parameter or path id is malformed, or a body breaks a size limit (lines per cart, modifiers per line). `errors[]` names each field by its `jsonPath`.";
        action "Fix the request as `errors[]` says and send it again; the same request fails the same way.";
    MissingIdempotencyKey = "MISSING_IDEMPOTENCY_KEY" => 400, Validation, false, "The Idempotency-Key header is required";
        when "place was called without an `Idempotency-Key` header.";
        action "Send a new UUID v4 in `Idempotency-Key` with every place, and the same one when you retry it.";
    InvalidIdempotencyKey = "INVALID_IDEMPOTENCY_KEY" => 400, Validation, false, "The Idempotency-Key header is not a UUID v4";
        when "The `Idempotency-Key` header is not a UUID v4.";
        action "Generate the key with a UUID v4 library; keep it per order attempt, not per HTTP request.";
    CartEmpty = "CART_EMPTY" => 400, Validation, false, "The cart is empty";
        when "validate was given a cart with no line items (inline in `errors[]`, with `isValid: false`).";
        action "Send the customer back to the menu; nothing can be priced without a line.";
    MissingStoreId = "MISSING_STORE_ID" => 400, Validation, false, "A store id is required";
        when "carts/add was called with `cart: null` (a new cart) and no top-level `storeId`.";
        action "Send the store's `storeId` beside `cart: null`, with its `catalogSetId`.";
    CatalogsetRequired = "CATALOGSET_REQUIRED" => 400, Validation, false, "A catalog set is required";
        when "A cart was sent without the `catalogSetId` it was built from.";
        action "Take `catalogSetId` from the store (or its catalog set) and send it in `cart.catalogSetId`.";
    ModifierRequired = "MODIFIER_REQUIRED" => 400, Validation, false, "A required modifier is missing";
        when "validate or place: a line leaves a required modifier group with fewer selections than its `minSelections` (inline in `errors[]`, pointing at the line).";
        action "Show the customer the required choices (size, side …) and validate again.";
    OrderBelowMinimum = "ORDER_BELOW_MINIMUM" => 400, Validation, false, "The order is below the store minimum";
        when "validate or place: the subtotal is below the store's `minimumOrderAmount`.";
        action "Show the shortfall and let the customer add items; the store's minimum is on the store.";
    AddressInvalid = "ADDRESS_INVALID" => 400, Validation, false, "The delivery address is invalid";
        when "A delivery address cannot be located: no coordinates, and a postal code the store does not list.";
        action "Ask for the address again (coordinates from an autocomplete are best) and validate again.";
    AddressOutOfRange = "ADDRESS_OUT_OF_RANGE" => 400, Validation, false, "The delivery address is out of range";
        when "The delivery address is outside the store's delivery radius (or its postal codes).";
        action "Offer pickup, or discover the stores that deliver to this address.";
    OrderTotalDifferent = "ORDER_TOTAL_DIFFERENT" => 400, Validation, false, "The order total has changed";
        when "place: the `amounts.total` you sent is not the total the validated order was priced at.";
        action "Validate again, show the customer the new total, and place only after they confirm it; never adopt the server's total silently.";
    TokenExpired = "TOKEN_EXPIRED" => 400, Validation, false, "The validated order token has expired";
        when "place: the `validatedOrderToken` is older than its `tokenExpiresAt`.";
        action "Validate the cart again for a fresh token (and a fresh price), then place.";
    TokenInvalid = "TOKEN_INVALID" => 400, Validation, false, "The validated order token is invalid";
        when "place: the `validatedOrderToken` is missing, unknown, for another partner, or the cart, fulfilment or delivery sent with it differ from what it was issued for.";
        action "Place with the token validate gave for exactly this order; validate again if the cart changed.";
    ConfirmationInvalid = "CONFIRMATION_INVALID" => 400, Validation, false, "The order confirmation is not valid";
        when "MCP `placeOrder`: the `confirmationId` is unknown, has expired, belongs to another conversation, or was issued for another validated order, total or card.";
        action "Call placeOrder again without confirmationId for a fresh summary, show it to the person, and place only after their yes.";
    ItemUnavailable = "ITEM_UNAVAILABLE" => 400, Availability, false, "An item is unavailable";
        when "validate or place: an item, modifier group or modifier is not on the store's live menu, or not available now (inline in `errors[]`, one entry per line with its `jsonPath`).";
        action "Read the catalog set again, let the customer remove or replace the item, and validate again; a blind retry fails.";
    StoreClosed = "STORE_CLOSED" => 400, Availability, false, "The store is closed";
        when "validate or place: the store is outside its opening hours, or paused by its restaurant.";
        action "Do not retry now; show when the store opens next (`nextOpenAt` on the store) or other stores.";
    PaymentDeclined = "PAYMENT_DECLINED" => 400, Payment, false, "The payment was declined";
        when "place: the processor declined the payment for good (insufficient funds, blocked card, fraud rules). No order was made and nothing was charged.";
        action "Ask the customer for another payment method; never retry the same card automatically.";
    PaymentMethodInvalid = "PAYMENT_METHOD_INVALID" => 400, Payment, false, "The payment method is invalid";
        when "place: the payment names no usable method: none of `cardOnFile`, `gettPayment`, `savedCard`, more than one, or a card reference the processor does not know.";
        action "Send exactly one payment method, with a card reference your processor issued.";
    PaymentFailed = "PAYMENT_FAILED" => 400, Payment, true, "The payment could not be processed";
        when "place: the processor failed transiently (timeout, outage) before deciding. No order was made; the authorisation, if any, is voided.";
        action "Retry after a second or two with the same `Idempotency-Key` and body; after a few failures, offer another payment method.";
    Unauthenticated = "UNAUTHENTICATED" => 401, Authentication, false, "Authentication is required";
        when "The `Authorization` header is missing, not `Bearer <key or session token>`, or names a key or session that is unknown, expired or revoked. The answer carries `WWW-Authenticate`.";
        action "Send a live API key (`mfk_…`) or session token as `Authorization: Bearer …`; the same credentials keep failing.";
    SessionUserRequired = "SESSION_USER_REQUIRED" => 401, Authentication, false, "A session with a user is required";
        when "A session token without a user (no `partnerUserId`) was used where a customer is needed: placing, saved cards, order history.";
        action "Create the session with the customer's details, or place with your API key.";
    Forbidden = "FORBIDDEN" => 403, Authorization, false, "Forbidden";
        when "The credentials are valid but not for this operation: a commerce key on a marketplace route or the reverse, or a session token on a partner-only route.";
        action "Call with the other kind of key; each partner kind has its own routes.";
    NotFound = "NOT_FOUND" => 404, NotFound, false, "Not found";
        when "There is no such resource for you: an unknown id, one that is not a UUID, another organisation's, or a path that does not exist.";
        action "Check the id and the path; ids come from the answers that created the resources.";
    StoreNotFound = "STORE_NOT_FOUND" => 404, NotFound, false, "Store not found";
        when "No store with this id exists (or, on the commerce routes, none of yours); a non-UUID id answers the same.";
        action "Discover stores again; a deep link to a removed store should land on discovery.";
    CatalogsetNotFound = "CATALOGSET_NOT_FOUND" => 404, NotFound, false, "Catalog set not found";
        when "No catalog set with this id, or the cart's `catalogSetId` is not the store's current one (a new menu was pushed).";
        action "Read the store again for its current `catalogSetId`, rebuild the cart against that menu, and validate again.";
    OrderNotFound = "ORDER_NOT_FOUND" => 404, NotFound, false, "Order not found";
        when "No order with this id is yours (or your session user's, or at one of your stores); unknown ids and non-UUIDs answer the same.";
        action "Use the `gettOrderId` place returned (also in its `Location` header).";
    MethodNotAllowed = "METHOD_NOT_ALLOWED" => 405, Validation, false, "Method not allowed";
        when "The path exists but not with this HTTP method.";
        action "Use a method the reference lists for the path; the `Allow` header names them.";
    OrderAlreadyPlaced = "ORDER_ALREADY_PLACED" => 409, Conflict, false, "The order has already been placed";
        when "place: this token already placed an order, or this `Idempotency-Key` did with another body; `orderId` in the problem names the order.";
        action "Do not retry: read the order with `GET /v1/marketplace/orders/{orderId}`. A new order needs a new validate and a new key.";
    InvalidStatusTransition = "INVALID_STATUS_TRANSITION" => 409, Conflict, false, "The status transition is not allowed";
        when "An order status update the order's state machine does not allow from where the order is (e.g. `ready` before `preparing`, or anything after `completed`). The problem says the current status.";
        action "Read the order and send the next status it allows; an update that is already the order's status is answered 200 unchanged.";
    OrderClosed = "ORDER_CLOSED" => 409, Conflict, false, "The order is closed";
        when "A status update to an order that is completed or cancelled.";
        action "Nothing more can change on a closed order; read it to see how it ended.";
    IdempotencyKeyInUse = "IDEMPOTENCY_KEY_IN_USE" => 409, Conflict, true, "A request with this Idempotency-Key is in progress";
        when "A request with this `Idempotency-Key` is still being processed (a retry arrived before the first finished).";
        action "Wait `Retry-After` seconds and send the same request again: you get the first request's answer.";
    PayloadTooLarge = "PAYLOAD_TOO_LARGE" => 413, Validation, false, "The request body is too large";
        when "The body is over the limit: 1 MiB, or 5 MiB for a catalog set.";
        action "Send a smaller body; split a very large menu across stores, or pull it (`catalogset-notification`).";
    IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED" => 422, Validation, false, "The Idempotency-Key was used with another request";
        when "This `Idempotency-Key` was used with a different body, and that request did not place an order.";
        action "Use a new key for a new request; reuse a key only to retry the exact same request.";
    ValidationFailed = "VALIDATION_FAILED" => 422, Validation, false, "The request failed validation";
        when "The request is well formed but breaks a rule JSON Schema cannot state (a time zone, a reference inside a catalog set, a `resumeAt` in the past, a rate with too many decimals). Every problem is in `errors[]` with its `jsonPath`; nothing was saved.";
        action "Fix every listed problem and send the request again.";
    RateLimited = "RATE_LIMITED" => 429, RateLimit, true, "Too many requests";
        when "Your organisation spent its budget of reads or writes for the minute (`X-RateLimit-*` headers on every answer say how much is left).";
        action "Wait `retryAfter` seconds (also `Retry-After`), then continue; spread bursts out.";
    HeadersTooLarge = "REQUEST_HEADERS_TOO_LARGE" => 431, Validation, false, "The request has too many headers";
        when "The request's headers are too many or too large.";
        action "Send fewer or shorter headers (cookies do not belong on API calls).";
    InternalError = "INTERNAL_ERROR" => 500, ServerError, true, "Internal server error";
        when "Something failed on our side. Nothing half-done is kept: a place that fails this way made no order, or is rolled back.";
        action "Retry with back-off (1, 2, 4 … up to 30 s), with the same `Idempotency-Key` for a place; quote `requestId` and `traceId` if it persists.";
    ServiceUnavailable = "SERVICE_UNAVAILABLE" => 503, Availability, true, "Service unavailable";
        when "The service cannot reach its database for now.";
        action "Retry after `retryAfter` seconds with back-off; keyed requests are safe to retry with the same key.";
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_are_screaming_snake_case() {
        assert_eq!(ErrorCode::CatalogsetNotFound.as_str(), "CATALOGSET_NOT_FOUND");
        assert_eq!(ErrorCode::OrderAlreadyPlaced.as_str(), "ORDER_ALREADY_PLACED");
        assert_eq!(ErrorCode::InvalidRequest.as_str(), "INVALID_REQUEST");
    }

    #[test]
    fn registry_matches_design_for_retryable_codes() {
        let retryable: Vec<_> = ErrorCode::ALL.iter().filter(|c| c.retryable()).map(|c| c.as_str()).collect();
        assert_eq!(
            retryable,
            ["PAYMENT_FAILED", "IDEMPOTENCY_KEY_IN_USE", "RATE_LIMITED", "INTERNAL_ERROR", "SERVICE_UNAVAILABLE"]
        );
    }

    #[test]
    fn every_code_has_a_distinct_wire_name() {
        let mut names: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
    }
}
