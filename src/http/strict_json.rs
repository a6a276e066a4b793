//! Reading a request body strictly. serde's derived structs also accept a JSON array holding
//! their fields in order (`"amounts": [2.0, 21.64]`), which no partner means and the OpenAPI
//! document forbids. `Strict` wraps parsed JSON and refuses an array wherever a struct is
//! expected, at every depth; everything else is delegated to serde_json's own `Value`
//! deserializer, so numbers (arbitrary precision), enums and errors behave exactly as before.

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Unexpected, Visitor};
use serde_json::{Error, Value};

pub struct Strict<'a>(pub &'a Value);

/// The elements of an array, each read strictly.
struct Items<'a>(std::slice::Iter<'a, Value>);

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        self.0.next().map(|item| seed.deserialize(Strict(item))).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// The members of an object, each value read strictly.
struct Members<'a> {
    members: serde_json::map::Iter<'a>,
    value: Option<&'a Value>,
}

impl<'de> MapAccess<'de> for Members<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.members.next() else { return Ok(None) };
        self.value = Some(value);
        seed.deserialize(BorrowedStrDeserializer::new(key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self.value.take().ok_or_else(|| de::Error::custom("a value was asked for before its key"))?;
        seed.deserialize(Strict(value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.members.len())
    }
}

fn members(map: &serde_json::Map<String, Value>) -> Members<'_> {
    Members { members: map.iter(), value: None }
}

/// Primitive reads go to serde_json's `&Value` deserializer unchanged.
macro_rules! delegate {
    ($($method:ident),*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.0.$method(visitor)
        })*
    };
}

impl<'de> Deserializer<'de> for Strict<'de> {
    type Error = Error;

    delegate!(
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_unit,
        deserialize_identifier,
        deserialize_ignored_any
    );

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(items) => visitor.visit_seq(Items(items.iter())),
            Value::Object(map) => visitor.visit_map(members(map)),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(map) => visitor.visit_map(members(map)),
            Value::Array(_) => Err(de::Error::invalid_type(Unexpected::Seq, &visitor)),
            other => other.deserialize_map(visitor),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(map) => visitor.visit_map(members(map)),
            other => other.deserialize_map(visitor),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(items) => visitor.visit_seq(Items(items.iter())),
            other => other.deserialize_seq(visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.0.deserialize_enum(name, variants, visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Amounts {
        tip: Option<Decimal>,
        total: Option<Decimal>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Order {
        amounts: Option<Amounts>,
        lines: Vec<Amounts>,
        latitude: f64,
    }

    fn read(value: Value) -> Result<Order, Error> {
        Order::deserialize(Strict(&value))
    }

    #[test]
    fn objects_read_as_before_with_exact_decimals() {
        // From text, as a body arrives: json! would make 2.10 an f64 first.
        let text = r#"{"amounts": {"tip": 2.10, "total": null}, "lines": [{}], "latitude": 40.75}"#;
        let order = read(serde_json::from_str(text).unwrap()).unwrap();
        assert_eq!(order.amounts.unwrap().tip.unwrap().to_string(), "2.10");
        assert_eq!(order.lines.len(), 1);
        assert_eq!(order.latitude, 40.75);
    }

    #[test]
    fn an_array_is_no_struct_at_any_depth() {
        let nested = read(json!({"amounts": [2, 3], "lines": [], "latitude": 0})).unwrap_err();
        assert!(nested.to_string().contains("invalid type: sequence"), "{nested}");
        assert!(read(json!({"lines": [[1, 2]], "latitude": 0})).is_err(), "inside an array too");
        assert!(read(json!([null, [], 0])).is_err(), "and at the top");
        // serde_json on its own takes all three.
        assert!(serde_json::from_value::<Order>(json!({"amounts": [2, 3], "lines": [], "latitude": 0})).is_ok());
    }
}
