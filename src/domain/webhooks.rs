//! Webhooks: which events exist, when a failed delivery is tried again, and how a delivery is
//! signed. Pure.
//!
//! Every delivery is signed twice, so both kinds of receiver can verify it:
//! - the portal's scheme: `Signature` = hex HMAC-SHA256 of the raw body, with `Timestamp`
//!   (Unix seconds) and `API-Version`;
//! - Standard Webhooks: `webhook-id` (the event id, the same on every retry, for
//!   de-duplication), `webhook-timestamp` and `webhook-signature` = `v1,<base64 HMAC-SHA256 of
//!   "{id}.{timestamp}.{body}">`.
//!
//! The HMAC key is the secret's bytes after `whsec_`, base64-decoded (Standard Webhooks' rule,
//! used for both schemes). While a rotated-out secret is still in its overlap, each header
//! carries both signatures: space-separated in `webhook-signature` (as that spec provides),
//! comma-separated in `Signature`; a receiver accepts the delivery if any one verifies.

use super::queue::Retries;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Duration;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const API_VERSION: &str = "2026-11-01";

/// Events for distribution partners (about the orders they placed) and for commerce partners
/// (orders to fulfil at their stores).
pub const DISTRIBUTION_EVENTS: &[&str] = &["order_create", "order_update"];
pub const COMMERCE_EVENTS: &[&str] = &["order_new", "order_cancelled"];

/// Attempts in all: the four early retries plus hourly ones make about three days.
pub const MAX_ATTEMPTS: u32 = 75;

/// A delivery's retries: 30 s, 2 min, 10 min, then hourly, each spread ±10%.
pub const RETRIES: Retries = Retries::Steps {
    delays: &[Duration::seconds(30), Duration::minutes(2), Duration::minutes(10), Duration::hours(1)],
    attempts: MAX_ATTEMPTS,
    spread: 0.1,
};

/// Failed attempts in a row after which an endpoint's circuit opens: the dispatcher stops
/// sending to it for a while, then lets a single probe through.
pub const CIRCUIT_THRESHOLD: i32 = 5;
const CIRCUIT_FIRST_PAUSE_SECONDS: i64 = 30;
const CIRCUIT_LONGEST_PAUSE_SECONDS: i64 = 3_600;

/// How long an endpoint rests after `failures` failed attempts in a row: not at all below the
/// threshold, then 30 s, doubling with every probe that fails, an hour at most.
pub fn circuit_pause(failures: i32) -> Option<Duration> {
    if failures < CIRCUIT_THRESHOLD {
        return None;
    }
    let doublings = (failures - CIRCUIT_THRESHOLD).min(16) as u32;
    let seconds = CIRCUIT_FIRST_PAUSE_SECONDS.saturating_mul(1 << doublings).min(CIRCUIT_LONGEST_PAUSE_SECONDS);
    Some(Duration::seconds(seconds))
}

/// A new signing secret: `whsec_` and 32 random bytes, base64.
pub fn new_secret(random: [u8; 32]) -> String {
    format!("whsec_{}", STANDARD.encode(random))
}

fn key(secret: &str) -> Vec<u8> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    STANDARD.decode(encoded).unwrap_or_else(|_| encoded.as_bytes().to_vec())
}

fn mac(secret: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key(secret)).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// The signature headers of one delivery attempt, signed with every secret given.
pub struct Signatures {
    pub signature: String,
    pub webhook_signature: String,
}

pub fn sign(secrets: &[&str], message_id: &str, timestamp: i64, body: &[u8]) -> Signatures {
    let signed = format!("{message_id}.{timestamp}.");
    let portal: Vec<String> = secrets.iter().map(|s| hex::encode(mac(s, &[body]))).collect();
    let standard: Vec<String> =
        secrets.iter().map(|s| format!("v1,{}", STANDARD.encode(mac(s, &[signed.as_bytes(), body])))).collect();
    Signatures { signature: portal.join(","), webhook_signature: standard.join(" ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_schedule_spans_about_three_days() {
        assert_eq!(RETRIES.after(1, 0.0), Some(Duration::seconds(30)));
        assert_eq!(RETRIES.after(2, 0.0), Some(Duration::minutes(2)));
        assert_eq!(RETRIES.after(3, 0.0), Some(Duration::minutes(10)));
        assert_eq!(RETRIES.after(4, 0.0), Some(Duration::hours(1)));
        assert_eq!(RETRIES.after(5, 0.0), Some(Duration::hours(1)));
        assert_eq!(RETRIES.after(MAX_ATTEMPTS, 0.0), None);
        let total: Duration = (1..MAX_ATTEMPTS).map(|n| RETRIES.after(n, 0.0).unwrap()).sum();
        assert!(total > Duration::hours(70) && total < Duration::hours(75), "{total}");
    }

    #[test]
    fn the_circuit_opens_after_failures_in_a_row_and_rests_longer_each_time() {
        assert_eq!(circuit_pause(0), None);
        assert_eq!(circuit_pause(CIRCUIT_THRESHOLD - 1), None);
        assert_eq!(circuit_pause(CIRCUIT_THRESHOLD), Some(Duration::seconds(30)));
        assert_eq!(circuit_pause(CIRCUIT_THRESHOLD + 1), Some(Duration::seconds(60)));
        assert_eq!(circuit_pause(CIRCUIT_THRESHOLD + 7), Some(Duration::hours(1)));
        assert_eq!(circuit_pause(i32::MAX), Some(Duration::hours(1)));
    }

    #[test]
    fn jitter_spreads_by_ten_percent_at_most() {
        assert_eq!(RETRIES.after(1, 1.0), Some(Duration::seconds(33)));
        assert_eq!(RETRIES.after(1, -1.0), Some(Duration::seconds(27)));
        assert_eq!(RETRIES.after(1, 7.0), Some(Duration::seconds(33)));
    }

    #[test]
    fn both_schemes_sign_with_every_secret() {
        let secret = new_secret([7; 32]);
        let old = new_secret([9; 32]);
        let one = sign(&[&secret], "msg_1", 1_700_000_000, b"{}");
        assert_eq!(one.signature.len(), 64);
        assert!(one.webhook_signature.starts_with("v1,"));
        let two = sign(&[&secret, &old], "msg_1", 1_700_000_000, b"{}");
        assert!(two.signature.starts_with(&one.signature) && two.signature.contains(','));
        assert_eq!(two.webhook_signature.split(' ').count(), 2);
        assert_ne!(sign(&[&secret], "msg_2", 1_700_000_000, b"{}").webhook_signature, one.webhook_signature);
        assert_eq!(sign(&[&secret], "msg_2", 1_700_000_000, b"{}").signature, one.signature, "the body alone");
    }
}
