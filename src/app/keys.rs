//! API keys: minted once, shown once, stored as a SHA-256 hash.
//!
//! A key reads `mfk_<12-char id>_<43-char secret>`. The `mfk_<id>` part is its prefix: safe to
//! print, log and pass to `keys revoke`. The secret carries 256 random bits, so a plain SHA-256
//! (not a slow password hash) is enough to make a leaked table useless.

use crate::auth::OrgKind;
use crate::auth::api_keys::hash;
use crate::db::keys::{self as key_db, Organization};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sqlx::PgPool;

#[derive(Debug)]
pub struct IssuedKey {
    pub key: String,
    pub prefix: String,
    pub organization: Organization,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("organisation {name:?} exists and is a {existing} organisation, not {requested}")]
    KindMismatch { name: String, existing: &'static str, requested: &'static str },
    #[error("no key with prefix {0:?}")]
    UnknownPrefix(String),
    #[error("key {0:?} is revoked")]
    Revoked(String),
    #[error("key {0:?} has expired; create a new key instead")]
    Expired(String),
    #[error("{0:?} is not a key or key prefix (mfk_…)")]
    Malformed(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

const PREFIX_LEN: usize = 12;
const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";

fn generate() -> (String, String) {
    let mut rng = rand::rng();
    let id: String = (0..PREFIX_LEN).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    let mut secret = [0u8; 32];
    rng.fill(&mut secret);
    let prefix = format!("mfk_{id}");
    let key = format!("{prefix}_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret));
    (key, prefix)
}

/// The prefix of a key, or the prefix itself; `None` for anything else.
pub fn prefix_of(text: &str) -> Option<String> {
    let rest = text.trim().strip_prefix("mfk_")?;
    let id = rest.get(..PREFIX_LEN)?;
    let tail = &rest[PREFIX_LEN..];
    (id.bytes().all(|b| b.is_ascii_alphanumeric()) && (tail.is_empty() || tail.starts_with('_')))
        .then(|| format!("mfk_{id}"))
}

async fn organization(pool: &PgPool, name: &str, kind: OrgKind) -> Result<Organization, KeyError> {
    let org = key_db::find_or_create_org(pool, name, kind).await?;
    if org.kind != kind {
        return Err(KeyError::KindMismatch {
            name: name.to_string(),
            existing: org.kind.as_str(),
            requested: kind.as_str(),
        });
    }
    Ok(org)
}

/// Creates the organisation if needed and mints a key for it.
pub async fn create(
    pool: &PgPool,
    org_name: &str,
    kind: OrgKind,
    label: Option<&str>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<IssuedKey, KeyError> {
    let organization = organization(pool, org_name, kind).await?;
    let (key, prefix) = generate();
    key_db::insert_key(pool, organization.id, &prefix, &hash(&key), label, expires_at).await?;
    Ok(IssuedKey { key, prefix, organization, expires_at })
}

/// Installs a key whose text is fixed in advance (the demo's published keys). Idempotent.
pub async fn install_fixed(
    pool: &PgPool,
    org_name: &str,
    kind: OrgKind,
    key: &str,
    label: &str,
) -> Result<Organization, KeyError> {
    let organization = organization(pool, org_name, kind).await?;
    let prefix = prefix_of(key).ok_or_else(|| KeyError::Malformed(key.to_string()))?;
    if key_db::find_by_prefix(pool, &prefix).await?.is_none() {
        key_db::insert_key(pool, organization.id, &prefix, &hash(key), Some(label), None).await?;
    }
    Ok(organization)
}

pub async fn revoke(pool: &PgPool, key_or_prefix: &str, now: DateTime<Utc>) -> Result<String, KeyError> {
    let prefix = prefix_of(key_or_prefix).ok_or_else(|| KeyError::Malformed(key_or_prefix.to_string()))?;
    if key_db::find_by_prefix(pool, &prefix).await?.is_none() {
        return Err(KeyError::UnknownPrefix(prefix));
    }
    key_db::revoke(pool, &prefix, now).await?;
    Ok(prefix)
}

/// Issues a successor key for the same organisation; the old one keeps working for `grace` so a
/// partner can deploy the new key without downtime, then expires.
pub async fn roll(
    pool: &PgPool,
    key_or_prefix: &str,
    grace: Duration,
    now: DateTime<Utc>,
) -> Result<IssuedKey, KeyError> {
    let prefix = prefix_of(key_or_prefix).ok_or_else(|| KeyError::Malformed(key_or_prefix.to_string()))?;
    let old = key_db::find_by_prefix(pool, &prefix).await?.ok_or_else(|| KeyError::UnknownPrefix(prefix.clone()))?;
    if old.revoked_at.is_some() {
        return Err(KeyError::Revoked(prefix));
    }
    // A key past its end stays ended: rolling it would hand its holder a working key.
    if old.expires_at.is_some_and(|at| at <= now) {
        return Err(KeyError::Expired(prefix));
    }
    let organization: Organization = key_db::find_org(pool, old.organization_id).await?;
    let (key, new_prefix) = generate();
    let new_id = key_db::insert_key(pool, organization.id, &new_prefix, &hash(&key), Some("rolled"), None).await?;
    key_db::retire_for_roll(pool, old.id, new_id, now + grace).await?;
    Ok(IssuedKey { key, prefix: new_prefix, organization, expires_at: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_a_printable_prefix_and_a_long_secret() {
        let (key, prefix) = generate();
        assert!(key.starts_with(&format!("{prefix}_")));
        assert_eq!(prefix.len(), 4 + PREFIX_LEN);
        assert_eq!(key.len(), prefix.len() + 1 + 43);
        assert_eq!(prefix_of(&key), Some(prefix.clone()));
        assert_eq!(prefix_of(&prefix), Some(prefix));
        assert_ne!(generate().0, generate().0);
    }

    #[test]
    fn prefix_of_rejects_other_text() {
        assert_eq!(prefix_of("sk_live_abc"), None);
        assert_eq!(prefix_of("mfk_short"), None);
        assert_eq!(prefix_of("mfk_abcdefghijkmX"), None);
    }
}
