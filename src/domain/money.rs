//! Money rules: amounts are `Decimal`, never floats, in a currency's minor-unit scale.

use super::problem::Problem;
use rust_decimal::Decimal;

/// The number of minor-unit digits of an ISO 4217 currency (2 for USD, 0 for JPY), or `None`
/// for a code that is unknown or has no minor unit defined (e.g. XAU).
pub fn currency_exponent(code: &str) -> Option<u32> {
    let currency = iso_currency::Currency::from_code(code)?;
    currency.exponent().map(u32::from)
}

/// The most anything may cost or be charged: a price, a fee, a tip, and an order's total. Far
/// above any meal, far below where `Decimal` arithmetic could overflow (about 7.9 × 10^28), so
/// a priced order's every figure is exact.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(100_000_000, 0, 0, false, 2);

/// Checks a non-negative amount expressed in a currency with `exponent` decimals.
pub fn check_amount(value: Decimal, exponent: u32, path: &str, problems: &mut Vec<Problem>) {
    if value > MAX_AMOUNT {
        problems.push(Problem::at("AMOUNT_TOO_LARGE", path, format!("must be at most {MAX_AMOUNT}, got {value}")));
    } else if value.is_sign_negative() && !value.is_zero() {
        problems.push(Problem::at("NEGATIVE_AMOUNT", path, format!("must not be negative, got {value}")));
    } else if value.normalize().scale() > exponent {
        problems.push(Problem::at(
            "INVALID_PRECISION",
            path,
            format!("has more than {exponent} decimal places for this currency, got {value}"),
        ));
    }
}

/// Reads an amount that must be sent as a JSON number: `"12.50"` (a string) is refused, as every
/// other number in a body is, where `Decimal`'s own reader would take it. The digits are kept
/// exactly (serde_json's arbitrary precision); exponents (`1e3`) are read too.
pub mod json_number {
    use rust_decimal::Decimal;
    use serde::de::{Deserialize, Deserializer, Error};

    fn parse<E: Error>(number: &serde_json::Number) -> Result<Decimal, E> {
        let text = number.as_str();
        text.parse::<Decimal>()
            .or_else(|_| Decimal::from_scientific(text))
            .or_else(|_| below_the_smallest(text))
            .map_err(|_| E::custom(format!("{text} is not a decimal number this API can hold")))
    }

    /// A number too close to zero for `Decimal`'s 28 decimal places (`1e-106`) is taken as the
    /// nearest one that is not zero, so that the field's own rule judges it: more decimals than
    /// a price or a rate may have is a 422 naming the field, not a body we cannot read.
    fn below_the_smallest(text: &str) -> Result<Decimal, ()> {
        match text.parse::<f64>() {
            Ok(value) if value != 0.0 && value.abs() < 1e-28 => Ok(Decimal::new(value.signum() as i64, 28)),
            _ => Err(()),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        parse(&serde_json::Number::deserialize(deserializer)?)
    }

    pub mod option {
        use super::*;

        pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Decimal>, D::Error> {
            Option::<serde_json::Number>::deserialize(deserializer)?.as_ref().map(parse).transpose()
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn amounts_must_be_json_numbers() {
        #[derive(serde::Deserialize)]
        struct Body {
            #[serde(with = "super::json_number")]
            price: Decimal,
            #[serde(default, with = "super::json_number::option")]
            tip: Option<Decimal>,
        }
        let body: Body = serde_json::from_str(r#"{"price": 12.50, "tip": 1e2}"#).unwrap();
        assert_eq!((body.price.to_string(), body.tip.unwrap().to_string()), ("12.50".into(), "100".into()));
        assert!(serde_json::from_str::<Body>(r#"{"price": "12.50"}"#).is_err());
        assert!(serde_json::from_str::<Body>(r#"{"price": 1, "tip": "2"}"#).is_err());
        assert!(serde_json::from_str::<Body>(r#"{"price": 1e40}"#).is_err());
        let tiny: Body = serde_json::from_str(r#"{"price": 9.8e-106, "tip": -1e-300}"#).unwrap();
        assert_eq!(tiny.price, Decimal::new(1, 28), "the nearest that is not zero, for the rules to judge");
        assert_eq!(tiny.tip, Some(Decimal::new(-1, 28)));
        assert!(serde_json::from_str::<Body>(r#"{"price": 1, "tip": null}"#).unwrap().tip.is_none());
    }

    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn exponents_come_from_iso_4217() {
        assert_eq!(currency_exponent("USD"), Some(2));
        assert_eq!(currency_exponent("JPY"), Some(0));
        assert_eq!(currency_exponent("KWD"), Some(3));
        assert_eq!(currency_exponent("XYZ"), None);
    }

    #[test]
    fn amounts_are_checked_for_sign_and_scale() {
        let mut problems = Vec::new();
        check_amount(dec!(12.50), 2, "$.a", &mut problems);
        check_amount(dec!(12.500), 2, "$.b", &mut problems);
        assert!(problems.is_empty(), "trailing zeros are fine: {problems:?}");
        check_amount(dec!(-1), 2, "$.c", &mut problems);
        check_amount(dec!(1.005), 2, "$.d", &mut problems);
        check_amount(dec!(1000000.00), 2, "$.e", &mut problems);
        check_amount(dec!(1000000.01), 2, "$.f", &mut problems);
        let codes: Vec<_> = problems.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(codes, ["NEGATIVE_AMOUNT", "INVALID_PRECISION", "AMOUNT_TOO_LARGE"]);
        assert_eq!(MAX_AMOUNT.to_string(), "1000000.00");
    }
}
