//! Reading a request body strictly, straight from its bytes or from parsed JSON. serde's derived
//! structs also accept a JSON array holding their fields in order (`"amounts": [2.0, 21.64]`),
//! which no partner means and the OpenAPI document forbids; and Postgres stores no text holding
//! NUL, so such a string could only fail later, as a 500. `Strict` wraps any deserializer and
//! refuses both, at every depth. One thing it accepts that serde would not: a whole number
//! written as a float (`"quantity": 1.0`, `2e1`) where an integer is wanted, since JSON Schema
//! counts it as an integer and Python's and JavaScript's encoders send it; a fractional one
//! is still refused. Everything else passes through unchanged, so numbers (arbitrary
//! precision), enums and error messages behave exactly as serde_json's own.
//!
//! It works by wrapping, at each level, whatever serde hands down (visitors, map and sequence
//! accesses, seeds), so that every nested value is read through `Strict` again. Reading the
//! bytes directly, rather than building a `serde_json::Value` first, is what keeps validate's
//! hot path cheap: the tree cost an allocation per node to build, walk and free.

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Unexpected, VariantAccess, Visitor,
};
use std::fmt;

pub const NUL_MESSAGE: &str = "Text must not contain the NUL character (\\u0000).";

pub struct Strict<D>(pub D);

/// Hands values on to the visitor serde asked with, refusing NUL in text and a sequence when
/// the visitor wants a struct, and turning a whole float into the integer it is when the
/// visitor wants an integer.
struct Checked<V> {
    visitor: V,
    wants: Wants,
}

#[derive(Clone, Copy, PartialEq)]
enum Wants {
    Any,
    Struct,
    Integer,
}

impl<V> Checked<V> {
    fn any(visitor: V) -> Self {
        Checked { visitor, wants: Wants::Any }
    }

    fn structure(visitor: V) -> Self {
        Checked { visitor, wants: Wants::Struct }
    }

    fn integer(visitor: V) -> Self {
        Checked { visitor, wants: Wants::Integer }
    }
}

/// 2^53: up to here a float holds every integer exactly, as JavaScript's safe integers. Beyond,
/// a "whole" float may be an integer literal too large for any integer type that the JSON
/// parser rounded (-9223372036854775809 reads as i64::MIN), so it is refused, not rounded.
pub(crate) const WHOLE_LIMIT: f64 = 9_007_199_254_740_992.0;

/// Whether `value` is a whole number a float holds exactly (see `WHOLE_LIMIT`): the one rule for
/// a float taken as an integer, in a body here and in a query string (`input::whole_number`).
pub(crate) fn is_whole(value: f64) -> bool {
    value.is_finite() && value.fract() == 0.0 && value.abs() <= WHOLE_LIMIT
}

/// A float handed to a visitor that wants an integer: the integer, if the float is a whole
/// number in range; refused otherwise, in the visitor's own words.
fn whole<'de, V: Visitor<'de>, E: de::Error>(checked: Checked<V>, value: f64) -> Result<V::Value, E> {
    if is_whole(value) {
        return if value >= 0.0 {
            checked.visitor.visit_u64(value as u64)
        } else {
            checked.visitor.visit_i64(value as i64)
        };
    }
    Err(E::invalid_value(Unexpected::Float(value), &"a whole number"))
}

struct Seed<S>(S);
struct Members<A>(A);
struct Items<A>(A);
struct Variants<A>(A);
struct Variant<A>(A);

fn no_nul<E: de::Error>(text: &str) -> Result<(), E> {
    if text.contains('\0') { Err(E::custom(NUL_MESSAGE)) } else { Ok(()) }
}

macro_rules! forward_deserialize {
    ($wrap:path; $($method:ident),*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method($wrap(visitor))
        })*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Strict<D> {
    type Error = D::Error;

    forward_deserialize!(
        Checked::integer;
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128
    );

    forward_deserialize!(
        Checked::any;
        deserialize_any,
        deserialize_bool,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier
    );

    /// A member the type does not know is still read, not skipped, so that no text anywhere in
    /// a body holds NUL: a partner gets the same answer whichever fields we happen to use.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(Checked::any(visitor))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, Checked::any(visitor))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, Checked::any(visitor))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, Checked::any(visitor))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple_struct(name, len, Checked::any(visitor))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_struct(name, fields, Checked::structure(visitor))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, Checked::any(visitor))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty)),*) => {
        $(fn $method<E: de::Error>(self, value: $ty) -> Result<V::Value, E> {
            self.visitor.$method(value)
        })*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Checked<V> {
    type Value = V::Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        self.visitor.expecting(formatter)
    }

    forward_visit!(
        visit_bool(bool),
        visit_i8(i8),
        visit_i16(i16),
        visit_i32(i32),
        visit_i64(i64),
        visit_i128(i128),
        visit_u8(u8),
        visit_u16(u16),
        visit_u32(u32),
        visit_u64(u64),
        visit_u128(u128),
        visit_char(char),
        visit_bytes(&[u8]),
        visit_borrowed_bytes(&'de [u8]),
        visit_byte_buf(Vec<u8>)
    );

    fn visit_f32<E: de::Error>(self, value: f32) -> Result<V::Value, E> {
        self.visit_f64(f64::from(value))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<V::Value, E> {
        if self.wants == Wants::Integer { whole(self, value) } else { self.visitor.visit_f64(value) }
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<V::Value, E> {
        no_nul(value)?;
        self.visitor.visit_str(value)
    }

    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<V::Value, E> {
        no_nul(value)?;
        self.visitor.visit_borrowed_str(value)
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<V::Value, E> {
        no_nul(&value)?;
        self.visitor.visit_string(value)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_some(Strict(deserializer))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_newtype_struct(Strict(deserializer))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, items: A) -> Result<V::Value, A::Error> {
        if self.wants == Wants::Struct {
            return Err(de::Error::invalid_type(Unexpected::Seq, &self));
        }
        self.visitor.visit_seq(Items(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, members: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_map(Members(members))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_enum(Variants(data))
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Strict(deserializer))
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Members<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(Seed(seed))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Items<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Variants<A> {
    type Error = A::Error;
    type Variant = Variant<A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, Self::Variant), A::Error> {
        self.0.variant_seed(Seed(seed)).map(|(value, variant)| (value, Variant(variant)))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Variant<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(Seed(seed))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Checked::any(visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, Checked::structure(visitor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use serde::Deserialize;
    use serde_json::{Error, Value, json};
    use std::collections::BTreeMap;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Amounts {
        tip: Option<Decimal>,
        total: Option<Decimal>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "camelCase")]
    enum Mode {
        Pickup,
        Delivery { minutes: u32 },
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Order {
        amounts: Option<Amounts>,
        lines: Vec<Amounts>,
        latitude: f64,
        #[serde(default)]
        mode: Option<Mode>,
        #[serde(default)]
        notes: BTreeMap<String, Value>,
    }

    /// Both ways in: from the bytes, and from an already parsed `Value`. They must agree on
    /// what they accept (their messages may word a refusal differently).
    fn read(text: &str) -> Result<Order, Error> {
        let from_value = serde_json::from_str::<Value>(text).and_then(|value| Order::deserialize(Strict(&value)));
        let mut reader = serde_json::Deserializer::from_str(text);
        let from_bytes = Order::deserialize(Strict(&mut reader)).and_then(|order| reader.end().map(|()| order));
        assert_eq!(from_value.as_ref().ok(), from_bytes.as_ref().ok(), "{text}");
        assert_eq!(from_value.is_ok(), from_bytes.is_ok(), "{text}: {from_value:?} / {from_bytes:?}");
        from_bytes
    }

    #[test]
    fn objects_read_as_before_with_exact_decimals() {
        // From text, as a body arrives: json! would make 2.10 an f64 first.
        let text = r#"{"amounts": {"tip": 2.10, "total": null}, "lines": [{}], "latitude": 40.75,
                       "mode": {"delivery": {"minutes": 30}}, "notes": {"door": ["blue", 2]}}"#;
        let order = read(text).unwrap();
        assert_eq!(order.amounts.unwrap().tip.unwrap().to_string(), "2.10");
        assert_eq!(order.lines.len(), 1);
        assert_eq!(order.latitude, 40.75);
        assert_eq!(order.mode, Some(Mode::Delivery { minutes: 30 }));
        assert_eq!(order.notes["door"], json!(["blue", 2]));
        assert_eq!(read(r#"{"lines": [], "latitude": 0, "mode": "pickup"}"#).unwrap().mode, Some(Mode::Pickup));
    }

    #[test]
    fn an_array_is_no_struct_at_any_depth() {
        let nested = read(r#"{"amounts": [2, 3], "lines": [], "latitude": 0}"#).unwrap_err();
        assert!(nested.to_string().contains("invalid type: sequence"), "{nested}");
        assert!(read(r#"{"lines": [[1, 2]], "latitude": 0}"#).is_err(), "inside an array too");
        assert!(read(r#"[null, [], 0]"#).is_err(), "and at the top");
        assert!(read(r#"{"lines": [], "latitude": 0, "mode": {"delivery": [30]}}"#).is_err(), "and in a variant");
        // serde_json on its own takes the first.
        assert!(serde_json::from_value::<Order>(json!({"amounts": [2, 3], "lines": [], "latitude": 0})).is_ok());
    }

    #[test]
    fn a_whole_float_is_the_integer_it_is_and_a_fractional_one_is_refused() {
        #[derive(Debug, PartialEq, Deserialize)]
        struct Line {
            quantity: i64,
            minutes: Option<u32>,
        }
        // From the bytes only: every body is read so (`input::parse_json`). A parsed `Value`
        // with arbitrary precision keeps the number as its text and parses it by the type asked.
        let line = |text: &str| {
            let mut reader = serde_json::Deserializer::from_str(text);
            Line::deserialize(Strict(&mut reader)).map_err(|error| error.to_string())
        };
        assert_eq!(line(r#"{"quantity": 1.0, "minutes": 2e1}"#), Ok(Line { quantity: 1, minutes: Some(20) }));
        assert_eq!(line(r#"{"quantity": -3.0, "minutes": null}"#), Ok(Line { quantity: -3, minutes: None }));
        assert_eq!(line(r#"{"quantity": 2, "minutes": 0.0}"#), Ok(Line { quantity: 2, minutes: Some(0) }));
        let fractional = line(r#"{"quantity": 1.5}"#).unwrap_err();
        assert!(fractional.contains("floating point `1.5`, expected a whole number"), "{fractional}");
        let negative = line(r#"{"quantity": 1, "minutes": -1.0}"#).unwrap_err();
        assert!(negative.contains("expected u32"), "still in range of the field's type: {negative}");
        assert!(line(r#"{"quantity": 1e30}"#).is_err(), "beyond any integer");
        let rounded = line(r#"{"quantity": -9223372036854775809}"#).unwrap_err();
        assert!(
            rounded.contains("expected a whole number"),
            "an integer literal below i64::MIN, not rounded to it: {rounded}"
        );
        assert_eq!(line(r#"{"quantity": 9007199254740992.0}"#), Ok(Line { quantity: 1 << 53, minutes: None }));
        // A float where a float is wanted is untouched.
        assert_eq!(read(r#"{"lines": [], "latitude": 40.0}"#).unwrap().latitude, 40.0);
    }

    #[test]
    fn no_text_may_hold_nul_wherever_it_is() {
        for text in [
            r#"{"lines": [], "latitude": 0, "notes": {"door": "a\u0000b"}}"#,
            r#"{"lines": [], "latitude": 0, "notes": {"a\u0000": 1}}"#,
            r#"{"lines": [], "latitude": 0, "notes": {"door": [{"deep": "\u0000"}]}}"#,
            r#"{"lines": [], "latitude": 0, "mode": "pick\u0000up"}"#,
            r#"{"lines": [], "latitude": 0, "unknown": {"x": ["\u0000"]}}"#,
        ] {
            let error = read(text).unwrap_err();
            assert!(error.to_string().contains("NUL"), "{text}: {error}");
        }
        assert!(
            read(r#"{"lines": [], "latitude": 0, "notes": {"door": "\\u0000"}}"#).is_ok(),
            "a backslash, then u0000"
        );
        assert!(read(r#"{"lines": [], "latitude": 0, "notes": {"door": "\u0001"}}"#).is_ok());
    }
}
