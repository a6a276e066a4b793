//! Store onboarding (seed 003's "Order Booster Onboarding"): which status an onboarding may move
//! to, on the partner's request or when its catalog fetch ends, and what a registration must hold.
//!
//! ```text
//!                 ┌──────── refetch ────────┐
//!                 ▼                         │
//! register ─► fetching_catalog ─► ready_to_activate ─► (activate) ─► active
//!                 │     ▲                   │
//!                 ▼     │ refetch           │
//!            catalog_failed                 │
//!                 │                         │
//!                 └──► cancelled ◄──────────┘   (cancel: from any status before active)
//! ```

use super::problem::Problem;
use super::store::{self, StoreDetails};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum OnboardingStatus {
    /// The catalog is being fetched (or waits for a retry after a transient failure).
    FetchingCatalog,
    /// The catalog could not be fetched, or it has problems: the partner fixes it and refetches.
    CatalogFailed,
    ReadyToActivate,
    Active,
    Cancelled,
}

impl OnboardingStatus {
    pub const ALL: [OnboardingStatus; 5] = [
        OnboardingStatus::FetchingCatalog,
        OnboardingStatus::CatalogFailed,
        OnboardingStatus::ReadyToActivate,
        OnboardingStatus::Active,
        OnboardingStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OnboardingStatus::FetchingCatalog => "fetching_catalog",
            OnboardingStatus::CatalogFailed => "catalog_failed",
            OnboardingStatus::ReadyToActivate => "ready_to_activate",
            OnboardingStatus::Active => "active",
            OnboardingStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        OnboardingStatus::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

/// An onboarding as it is kept.
#[derive(Debug, Clone)]
pub struct Onboarding {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub partner_store_id: String,
    pub details: StoreDetails,
    pub catalog_callback_url: String,
    pub webhook_url: String,
    pub status: OnboardingStatus,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Set while a worker holds the fetch.
    pub locked_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub errors: Vec<Problem>,
    /// The checked catalog set's id, once fetched (the set itself is read by `catalog` only).
    pub catalog_set_id: Option<Uuid>,
    pub store_id: Option<Uuid>,
    pub webhook_endpoint_id: Option<Uuid>,
    pub history: Vec<Transition>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One entry of an onboarding's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transition {
    pub status: OnboardingStatus,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What a partner asks of an existing onboarding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// Fetch the catalog again (after fixing it, or to pick up a newer one before activating).
    Refetch,
    Activate,
    Cancel,
}

impl Request {
    pub fn as_str(self) -> &'static str {
        match self {
            Request::Refetch => "refetch",
            Request::Activate => "activate",
            Request::Cancel => "cancel",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    MoveTo(OnboardingStatus),
    /// The onboarding is already where the request would take it: answer with it as it is, so a
    /// retried request is harmless.
    Unchanged,
}

/// The statuses from which `request` is allowed, for the refusal's message.
pub fn allowed_from(request: Request) -> &'static [OnboardingStatus] {
    use OnboardingStatus::*;
    match request {
        Request::Refetch => &[CatalogFailed, ReadyToActivate, FetchingCatalog],
        Request::Activate => &[ReadyToActivate],
        Request::Cancel => &[FetchingCatalog, CatalogFailed, ReadyToActivate, Cancelled],
    }
}

/// Where `request` takes an onboarding in `current`, or `Err` when it is not allowed there.
pub fn decide(current: OnboardingStatus, request: Request) -> Result<Decision, String> {
    use OnboardingStatus::*;
    match (request, current) {
        (Request::Refetch, CatalogFailed | ReadyToActivate) => Ok(Decision::MoveTo(FetchingCatalog)),
        (Request::Refetch, FetchingCatalog) => Ok(Decision::Unchanged),
        (Request::Activate, ReadyToActivate) => Ok(Decision::MoveTo(Active)),
        (Request::Cancel, FetchingCatalog | CatalogFailed | ReadyToActivate) => Ok(Decision::MoveTo(Cancelled)),
        (Request::Cancel, Cancelled) => Ok(Decision::Unchanged),
        (request, current) => {
            let allowed: Vec<&str> = allowed_from(request).iter().map(|s| s.as_str()).collect();
            Err(format!(
                "the onboarding is {}; {} is allowed only when it is {}",
                current.as_str(),
                request.as_str(),
                allowed.join(" or ")
            ))
        }
    }
}

/// The longest `partnerStoreId` accepted.
pub const MAX_PARTNER_STORE_ID: usize = 100;

/// Every problem with a registration's own fields and its store description; the store's
/// problems point into `$.store`. (The URLs are checked by the caller, which may resolve them.)
pub fn check_registration(partner_store_id: &str, details: &StoreDetails) -> Vec<Problem> {
    let mut problems = Vec::new();
    let id = partner_store_id.trim();
    if id.is_empty() || id.len() > MAX_PARTNER_STORE_ID || id != partner_store_id {
        problems.push(Problem::at(
            "INVALID_VALUE",
            "$.partnerStoreId",
            format!("partnerStoreId must be 1 to {MAX_PARTNER_STORE_ID} characters, without surrounding spaces"),
        ));
    }
    problems.extend(store::validate(details).into_iter().map(|mut problem| {
        problem.json_path = problem.json_path.map(|path| format!("$.store{}", path.trim_start_matches('$')));
        problem
    }));
    problems
}

#[cfg(test)]
mod tests {
    use super::OnboardingStatus::*;
    use super::*;

    /// The whole machine: every request from every status.
    #[test]
    fn every_request_from_every_status() {
        let table: [(OnboardingStatus, Request, Option<Decision>); 15] = [
            (FetchingCatalog, Request::Refetch, Some(Decision::Unchanged)),
            (FetchingCatalog, Request::Activate, None),
            (FetchingCatalog, Request::Cancel, Some(Decision::MoveTo(Cancelled))),
            (CatalogFailed, Request::Refetch, Some(Decision::MoveTo(FetchingCatalog))),
            (CatalogFailed, Request::Activate, None),
            (CatalogFailed, Request::Cancel, Some(Decision::MoveTo(Cancelled))),
            (ReadyToActivate, Request::Refetch, Some(Decision::MoveTo(FetchingCatalog))),
            (ReadyToActivate, Request::Activate, Some(Decision::MoveTo(Active))),
            (ReadyToActivate, Request::Cancel, Some(Decision::MoveTo(Cancelled))),
            (Active, Request::Refetch, None),
            (Active, Request::Activate, None),
            (Active, Request::Cancel, None),
            (Cancelled, Request::Refetch, None),
            (Cancelled, Request::Activate, None),
            (Cancelled, Request::Cancel, Some(Decision::Unchanged)),
        ];
        for (current, request, expected) in table {
            assert_eq!(decide(current, request).ok(), expected, "{request:?} from {current:?}");
        }
    }

    #[test]
    fn allowed_from_agrees_with_decide() {
        for request in [Request::Refetch, Request::Activate, Request::Cancel] {
            for status in OnboardingStatus::ALL {
                assert_eq!(allowed_from(request).contains(&status), decide(status, request).is_ok(), "{request:?}");
            }
        }
    }

    #[test]
    fn a_refusal_names_the_current_status_and_what_is_needed() {
        let why = decide(CatalogFailed, Request::Activate).unwrap_err();
        assert!(why.contains("catalog_failed") && why.contains("ready_to_activate"), "{why}");
    }

    #[test]
    fn statuses_round_trip_through_text() {
        for status in OnboardingStatus::ALL {
            assert_eq!(OnboardingStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(OnboardingStatus::parse("pending"), None);
    }

    fn details() -> StoreDetails {
        serde_json::from_value(serde_json::json!({
            "name": "Corner Deli", "timezone": "America/New_York",
            "address": {"street": "2 Main St", "city": "New York", "country": "US", "latitude": 40.7, "longitude": -74.0},
            "deliveryAllowed": false, "pickupAllowed": true
        }))
        .unwrap()
    }

    #[test]
    fn a_registration_lists_its_own_and_its_store_problems_under_store() {
        assert!(check_registration("deli-1", &details()).is_empty());
        let mut bad = details();
        bad.name = String::new();
        bad.timezone = "Mars/Olympus".into();
        let paths: Vec<_> =
            check_registration(" ", &bad).into_iter().map(|p| p.json_path.unwrap_or_default()).collect();
        assert_eq!(paths, ["$.partnerStoreId", "$.store.name", "$.store.timezone"]);
        assert_eq!(check_registration(&"x".repeat(101), &details()).len(), 1);
    }
}
