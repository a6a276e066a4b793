//! The error registry: every `errorCode` the API can answer with, and what it means on the wire.
//!
//! This is the one table in code that DESIGN.md asks for; the OpenAPI spec carries the same table
//! and a test keeps the two in step.

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
    ($( $variant:ident = $wire:literal => $status:literal, $category:ident, $retryable:literal, $title:literal; )*) => {
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
        }
    };
}

registry! {
    InvalidRequest = "INVALID_REQUEST" => 400, Validation, false, "The request is malformed";
    MissingIdempotencyKey = "MISSING_IDEMPOTENCY_KEY" => 400, Validation, false, "The Idempotency-Key header is required";
    InvalidIdempotencyKey = "INVALID_IDEMPOTENCY_KEY" => 400, Validation, false, "The Idempotency-Key header is not a UUID v4";
    CartEmpty = "CART_EMPTY" => 400, Validation, false, "The cart is empty";
    CatalogsetRequired = "CATALOGSET_REQUIRED" => 400, Validation, false, "A catalog set is required";
    ModifierRequired = "MODIFIER_REQUIRED" => 400, Validation, false, "A required modifier is missing";
    OrderBelowMinimum = "ORDER_BELOW_MINIMUM" => 400, Validation, false, "The order is below the store minimum";
    AddressInvalid = "ADDRESS_INVALID" => 400, Validation, false, "The delivery address is invalid";
    AddressOutOfRange = "ADDRESS_OUT_OF_RANGE" => 400, Validation, false, "The delivery address is out of range";
    OrderTotalDifferent = "ORDER_TOTAL_DIFFERENT" => 400, Validation, false, "The order total has changed";
    TokenExpired = "TOKEN_EXPIRED" => 400, Validation, false, "The validated order token has expired";
    TokenInvalid = "TOKEN_INVALID" => 400, Validation, false, "The validated order token is invalid";
    ItemUnavailable = "ITEM_UNAVAILABLE" => 400, Availability, false, "An item is unavailable";
    StoreClosed = "STORE_CLOSED" => 400, Availability, false, "The store is closed";
    PaymentDeclined = "PAYMENT_DECLINED" => 400, Payment, false, "The payment was declined";
    PaymentMethodInvalid = "PAYMENT_METHOD_INVALID" => 400, Payment, false, "The payment method is invalid";
    PaymentFailed = "PAYMENT_FAILED" => 400, Payment, true, "The payment could not be processed";
    Unauthenticated = "UNAUTHENTICATED" => 401, Authentication, false, "Authentication is required";
    SessionUserRequired = "SESSION_USER_REQUIRED" => 401, Authentication, false, "A session with a user is required";
    Forbidden = "FORBIDDEN" => 403, Authorization, false, "Forbidden";
    NotFound = "NOT_FOUND" => 404, NotFound, false, "Not found";
    StoreNotFound = "STORE_NOT_FOUND" => 404, NotFound, false, "Store not found";
    CatalogsetNotFound = "CATALOGSET_NOT_FOUND" => 404, NotFound, false, "Catalog set not found";
    OrderNotFound = "ORDER_NOT_FOUND" => 404, NotFound, false, "Order not found";
    MethodNotAllowed = "METHOD_NOT_ALLOWED" => 405, Validation, false, "Method not allowed";
    OrderAlreadyPlaced = "ORDER_ALREADY_PLACED" => 409, Conflict, false, "The order has already been placed";
    InvalidStatusTransition = "INVALID_STATUS_TRANSITION" => 409, Conflict, false, "The status transition is not allowed";
    OrderClosed = "ORDER_CLOSED" => 409, Conflict, false, "The order is closed";
    IdempotencyKeyInUse = "IDEMPOTENCY_KEY_IN_USE" => 409, Conflict, true, "A request with this Idempotency-Key is in progress";
    PayloadTooLarge = "PAYLOAD_TOO_LARGE" => 413, Validation, false, "The request body is too large";
    IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED" => 422, Validation, false, "The Idempotency-Key was used with another request";
    ValidationFailed = "VALIDATION_FAILED" => 422, Validation, false, "The request failed validation";
    RateLimited = "RATE_LIMITED" => 429, RateLimit, true, "Too many requests";
    HeadersTooLarge = "REQUEST_HEADERS_TOO_LARGE" => 431, Validation, false, "The request has too many headers";
    InternalError = "INTERNAL_ERROR" => 500, ServerError, true, "Internal server error";
    ServiceUnavailable = "SERVICE_UNAVAILABLE" => 503, Availability, true, "Service unavailable";
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
