//! Keyset cursors: where the next page of a list starts, as an opaque string.
//!
//! A cursor names the last row a page returned by its sort key, so the next page is "the rows
//! after this key" — an index range, whatever the depth — and rows written meanwhile neither
//! shift the page nor repeat. Each list has its own kind, so a cursor from one list is refused
//! by another rather than silently reading the wrong range.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The lists that page by cursor, each with its sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// A partner's (or a session user's) placed orders: newest `placed_at` first, then id.
    Orders,
    /// A commerce partner's stores: by id.
    Stores,
    /// A commerce partner's onboardings: newest `created_at` first, then id.
    Onboardings,
    /// A partner's webhook deliveries: newest `created_at` first, then id.
    Deliveries,
}

impl ListKind {
    fn tag(self) -> &'static str {
        match self {
            ListKind::Orders => "o",
            ListKind::Stores => "s",
            ListKind::Onboardings => "b",
            ListKind::Deliveries => "d",
        }
    }

    /// Whether this list's key has a timestamp before the id.
    fn timed(self) -> bool {
        !matches!(self, ListKind::Stores)
    }
}

/// The sort key of a row: the page after it starts just past it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub at: Option<DateTime<Utc>>,
    pub id: Uuid,
}

/// Keys before every real row of a newest-first list, so "after the start" is the whole list
/// and the store layer needs one statement (a range on its index) for the first page and the
/// thousandth alike.
const NEWEST_FIRST_START_MICROS: i64 = 253_402_300_799_000_000; // 9999-12-31T23:59:59Z

impl Position {
    /// Where a newest-first list (`at DESC, id DESC`) starts when no cursor was given.
    pub fn newest_first_start() -> Position {
        Position { at: DateTime::from_timestamp_micros(NEWEST_FIRST_START_MICROS), id: Uuid::max() }
    }

    /// Where an id-ordered list starts when no cursor was given.
    pub fn by_id_start() -> Position {
        Position { at: None, id: Uuid::nil() }
    }

    /// The timestamp of a newest-first key (the start sentinel when absent).
    pub fn at_or_start(&self) -> DateTime<Utc> {
        self.at.unwrap_or_else(|| Position::newest_first_start().at.expect("the sentinel is a valid time"))
    }

    pub fn encode(&self, list: ListKind) -> String {
        let at = self.at.map(|at| at.timestamp_micros().to_string()).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(format!("1.{}.{at}.{}", list.tag(), self.id.simple()))
    }

    /// The position `text` encodes for `list`, or None when it is not one of `list`'s cursors.
    pub fn decode(text: &str, list: ListKind) -> Option<Position> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let mut parts = text.split('.');
        let (version, tag, at, id) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if version != "1" || tag != list.tag() || parts.next().is_some() {
            return None;
        }
        let id = Uuid::try_parse(id).ok()?;
        let at = match (list.timed(), at) {
            (false, "") => None,
            (true, micros) => Some(DateTime::from_timestamp_micros(micros.parse().ok()?)?),
            (false, _) => return None,
        };
        Some(Position { at, id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_cursor_belongs_to_its_list() {
        let position = Position { at: DateTime::from_timestamp_micros(1_764_000_000_123_456), id: Uuid::now_v7() };
        let cursor = position.encode(ListKind::Orders);
        assert_eq!(Position::decode(&cursor, ListKind::Orders), Some(position));
        assert_eq!(Position::decode(&cursor, ListKind::Deliveries), None);
        assert_eq!(Position::decode(&cursor, ListKind::Stores), None);
    }

    #[test]
    fn a_store_cursor_has_no_time() {
        let position = Position { at: None, id: Uuid::now_v7() };
        let cursor = position.encode(ListKind::Stores);
        assert_eq!(Position::decode(&cursor, ListKind::Stores), Some(position));
    }

    #[test]
    fn garbage_is_not_a_cursor() {
        for text in ["", "x", "%%%", "MS5vLi4", &URL_SAFE_NO_PAD.encode("1.o.12.not-a-uuid")] {
            assert_eq!(Position::decode(text, ListKind::Orders), None, "{text}");
        }
    }

    #[test]
    fn the_start_comes_before_any_real_row() {
        let start = Position::newest_first_start();
        assert!(start.at.unwrap() > DateTime::parse_from_rfc3339("9000-01-01T00:00:00Z").unwrap());
        assert_eq!(start.at_or_start(), start.at.unwrap());
    }

    proptest! {
        #[test]
        fn every_position_survives_its_cursor(micros in 0i64..NEWEST_FIRST_START_MICROS, id: u128) {
            let position = Position { at: DateTime::from_timestamp_micros(micros), id: Uuid::from_u128(id) };
            prop_assert_eq!(Position::decode(&position.encode(ListKind::Onboardings), ListKind::Onboardings), Some(position));
        }
    }
}
