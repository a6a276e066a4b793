//! The order state machine (seed 003): `status` moves forward through pending → confirmed →
//! preparing → ready → inTransit (delivery orders only; steps may be skipped), and `state`
//! closes the order as `completed`, or `cancelled` with a reason, from any open status. A
//! repeated update changes nothing; a closed order changes no more. Pure.

use super::limits::MAX_TEXT_CHARS;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "camelCase")]
#[sqlx(type_name = "text", rename_all = "camelCase")]
pub enum Status {
    Pending,
    Confirmed,
    Preparing,
    Ready,
    InTransit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "camelCase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum State {
    Open,
    Completed,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Confirmed => "confirmed",
            Status::Preparing => "preparing",
            Status::Ready => "ready",
            Status::InTransit => "inTransit",
        }
    }
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Completed => "completed",
            State::Cancelled => "cancelled",
        }
    }
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub state: State,
    pub status: Status,
    pub delivery: bool,
}

/// What a commerce partner asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Update {
    pub state: Option<State>,
    pub status: Option<Status>,
    pub cancel_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The order is completed or cancelled.
    Closed(State),
    /// Backward, or not possible for this order.
    Transition(String),
    /// The update itself is wrong, whatever the order's position. `schema_states` says whether
    /// the OpenAPI document's schema states the rule broken (a length), so a schema-valid update
    /// never breaks it, or only its words do (a window of time, a field that needs another).
    Input { path: &'static str, message: String, schema_states: bool },
}

/// How far from now a restaurant's `estimatedReadyAt` may be: a little in the past (a clock
/// running behind, an order already waiting at the counter), and at most a week ahead.
pub const ESTIMATE_PAST_LIMIT_HOURS: i64 = 24;
pub const ESTIMATE_FUTURE_LIMIT_DAYS: i64 = 7;

pub fn check_estimated_ready_at(at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), Refusal> {
    let earliest = now - Duration::hours(ESTIMATE_PAST_LIMIT_HOURS);
    let latest = now + Duration::days(ESTIMATE_FUTURE_LIMIT_DAYS);
    if at < earliest || at > latest {
        return Err(Refusal::Input {
            path: "$.estimatedReadyAt",
            message: format!(
                "estimatedReadyAt must lie between {ESTIMATE_PAST_LIMIT_HOURS} hours ago and {ESTIMATE_FUTURE_LIMIT_DAYS} days from now"
            ),
            schema_states: false,
        });
    }
    Ok(())
}

/// Whether the partner that placed an order (for its customer) may still cancel it: only while
/// the restaurant has not started cooking (pending or confirmed).
pub fn partner_may_cancel(current: Progress) -> Result<(), Refusal> {
    if current.state != State::Open {
        return Err(Refusal::Closed(current.state));
    }
    if current.status > Status::Confirmed {
        return Err(Refusal::Transition(format!(
            "the restaurant has started on it (status {}); only a pending or confirmed order can be cancelled",
            current.status.as_str()
        )));
    }
    Ok(())
}

/// The order's position after `update`; equal to `current` when it changes nothing.
pub fn apply(current: Progress, update: &Update) -> Result<Progress, Refusal> {
    if update.status == Some(Status::Pending) {
        return Err(Refusal::Input {
            path: "$.status",
            message: "pending is set by Marketfront when the order is placed; send confirmed or later".into(),
            schema_states: false,
        });
    }
    let reason = update.cancel_reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > MAX_TEXT_CHARS) {
        return Err(Refusal::Input {
            path: "$.cancelReason",
            message: format!("cancelReason is at most {MAX_TEXT_CHARS} characters"),
            schema_states: true,
        });
    }
    if update.state == Some(State::Cancelled) && reason.is_none() {
        let message = "cancelReason is required to cancel".into();
        return Err(Refusal::Input { path: "$.cancelReason", message, schema_states: false });
    }
    if update.state.is_none() && update.status.is_none() && update.cancel_reason.is_some() {
        let message = "cancelReason goes with state: cancelled".into();
        return Err(Refusal::Input { path: "$.state", message, schema_states: false });
    }
    if current.state != State::Open {
        // Saying again what happened is harmless (a retried request); anything else is not.
        let repeat =
            update.state.is_none_or(|s| s == current.state) && update.status.is_none_or(|s| s == current.status);
        return if repeat && update.state.is_some() { Ok(current) } else { Err(Refusal::Closed(current.state)) };
    }
    let mut next = current;
    if let Some(status) = update.status {
        if status == Status::InTransit && !current.delivery {
            return Err(Refusal::Transition("inTransit is only for delivery orders".into()));
        }
        if status < current.status {
            return Err(Refusal::Transition(format!(
                "the order is already {}; status only moves forward",
                current.status.as_str()
            )));
        }
        next.status = status;
    }
    if let Some(state) = update.state {
        next.state = state;
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_estimate_must_be_near_now_and_a_reason_short() {
        let now = Utc::now();
        assert!(check_estimated_ready_at(now + Duration::minutes(20), now).is_ok());
        assert!(check_estimated_ready_at(now - Duration::hours(2), now).is_ok());
        let year_one = DateTime::parse_from_rfc3339("0001-01-01T00:00:00Z").unwrap().to_utc();
        for wrong in [year_one, now + Duration::days(8), now - Duration::days(2)] {
            assert!(matches!(
                check_estimated_ready_at(wrong, now),
                Err(Refusal::Input { path: "$.estimatedReadyAt", .. })
            ));
        }
        let open = Progress { state: Open, status: Pending, delivery: false };
        let long = Update { state: Some(Cancelled), status: None, cancel_reason: Some("x".repeat(MAX_TEXT_CHARS + 1)) };
        assert!(matches!(apply(open, &long), Err(Refusal::Input { path: "$.cancelReason", .. })));
    }

    use State::*;
    use Status::*;

    #[test]
    fn a_partner_cancels_only_before_the_kitchen_starts() {
        for status in [Pending, Confirmed] {
            assert!(partner_may_cancel(Progress { state: Open, status, delivery: true }).is_ok());
        }
        for status in [Preparing, Ready, InTransit] {
            let refusal = partner_may_cancel(Progress { state: Open, status, delivery: true });
            assert!(matches!(refusal, Err(Refusal::Transition(ref why)) if why.contains(status.as_str())));
        }
        for state in [Completed, Cancelled] {
            let refusal = partner_may_cancel(Progress { state, status: Confirmed, delivery: true });
            assert!(matches!(refusal, Err(Refusal::Closed(closed)) if closed == state));
        }
    }

    fn at(state: State, status: Status) -> Progress {
        Progress { state, status, delivery: true }
    }

    fn update(state: Option<State>, status: Option<Status>, reason: Option<&str>) -> Update {
        Update { state, status, cancel_reason: reason.map(String::from) }
    }

    #[test]
    fn the_whole_state_machine() {
        enum Expect {
            To(State, Status),
            Same,
            Closed,
            Transition,
            Input(&'static str),
        }
        use Expect::*;
        let table: Vec<(Progress, Update, Expect)> = vec![
            // Forward, one step or several.
            (at(Open, Pending), update(None, Some(Confirmed), None), To(Open, Confirmed)),
            (at(Open, Confirmed), update(None, Some(Preparing), None), To(Open, Preparing)),
            (at(Open, Preparing), update(None, Some(Ready), None), To(Open, Ready)),
            (at(Open, Ready), update(None, Some(InTransit), None), To(Open, InTransit)),
            (at(Open, Pending), update(None, Some(Ready), None), To(Open, Ready)),
            // Repeats change nothing.
            (at(Open, Preparing), update(None, Some(Preparing), None), Same),
            (at(Open, Preparing), update(Some(Open), None, None), Same),
            // Backward, and the server's own status.
            (at(Open, Ready), update(None, Some(Confirmed), None), Transition),
            (at(Open, InTransit), update(None, Some(Ready), None), Transition),
            (at(Open, Confirmed), update(None, Some(Pending), None), Input("$.status")),
            // Closing from any open status, with a status on the way.
            (at(Open, Pending), update(Some(Completed), None, None), To(Completed, Pending)),
            (at(Open, Ready), update(Some(Completed), Some(InTransit), None), To(Completed, InTransit)),
            (at(Open, Pending), update(Some(Cancelled), None, Some("out of dough")), To(Cancelled, Pending)),
            (at(Open, InTransit), update(Some(Cancelled), None, Some("driver crashed")), To(Cancelled, InTransit)),
            (at(Open, Ready), update(Some(Cancelled), None, None), Input("$.cancelReason")),
            (at(Open, Ready), update(Some(Cancelled), None, Some("  ")), Input("$.cancelReason")),
            (at(Open, Ready), update(None, None, Some("why")), Input("$.state")),
            (at(Open, Ready), update(Some(Completed), Some(Confirmed), None), Transition),
            // Closed is closed; saying so again is fine.
            (at(Completed, Ready), update(Some(Completed), None, None), Same),
            (at(Cancelled, Ready), update(Some(Cancelled), None, Some("again")), Same),
            (at(Completed, Ready), update(Some(Cancelled), None, Some("late")), Closed),
            (at(Completed, Ready), update(None, Some(InTransit), None), Closed),
            (at(Cancelled, Pending), update(Some(Open), None, None), Closed),
            (at(Completed, Ready), update(None, Some(Ready), None), Closed),
        ];
        for (i, (current, change, expect)) in table.into_iter().enumerate() {
            let got = apply(current, &change);
            match expect {
                To(state, status) => assert_eq!(got, Ok(Progress { state, status, ..current }), "row {i}"),
                Same => assert_eq!(got, Ok(current), "row {i}"),
                Closed => assert_eq!(got, Err(Refusal::Closed(current.state)), "row {i}"),
                Transition => assert!(matches!(got, Err(Refusal::Transition(_))), "row {i}: {got:?}"),
                Input(path) => {
                    assert!(matches!(got, Err(Refusal::Input { path: p, .. }) if p == path), "row {i}: {got:?}");
                }
            }
        }
    }

    #[test]
    fn in_transit_is_for_delivery_orders_only() {
        let pickup = Progress { state: Open, status: Ready, delivery: false };
        assert!(matches!(apply(pickup, &update(None, Some(InTransit), None)), Err(Refusal::Transition(_))));
    }

    #[test]
    fn the_wire_spelling_is_the_named_one() {
        // `as_str` (messages, events), serde (bodies) and the stored text (sqlx, the same
        // rename) must agree, or a stored status would not read back.
        for status in [Pending, Confirmed, Preparing, Ready, InTransit] {
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        for state in [Open, Completed, Cancelled] {
            assert_eq!(serde_json::to_value(state).unwrap(), state.as_str());
        }
        assert_eq!(InTransit.as_str(), "inTransit");
    }
}
