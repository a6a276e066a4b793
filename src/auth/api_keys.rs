//! API-key lookup: a presented key is hashed (SHA-256: the secret carries 256 random bits, so a
//! slow password hash would add nothing) and found by its hash, from this instance's cache
//! when it saw the key recently, else from the database.

use super::{Caller, OrgKind};
use crate::cache::{CatalogCache, KeyedUntil, KnownKey};
use crate::db::keys as key_db;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

/// Why a presented key was refused; each becomes 401 UNAUTHENTICATED.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    Unknown,
    Expired,
    Revoked,
}

pub fn hash(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

/// Whether a session minted by `organization_id` may still act: the organisation exists, is a
/// distribution partner, and holds a key that is neither revoked nor expired now. A session
/// dies with its organisation's keys. From the cache when this instance checked recently (any
/// key change on any instance clears it), else from the database.
pub async fn session_organization_is_live(
    pool: &PgPool,
    cache: &CatalogCache,
    organization_id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let keyed = match cache.organization(organization_id) {
        Some(keyed) => keyed,
        None => {
            let epoch = cache.epoch();
            let Some(found) = key_db::organization_keys(pool, organization_id).await? else { return Ok(false) };
            if found.kind != OrgKind::Distribution {
                return Ok(false);
            }
            let keyed = match (found.has_unexpiring_key, found.latest_expiry) {
                (true, _) => KeyedUntil(None),
                (false, Some(until)) => KeyedUntil(Some(until)),
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
    cache: &CatalogCache,
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
    cache: &CatalogCache,
    hash: Vec<u8>,
    now: DateTime<Utc>,
) -> Result<Result<Caller, AuthFailure>, sqlx::Error> {
    let epoch = cache.epoch();
    let Some(owner) = key_db::find_owner_by_hash(pool, &hash).await? else {
        return Ok(Err(AuthFailure::Unknown));
    };
    if owner.revoked_at.is_some() {
        return Ok(Err(AuthFailure::Revoked));
    }
    if owner.expires_at.is_some_and(|at| at <= now) {
        return Ok(Err(AuthFailure::Expired));
    }
    let caller = Caller {
        organization_id: owner.organization_id,
        kind: owner.organization_kind,
        key_id: Some(owner.key_id),
        session_id: None,
        session: None,
    };
    cache.keep_key(hash, KnownKey { caller: caller.clone(), expires_at: owner.expires_at }, epoch);
    Ok(Ok(caller))
}
