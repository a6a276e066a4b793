//! The `Idempotency-Key` header and the request fingerprint it is bound to.

use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// How far a keyed request got: recorded so that a retry or the completer carries on (or rolls
/// back) from there after a crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum RecoveryPoint {
    Started,
    /// place: the order and its pending authorisation exist; the payment step is next.
    OrderCreated,
    Finished,
}

/// What a finished keyed request answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Outcome {
    Succeeded,
    Refused,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyProblem {
    Missing,
    Invalid,
}

/// A UUID v4 in its hyphenated form, bare or as a quoted string (the IETF draft's header is a
/// structured-field string): exactly what the OpenAPI document's pattern says. The other forms
/// a UUID parser takes (no hyphens, braces, `urn:uuid:`) are refused, so a key means one thing
/// to every client and tool that reads the document.
pub fn parse_key(header: Option<&str>) -> Result<Uuid, KeyProblem> {
    let raw = header.map(str::trim).filter(|v| !v.is_empty()).ok_or(KeyProblem::Missing)?;
    let unquoted = raw.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(raw);
    if unquoted.len() != 36 {
        return Err(KeyProblem::Invalid);
    }
    let key = Uuid::try_parse(unquoted).map_err(|_| KeyProblem::Invalid)?;
    if key.get_version_num() != 4 || key.get_variant() != uuid::Variant::RFC4122 {
        return Err(KeyProblem::Invalid);
    }
    Ok(key)
}

/// The key as it is stored: scoped to who sent it. Keys are always scoped to the organisation
/// (the stored key's other half); a session's key is scoped to its user too, by deriving
/// another UUID from the user and the key, so that one user resending another's key (and
/// body) starts a request of their own rather than replaying someone else's order. An API
/// key's own requests keep the key as sent.
pub fn scoped_key(key: Uuid, session_user: Option<&str>) -> Uuid {
    let Some(user) = session_user else { return key };
    let mut hash = Sha256::new();
    hash.update(b"marketfront idempotency key of a session user\0");
    hash.update(user.as_bytes());
    hash.update(b"\0");
    hash.update(key.as_bytes());
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::new_v8(bytes)
}

/// The Idempotency-Key of a place that a door makes for its caller instead of taking one (the
/// MCP server's `placeOrder`): the same session placing the same validated order always gets
/// the same key, so no retry, timeout or lost connection can place it twice.
pub fn derived_key(session: &str, validated_order_token: &str) -> Uuid {
    let mut hash = Sha256::new();
    hash.update(b"marketfront idempotency key of a session's validated order\0");
    hash.update(session.as_bytes());
    hash.update(b"\0");
    hash.update(validated_order_token.as_bytes());
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::new_v8(bytes)
}

/// SHA-256 of the body in canonical form: object keys sorted, no insignificant white space, so
/// the same request re-sent by another client library has the same fingerprint. (serde_json's
/// map is ordered by key, so its compact serialisation is canonical.)
pub fn fingerprint(body: &Value) -> Vec<u8> {
    Sha256::digest(body.to_string().as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_derived_key_is_one_per_session_and_token() {
        let key = derived_key("session-a", "vot_1");
        assert_eq!(key, derived_key("session-a", "vot_1"), "a retry derives the same key");
        assert_ne!(key, derived_key("session-b", "vot_1"));
        assert_ne!(key, derived_key("session-a", "vot_2"));
        // The separator keeps ("ab", "c") and ("a", "bc") apart.
        assert_ne!(derived_key("ab", "c"), derived_key("a", "bc"));
    }

    #[test]
    fn a_session_users_keys_are_their_own() {
        let key = Uuid::new_v4();
        assert_eq!(scoped_key(key, None), key, "an API key's key is kept as sent");
        let alice = scoped_key(key, Some("alice"));
        assert_eq!(alice, scoped_key(key, Some("alice")), "the same user, the same stored key");
        assert_ne!(alice, scoped_key(key, Some("bob")));
        assert_ne!(alice, key);
        assert_ne!(scoped_key(key, Some("a\0b")), scoped_key(key, Some("a")), "the user is delimited");
    }

    use serde_json::json;

    #[test]
    fn keys_are_uuid_v4_bare_or_quoted() {
        let key = "2f1d3a4e-8b6c-4d2e-9f10-1a2b3c4d5e6f";
        assert_eq!(parse_key(Some(key)).unwrap().to_string(), key);
        assert_eq!(parse_key(Some(&format!("\"{key}\""))).unwrap().to_string(), key);
        assert_eq!(parse_key(None), Err(KeyProblem::Missing));
        assert_eq!(parse_key(Some("  ")), Err(KeyProblem::Missing));
        assert_eq!(parse_key(Some("order-42")), Err(KeyProblem::Invalid));
        assert_eq!(parse_key(Some("\"order-42")), Err(KeyProblem::Invalid));
        // A UUID, but v7: not what the contract asks for.
        assert_eq!(parse_key(Some("0195a1b0-0000-7000-8000-000000000001")), Err(KeyProblem::Invalid));
        // Other spellings a UUID parser takes, and a v4 with another variant, are not the pattern.
        for other in [
            "2f1d3a4e8b6c4d2e9f101a2b3c4d5e6f",
            "{2f1d3a4e-8b6c-4d2e-9f10-1a2b3c4d5e6f}",
            "urn:uuid:2f1d3a4e-8b6c-4d2e-9f10-1a2b3c4d5e6f",
            "2f1d3a4e-8b6c-4d2e-cf10-1a2b3c4d5e6f",
        ] {
            assert_eq!(parse_key(Some(other)), Err(KeyProblem::Invalid), "{other}");
        }
        assert_eq!(parse_key(Some("2F1D3A4E-8B6C-4D2E-9F10-1A2B3C4D5E6F")).unwrap().to_string(), key, "any case");
    }

    #[test]
    fn the_fingerprint_ignores_key_order_and_white_space_but_not_values() {
        let a: Value = serde_json::from_str(r#"{"b": 1, "a": {"y": [1, 2], "x": "s"}}"#).unwrap();
        let b: Value = serde_json::from_str("{\"a\":{\"x\":\"s\",\"y\":[1,2]},\n \"b\":1}").unwrap();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&json!({"b": 2, "a": {"y": [1, 2], "x": "s"}})));
        assert_ne!(fingerprint(&a), fingerprint(&json!({"b": 1, "a": {"y": [2, 1], "x": "s"}})));
    }
}
