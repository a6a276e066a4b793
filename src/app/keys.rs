//! API keys: minted once, shown once, stored as a SHA-256 hash.
//!
//! A key reads `mfk_<12-char id>_<43-char secret>`. The `mfk_<id>` part is its prefix: safe to
//! print, log and pass to `keys revoke`. The secret carries 256 random bits, so a plain SHA-256
//! (not a slow password hash) is enough to make a leaked table useless.

use crate::db::keys::{self as store, Organization};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgKind {
    Distribution,
    Commerce,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Distribution => "distribution",
            OrgKind::Commerce => "commerce",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "distribution" => Some(OrgKind::Distribution),
            "commerce" => Some(OrgKind::Commerce),
            _ => None,
        }
    }
}

/// An authenticated caller: an API key, or a session a distribution partner minted for a user.
#[derive(Debug, Clone)]
pub struct Caller {
    pub organization_id: Uuid,
    pub kind: OrgKind,
    pub key_id: Option<Uuid>,
    pub session: Option<crate::app::sessions::SessionUser>,
}

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
    KindMismatch { name: String, existing: String, requested: &'static str },
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

/// Why a presented key was refused; each becomes 401 UNAUTHENTICATED.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    Unknown,
    Expired,
    Revoked,
}

const PREFIX_LEN: usize = 12;
const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";

pub fn hash(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

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
    let org = store::find_or_create_org(pool, name, kind.as_str()).await?;
    if org.kind != kind.as_str() {
        return Err(KeyError::KindMismatch { name: name.to_string(), existing: org.kind, requested: kind.as_str() });
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
    store::insert_key(pool, organization.id, &prefix, &hash(&key), label, expires_at).await?;
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
    if store::find_by_prefix(pool, &prefix).await?.is_none() {
        store::insert_key(pool, organization.id, &prefix, &hash(key), Some(label), None).await?;
    }
    Ok(organization)
}

pub async fn revoke(pool: &PgPool, key_or_prefix: &str, now: DateTime<Utc>) -> Result<String, KeyError> {
    let prefix = prefix_of(key_or_prefix).ok_or_else(|| KeyError::Malformed(key_or_prefix.to_string()))?;
    if store::find_by_prefix(pool, &prefix).await?.is_none() {
        return Err(KeyError::UnknownPrefix(prefix));
    }
    store::revoke(pool, &prefix, now).await?;
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
    let old = store::find_by_prefix(pool, &prefix).await?.ok_or_else(|| KeyError::UnknownPrefix(prefix.clone()))?;
    if old.revoked_at.is_some() {
        return Err(KeyError::Revoked(prefix));
    }
    // A key past its end stays ended: rolling it would hand its holder a working key.
    if old.expires_at.is_some_and(|at| at <= now) {
        return Err(KeyError::Expired(prefix));
    }
    let organization: Organization = store::find_org(pool, old.organization_id).await?;
    let (key, new_prefix) = generate();
    let new_id = store::insert_key(pool, organization.id, &new_prefix, &hash(&key), Some("rolled"), None).await?;
    store::retire_for_roll(pool, old.id, new_id, now + grace).await?;
    Ok(IssuedKey { key, prefix: new_prefix, organization, expires_at: None })
}

/// Whether a session minted by `organization_id` may still act: the organisation exists, is a
/// distribution partner, and holds a key that is neither revoked nor expired now. A session
/// dies with its organisation's keys. From the cache when this instance checked recently (any
/// key change on any instance clears it), else from the database.
pub async fn session_organization_is_live(
    pool: &PgPool,
    cache: &crate::cache::CatalogCache,
    organization_id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let keyed = match cache.organization(organization_id) {
        Some(keyed) => keyed,
        None => {
            let epoch = cache.epoch();
            let Some(found) = store::organization_keys(pool, organization_id).await? else { return Ok(false) };
            if OrgKind::parse(&found.kind) != Some(OrgKind::Distribution) {
                return Ok(false);
            }
            let keyed = match (found.has_unexpiring_key, found.latest_expiry) {
                (true, _) => crate::cache::KeyedUntil(None),
                (false, Some(until)) => crate::cache::KeyedUntil(Some(until)),
                // No live key at all: nothing to remember, the answer is no.
                (false, None) => return Ok(false),
            };
            cache.keep_organization(organization_id, keyed, epoch);
            keyed
        }
    };
    Ok(keyed.0.is_none_or(|until| until > now))
}

/// The answer for a key (by its hash) this instance saw recently; `None` when only the
/// database can tell.
pub fn authenticate_cached(
    cache: &crate::cache::CatalogCache,
    hash: &[u8],
    now: DateTime<Utc>,
) -> Option<Result<Caller, AuthFailure>> {
    let known = cache.key(hash)?;
    if known.expires_at.is_some_and(|at| at <= now) {
        return Some(Err(AuthFailure::Expired));
    }
    Some(Ok(known.caller))
}

/// The answer for a key (by its hash) from the database; a good key is remembered.
pub async fn authenticate_stored(
    pool: &PgPool,
    cache: &crate::cache::CatalogCache,
    hash: Vec<u8>,
    now: DateTime<Utc>,
) -> Result<Result<Caller, AuthFailure>, sqlx::Error> {
    let epoch = cache.epoch();
    let Some(owner) = store::find_owner_by_hash(pool, &hash).await? else {
        return Ok(Err(AuthFailure::Unknown));
    };
    if owner.revoked_at.is_some() {
        return Ok(Err(AuthFailure::Revoked));
    }
    if owner.expires_at.is_some_and(|at| at <= now) {
        return Ok(Err(AuthFailure::Expired));
    }
    let Some(kind) = OrgKind::parse(&owner.organization_kind) else { return Ok(Err(AuthFailure::Unknown)) };
    let caller = Caller { organization_id: owner.organization_id, kind, key_id: Some(owner.key_id), session: None };
    cache.keep_key(hash, crate::cache::KnownKey { caller: caller.clone(), expires_at: owner.expires_at }, epoch);
    Ok(Ok(caller))
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
