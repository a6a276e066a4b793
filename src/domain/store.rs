//! A store as its commerce partner describes it, its pause state, and the rules both must meet.

use super::availability::{Schedule, WindowDto, parse_windows};
use super::geo::{round_coordinate, valid_coordinates};
use super::money::{check_amount, currency_exponent};
use super::problem::Problem;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The body of `PUT /v1/commerce/stores/{storeId}`, stored as given once it passes `validate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreDetails {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub timezone: String,
    pub address: Address,
    /// Free-text tags ("pizza", "vegan") that discovery's text query matches.
    #[serde(default)]
    pub cuisines: Vec<String>,
    /// ISO 4217; fees and minimum are in it, and the store's catalog set must use it.
    #[serde(default = "usd")]
    pub currency: String,
    pub delivery_allowed: bool,
    pub pickup_allowed: bool,
    #[serde(default, deserialize_with = "super::money::json_number::deserialize")]
    pub minimum_order_amount: Decimal,
    #[serde(default, deserialize_with = "super::money::json_number::deserialize")]
    pub delivery_fee: Decimal,
    /// Fraction of the subtotal, e.g. `0.05`.
    #[serde(default, deserialize_with = "super::money::json_number::deserialize")]
    pub service_fee_rate: Decimal,
    /// Fraction of the taxable amount, e.g. `0.08875`.
    #[serde(default, deserialize_with = "super::money::json_number::deserialize")]
    pub tax_rate: Decimal,
    #[serde(default, deserialize_with = "super::money::json_number::deserialize")]
    pub delivery_radius_km: Decimal,
    /// Postal codes delivered to, for delivery addresses sent without coordinates (the store's
    /// own postal code always counts).
    #[serde(default)]
    pub delivery_postal_codes: Vec<String>,
    /// Minutes from placing an order to its being ready (pickup or handed to the driver).
    #[serde(default = "twenty")]
    pub preparation_minutes: u32,
    /// Opening hours; none means the store is always closed.
    #[serde(default)]
    pub availability: Vec<WindowDto>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub street: String,
    pub city: String,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    pub country: String,
    pub latitude: f64,
    pub longitude: f64,
}

fn twenty() -> u32 {
    20
}

fn usd() -> String {
    "USD".to_string()
}

const MAX_DELIVERY_RADIUS_KM: i64 = 100;

impl StoreDetails {
    pub fn time_zone(&self) -> Option<Tz> {
        self.timezone.parse().ok()
    }

    pub fn schedule(&self) -> Schedule {
        Schedule::from_stored(&self.availability)
    }

    /// Writes every amount at the currency's minor-unit scale (15 → 15.00 for USD), so it is
    /// stored and served the way DESIGN.md pins money on the wire. Call after `validate`.
    pub fn normalise(&mut self) {
        self.address.latitude = round_coordinate(self.address.latitude);
        self.address.longitude = round_coordinate(self.address.longitude);
        let exponent = currency_exponent(&self.currency).unwrap_or(2);
        for amount in [&mut self.minimum_order_amount, &mut self.delivery_fee] {
            amount.rescale(exponent);
        }
        self.service_fee_rate = self.service_fee_rate.normalize();
        self.tax_rate = self.tax_rate.normalize();
        self.delivery_radius_km = self.delivery_radius_km.normalize();
    }
}

/// Every problem with a store description, each with its JSONPath.
pub fn validate(store: &StoreDetails) -> Vec<Problem> {
    let mut problems = Vec::new();
    let blank = |text: &str| text.trim().is_empty();
    if blank(&store.name) || store.name.chars().count() > super::limits::MAX_NAME_CHARS {
        let most = super::limits::MAX_NAME_CHARS;
        problems.push(Problem::at("INVALID_VALUE", "$.name", format!("name must be 1 to {most} characters")));
    }
    if store.time_zone().is_none() {
        problems.push(Problem::at(
            "INVALID_TIME_ZONE",
            "$.timezone",
            format!("{:?} is not an IANA time zone (e.g. America/New_York)", store.timezone),
        ));
    }
    for (field, value) in
        [("street", &store.address.street), ("city", &store.address.city), ("country", &store.address.country)]
    {
        if blank(value) {
            problems.push(Problem::at(
                "INVALID_VALUE",
                format!("$.address.{field}"),
                format!("{field} must not be blank"),
            ));
        }
    }
    if !valid_coordinates(store.address.latitude, store.address.longitude) {
        problems.push(Problem::at(
            "INVALID_COORDINATES",
            "$.address",
            "latitude must be within ±90 and longitude within ±180",
        ));
    }
    let exponent = currency_exponent(&store.currency);
    if exponent.is_none() {
        problems.push(Problem::at(
            "UNKNOWN_CURRENCY",
            "$.currency",
            format!("{:?} is not an ISO 4217 currency", store.currency),
        ));
    }
    let exponent = exponent.unwrap_or(u32::MAX);
    check_amount(store.minimum_order_amount, exponent, "$.minimumOrderAmount", &mut problems);
    check_amount(store.delivery_fee, exponent, "$.deliveryFee", &mut problems);
    for (field, rate) in [("serviceFeeRate", store.service_fee_rate), ("taxRate", store.tax_rate)] {
        if rate.is_sign_negative() || rate >= Decimal::ONE || rate.normalize().scale() > 6 {
            problems.push(Problem::at(
                "INVALID_RATE",
                format!("$.{field}"),
                format!("{field} is a fraction in [0, 1) with at most 6 decimals, got {rate}"),
            ));
        }
    }
    let radius = store.delivery_radius_km;
    if radius.is_sign_negative() || radius > Decimal::from(MAX_DELIVERY_RADIUS_KM) {
        problems.push(Problem::at(
            "INVALID_VALUE",
            "$.deliveryRadiusKm",
            format!("deliveryRadiusKm must be between 0 and {MAX_DELIVERY_RADIUS_KM}"),
        ));
    } else if store.delivery_allowed && radius.is_zero() {
        problems.push(Problem::at(
            "INVALID_VALUE",
            "$.deliveryRadiusKm",
            "a store that delivers needs a deliveryRadiusKm above 0",
        ));
    }
    if store.preparation_minutes > 240 {
        problems.push(Problem::at("INVALID_VALUE", "$.preparationMinutes", "preparationMinutes is at most 240"));
    }
    if let Err(mut bad) = parse_windows(&store.availability, "$.availability") {
        problems.append(&mut bad);
    }
    check_sizes(store, &mut problems);
    problems
}

/// The text and list limits of a store description (`limits` says why there are limits).
fn check_sizes(store: &StoreDetails, problems: &mut Vec<Problem>) {
    use super::limits::{MAX_ID_CHARS, MAX_LIST_ENTRIES, MAX_NAME_CHARS, check_text};
    check_text(store.phone.as_deref(), MAX_NAME_CHARS, "$.phone", problems);
    check_text(Some(&store.timezone), MAX_ID_CHARS, "$.timezone", problems);
    let address = &store.address;
    for (value, field) in [
        (Some(address.street.as_str()), "street"),
        (Some(address.city.as_str()), "city"),
        (address.state.as_deref(), "state"),
        (address.postal_code.as_deref(), "postalCode"),
        (Some(address.country.as_str()), "country"),
    ] {
        check_text(value, MAX_NAME_CHARS, &format!("$.address.{field}"), problems);
    }
    for (len, field) in [
        (store.cuisines.len(), "cuisines"),
        (store.delivery_postal_codes.len(), "deliveryPostalCodes"),
        (store.availability.len(), "availability"),
    ] {
        if len > MAX_LIST_ENTRIES {
            problems.push(Problem::at(
                "TOO_MANY_ITEMS",
                format!("$.{field}"),
                format!("at most {MAX_LIST_ENTRIES} entries"),
            ));
        }
    }
    for (i, cuisine) in store.cuisines.iter().enumerate().take(MAX_LIST_ENTRIES) {
        check_text(Some(cuisine), MAX_ID_CHARS, &format!("$.cuisines[{i}]"), problems);
    }
    for (i, code) in store.delivery_postal_codes.iter().enumerate().take(MAX_LIST_ENTRIES) {
        check_text(Some(code), MAX_ID_CHARS, &format!("$.deliveryPostalCodes[{i}]"), problems);
    }
}

/// Whether a store takes orders, as its partner set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum StoreStatus {
    Online,
    Paused,
    /// Taking orders, slower: the kitchen is slammed (`extraPreparationMinutes`).
    Busy,
}

impl StoreStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreStatus::Online => "online",
            StoreStatus::Paused => "paused",
            StoreStatus::Busy => "busy",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "online" => Some(StoreStatus::Online),
            "paused" => Some(StoreStatus::Paused),
            "busy" => Some(StoreStatus::Busy),
            _ => None,
        }
    }
}

/// A store as it is kept: its partner's description, its pause state and its live menu's id.
#[derive(Debug, Clone)]
pub struct Store {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub details: StoreDetails,
    pub pause: PauseState,
    pub catalog_set_id: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The pause state of a store at some instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PauseState {
    pub status: StoreStatus,
    pub reason: Option<String>,
    pub resume_at: Option<DateTime<Utc>>,
    /// While busy: the minutes every new order takes longer.
    pub extra_preparation_minutes: Option<u32>,
}

impl PauseState {
    pub const ONLINE: PauseState =
        PauseState { status: StoreStatus::Online, reason: None, resume_at: None, extra_preparation_minutes: None };

    /// A pause (or a busy spell) whose `resumeAt` has passed is over, whether or not the
    /// resumer has run yet, so every reader agrees on the state without waiting for a
    /// background job.
    pub fn effective(&self, now: DateTime<Utc>) -> PauseState {
        match self.resume_at {
            Some(at) if self.status != StoreStatus::Online && at <= now => PauseState::ONLINE,
            _ => self.clone(),
        }
    }

    /// The minutes an order placed at `now` takes beyond the store's preparation time.
    pub fn extra_minutes(&self, now: DateTime<Utc>) -> u32 {
        let effective = self.effective(now);
        if effective.status == StoreStatus::Busy { effective.extra_preparation_minutes.unwrap_or(0) } else { 0 }
    }
}

/// When an order placed at `now` should be ready: the store's preparation time, plus a busy
/// kitchen's extra minutes.
pub fn ready_at(details: &StoreDetails, pause: &PauseState, now: DateTime<Utc>) -> DateTime<Utc> {
    now + chrono::Duration::minutes(i64::from(details.preparation_minutes) + i64::from(pause.extra_minutes(now)))
}

/// Whether a store takes orders now, and if not, when it next will.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opening {
    pub is_open: bool,
    /// `None` while open, and for a store that will not open by itself (paused with no
    /// `resumeAt`, or no opening hours).
    pub next_open_at: Option<DateTime<Utc>>,
}

pub fn opening(details: &StoreDetails, pause: &PauseState, now: DateTime<Utc>) -> Opening {
    let closed = Opening { is_open: false, next_open_at: None };
    let Some(tz) = details.time_zone() else { return closed };
    let schedule = details.schedule();
    let pause = pause.effective(now);
    let from = match (pause.status, pause.resume_at) {
        (StoreStatus::Online | StoreStatus::Busy, _) => now,
        (StoreStatus::Paused, Some(resume_at)) => resume_at,
        (StoreStatus::Paused, None) => return closed,
    };
    let is_open = pause.status != StoreStatus::Paused && schedule.is_open_at(tz, now);
    if is_open {
        return Opening { is_open, next_open_at: None };
    }
    Opening { is_open, next_open_at: schedule.next_open_at(tz, from) }
}

/// `POST /v1/commerce/stores/{storeId}/status`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusUpdate {
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub resume_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub extra_preparation_minutes: Option<i64>,
}

/// The furthest ahead a pause may be set to end by itself.
pub const MAX_PAUSE_DAYS: i64 = 365;
/// The most a busy kitchen may add to every order.
pub const MAX_EXTRA_MINUTES: i64 = 240;

/// Turns a status update into the new pause state, or every problem with it.
pub fn apply_status_update(update: &StatusUpdate, now: DateTime<Utc>) -> Result<PauseState, Vec<Problem>> {
    let mut problems = Vec::new();
    let status = StoreStatus::parse(&update.status);
    if status.is_none() {
        problems.push(Problem::at("INVALID_VALUE", "$.status", "status must be \"online\", \"paused\" or \"busy\""));
    }
    let reason = update.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
    if status == Some(StoreStatus::Paused) && reason.is_none() {
        problems.push(Problem::at("INVALID_VALUE", "$.reason", "a pause needs a reason"));
    }
    if matches!(status, Some(StoreStatus::Paused | StoreStatus::Busy)) {
        if update.resume_at.is_some_and(|at| at <= now) {
            problems.push(Problem::at("INVALID_VALUE", "$.resumeAt", "resumeAt must be in the future"));
        }
        if update.resume_at.is_some_and(|at| at > now + chrono::Duration::days(MAX_PAUSE_DAYS)) {
            problems.push(Problem::at(
                "INVALID_VALUE",
                "$.resumeAt",
                format!("resumeAt is at most {MAX_PAUSE_DAYS} days ahead; leave it out until further notice"),
            ));
        }
    }
    if status == Some(StoreStatus::Paused) {
        super::limits::check_text(reason.as_deref(), super::limits::MAX_TEXT_CHARS, "$.reason", &mut problems);
    }
    let extra = update.extra_preparation_minutes;
    match (status, extra) {
        (Some(StoreStatus::Busy), None) => {
            problems.push(Problem::at(
                "INVALID_VALUE",
                "$.extraPreparationMinutes",
                "busy needs extraPreparationMinutes",
            ));
        }
        (Some(StoreStatus::Busy), Some(minutes)) if !(1..=MAX_EXTRA_MINUTES).contains(&minutes) => {
            let message = format!("extraPreparationMinutes is between 1 and {MAX_EXTRA_MINUTES}");
            problems.push(Problem::at("INVALID_VALUE", "$.extraPreparationMinutes", message));
        }
        (Some(StoreStatus::Online | StoreStatus::Paused), Some(_)) => {
            let message = "extraPreparationMinutes only applies to busy";
            problems.push(Problem::at("INVALID_VALUE", "$.extraPreparationMinutes", message));
        }
        _ => {}
    }
    if status == Some(StoreStatus::Online) && update.resume_at.is_some() {
        problems.push(Problem::at("INVALID_VALUE", "$.resumeAt", "resumeAt only applies to a pause or a busy spell"));
    }
    match status {
        Some(StoreStatus::Paused) if problems.is_empty() => Ok(PauseState {
            status: StoreStatus::Paused,
            reason,
            resume_at: update.resume_at,
            extra_preparation_minutes: None,
        }),
        Some(StoreStatus::Busy) if problems.is_empty() => Ok(PauseState {
            status: StoreStatus::Busy,
            reason: None,
            resume_at: update.resume_at,
            extra_preparation_minutes: extra.map(|m| m as u32),
        }),
        Some(StoreStatus::Online) if problems.is_empty() => Ok(PauseState::ONLINE),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use serde_json::json;

    fn store() -> serde_json::Value {
        json!({
            "name": "Brooklyn Slice", "timezone": "America/New_York",
            "address": {"street": "1 Main St", "city": "Brooklyn", "state": "NY", "postalCode": "11201", "country": "US",
                        "latitude": 40.7, "longitude": -73.99},
            "deliveryAllowed": true, "pickupAllowed": true, "minimumOrderAmount": 15, "deliveryFee": 3.99,
            "serviceFeeRate": 0.05, "taxRate": 0.08875, "deliveryRadiusKm": 5,
            "availability": [{"dayOfWeek": "Monday", "start": "11:00:00", "end": "22:00:00"}]
        })
    }

    fn problems_of(v: serde_json::Value) -> Vec<String> {
        let details: StoreDetails = serde_json::from_value(v).expect("parses");
        validate(&details).into_iter().map(|p| p.json_path.unwrap()).collect()
    }

    #[test]
    fn good_store_passes() {
        assert!(problems_of(store()).is_empty());
    }

    #[test]
    fn bad_store_lists_every_problem() {
        let mut v = store();
        v["timezone"] = json!("Mars/Olympus");
        v["address"]["latitude"] = json!(91);
        v["taxRate"] = json!(1.5);
        v["deliveryFee"] = json!(-2);
        v["deliveryRadiusKm"] = json!(0);
        assert_eq!(problems_of(v), ["$.timezone", "$.address", "$.deliveryFee", "$.taxRate", "$.deliveryRadiusKm"]);
    }

    #[test]
    fn pause_ends_by_itself_at_resume_at() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let update = StatusUpdate {
            status: "paused".into(),
            reason: Some("Busy".into()),
            resume_at: Some(now + Duration::minutes(30)),
            extra_preparation_minutes: None,
        };
        let state = apply_status_update(&update, now).unwrap();
        assert_eq!(state.effective(now + Duration::minutes(29)).status, StoreStatus::Paused);
        assert_eq!(state.effective(now + Duration::minutes(30)).status, StoreStatus::Online);
    }

    #[test]
    fn a_busy_kitchen_adds_its_minutes_until_it_is_not() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let busy = |minutes: Option<i64>, resume_at: Option<DateTime<Utc>>| StatusUpdate {
            status: "busy".into(),
            reason: None,
            resume_at,
            extra_preparation_minutes: minutes,
        };
        let state = apply_status_update(&busy(Some(25), Some(now + Duration::hours(1))), now).unwrap();
        assert_eq!((state.status, state.extra_minutes(now)), (StoreStatus::Busy, 25));
        assert_eq!(state.extra_minutes(now + Duration::hours(1)), 0, "over at resumeAt");
        for wrong in [busy(None, None), busy(Some(0), None), busy(Some(MAX_EXTRA_MINUTES + 1), None)] {
            let problems = apply_status_update(&wrong, now).unwrap_err();
            assert_eq!(problems[0].json_path.as_deref(), Some("$.extraPreparationMinutes"));
        }
        let online = StatusUpdate { status: "online".into(), ..busy(Some(5), None) };
        assert!(apply_status_update(&online, now).is_err(), "minutes go with busy only");
    }

    #[test]
    fn opening_accounts_for_pause_and_hours() {
        let mut v = store();
        v["availability"] = json!([{"dayOfWeek": "Monday", "start": "11:00:00", "end": "22:00:00"}]);
        let details: StoreDetails = serde_json::from_value(v).unwrap();
        // Monday 2026-11-23 12:00 in New York.
        let noon = Utc.with_ymd_and_hms(2026, 11, 23, 17, 0, 0).unwrap();
        let online = PauseState::ONLINE;
        assert_eq!(opening(&details, &online, noon), Opening { is_open: true, next_open_at: None });
        let paused_until_13 = PauseState {
            status: StoreStatus::Paused,
            reason: Some("Busy".into()),
            resume_at: Some(noon + Duration::hours(1)),
            extra_preparation_minutes: None,
        };
        assert_eq!(
            opening(&details, &paused_until_13, noon),
            Opening { is_open: false, next_open_at: Some(noon + Duration::hours(1)) }
        );
        let paused = PauseState { resume_at: None, ..paused_until_13 };
        assert_eq!(opening(&details, &paused, noon), Opening { is_open: false, next_open_at: None });
        // After closing on Monday the next opening is next Monday at 11:00.
        let late = Utc.with_ymd_and_hms(2026, 11, 24, 4, 0, 0).unwrap();
        let next = opening(&details, &online, late).next_open_at.unwrap();
        assert_eq!(next, Utc.with_ymd_and_hms(2026, 11, 30, 16, 0, 0).unwrap());
    }

    #[test]
    fn pause_needs_a_reason_and_a_future_resume() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let update = StatusUpdate {
            status: "paused".into(),
            reason: Some("  ".into()),
            resume_at: Some(now),
            extra_preparation_minutes: None,
        };
        let paths: Vec<_> =
            apply_status_update(&update, now).unwrap_err().into_iter().map(|p| p.json_path.unwrap()).collect();
        assert_eq!(paths, ["$.reason", "$.resumeAt"]);
    }
}
