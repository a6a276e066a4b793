//! A card a person saves for later (`POST /v1/marketplace/checkout/payments`): how it is
//! checked, and what of it may be kept. The number and CVC exist only in memory on their way to
//! the vault; nothing here prints them (`Debug` is written by hand).

use super::problem::Problem;
use chrono::{DateTime, Datelike, Utc};
use serde::Deserialize;
use serde_json::Value;

/// A card as a front end sends it.
#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardInput {
    #[serde(default)]
    pub card_number: Option<String>,
    /// `YYYY-MM`.
    #[serde(default)]
    pub expiration: Option<String>,
    #[serde(default)]
    pub cvc: Option<String>,
    #[serde(default)]
    pub card_type: Option<String>,
    /// Accepted and handed to nobody: the sandbox vault does not check addresses.
    #[serde(default)]
    pub billing_address: Option<Value>,
}

impl std::fmt::Debug for CardInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardInput").field("expiration", &self.expiration).finish_non_exhaustive()
    }
}

/// A card that passed the checks: the number and CVC for the vault, and what may be kept.
#[derive(Clone)]
pub struct CheckedCard {
    pub number: String,
    pub cvc: String,
    pub kept: KeptCard,
}

impl std::fmt::Debug for CheckedCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckedCard").field("kept", &self.kept).finish_non_exhaustive()
    }
}

/// All that is ever stored or shown of a card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptCard {
    pub brand: &'static str,
    pub last_four: String,
    pub exp_year: i32,
    pub exp_month: u32,
}

impl KeptCard {
    /// `YYYY-MM`, as it was sent.
    pub fn expiration(&self) -> String {
        format!("{:04}-{:02}", self.exp_year, self.exp_month)
    }
}

/// Whether a card expiring at the end of `year`-`month` has expired by `now` (UTC).
pub fn expired(year: i32, month: u32, now: DateTime<Utc>) -> bool {
    (year, month) < (now.year(), now.month())
}

/// Every brand a kept card may name.
pub const BRANDS: [&str; 5] = ["visa", "mastercard", "amex", "discover", "unknown"];

/// A stored brand's name as one of `BRANDS` ("unknown" for anything else).
pub fn brand_named(name: &str) -> &'static str {
    BRANDS.into_iter().find(|brand| *brand == name).unwrap_or("unknown")
}

/// The brand by the number's leading digits (the networks' published ranges).
fn brand(digits: &str) -> &'static str {
    let prefix = |n: usize| digits.get(..n).and_then(|p| p.parse::<u32>().ok()).unwrap_or(0);
    match () {
        _ if digits.starts_with('4') => "visa",
        _ if (51..=55).contains(&prefix(2)) || (2221..=2720).contains(&prefix(4)) => "mastercard",
        _ if prefix(2) == 34 || prefix(2) == 37 => "amex",
        _ if prefix(4) == 6011 || prefix(2) == 65 || (644..=649).contains(&prefix(3)) => "discover",
        _ => "unknown",
    }
}

/// The Luhn check digit test.
fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d })
        .sum();
    sum.is_multiple_of(10)
}

impl CardInput {
    /// Every problem at once (PAYMENT_METHOD_INVALID's `errors[]`); messages never repeat the
    /// number or the CVC.
    pub fn check(self, now: DateTime<Utc>) -> Result<CheckedCard, Vec<Problem>> {
        let mut problems = Vec::new();
        let invalid = |path: &str, message: &str| Problem::at("PAYMENT_METHOD_INVALID", path, message);
        let digits: String =
            self.card_number.as_deref().unwrap_or("").chars().filter(|c| *c != ' ' && *c != '-').collect();
        let number_ok =
            (12..=19).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) && luhn(&digits);
        if !number_ok {
            problems.push(invalid("$.cardNumber", "cardNumber must be 12 to 19 digits that pass the Luhn check"));
        }
        let expiration = self.expiration.as_deref().unwrap_or("").trim().to_string();
        let parsed = expiration
            .split_once('-')
            .filter(|(year, month)| year.len() == 4 && month.len() == 2)
            .and_then(|(year, month)| Some((year.parse::<i32>().ok()?, month.parse::<u32>().ok()?)))
            .filter(|(_, month)| (1..=12).contains(month));
        match parsed {
            None => problems.push(invalid("$.expiration", "expiration must be YYYY-MM")),
            Some((year, month)) if expired(year, month, now) => {
                problems.push(invalid("$.expiration", "the card has expired"));
            }
            Some(_) => {}
        }
        let cvc = self.cvc.as_deref().unwrap_or("").trim().to_string();
        if !((3..=4).contains(&cvc.len()) && cvc.chars().all(|c| c.is_ascii_digit())) {
            problems.push(invalid("$.cvc", "cvc is required: the 3 or 4 digits on the card"));
        }
        let (Some((exp_year, exp_month)), true, true) = (parsed, number_ok, problems.is_empty()) else {
            return Err(problems);
        };
        let kept =
            KeptCard { brand: brand(&digits), last_four: digits[digits.len() - 4..].to_string(), exp_year, exp_month };
        Ok(CheckedCard { number: digits, cvc, kept })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 17, 0, 0).unwrap()
    }

    fn card(number: &str, expiration: &str, cvc: &str) -> CardInput {
        CardInput {
            card_number: Some(number.into()),
            expiration: Some(expiration.into()),
            cvc: Some(cvc.into()),
            ..CardInput::default()
        }
    }

    #[test]
    fn a_good_card_keeps_only_brand_last_four_and_expiry() {
        let checked = card("4242 4242 4242 4242", "2030-01", "123").check(now()).unwrap();
        assert_eq!(checked.kept, KeptCard { brand: "visa", last_four: "4242".into(), exp_year: 2030, exp_month: 1 });
        assert!(!format!("{checked:?}").contains("4242424242424242") && !format!("{checked:?}").contains("123"));
        assert_eq!(card("5555555555554444", "2026-11", "1234").check(now()).unwrap().kept.brand, "mastercard");
        assert_eq!(card("378282246310005", "2027-02", "1234").check(now()).unwrap().kept.brand, "amex");
    }

    #[test]
    fn every_problem_is_reported_and_none_repeats_the_number() {
        let problems = card("4242424242424241", "2026-10", "").check(now()).unwrap_err();
        let paths: Vec<_> = problems.iter().filter_map(|p| p.json_path.as_deref()).collect();
        assert_eq!(paths, ["$.cardNumber", "$.expiration", "$.cvc"]);
        assert!(problems.iter().all(|p| !p.message.contains("4242")));
        let malformed = card("4242424242424242", "11/2030", "12a").check(now()).unwrap_err();
        assert_eq!(malformed.len(), 2);
    }

    #[test]
    fn a_card_expires_after_its_last_month() {
        assert!(!expired(2026, 11, now()));
        assert!(expired(2026, 10, now()));
        assert!(expired(2025, 12, now()));
    }
}
