//! The in-process cache of store and menu snapshots that validate reads instead of Postgres.
//!
//! Correct across instances: a trigger announces every store or catalog change on commit
//! (`marketfront_store_changed`), and each instance's listener (`workers::cache_listener`)
//! drops the store's entries when it hears it, and drops everything when its connection was
//! lost (it may have missed announcements). A fill that raced with an announcement is not kept:
//! each invalidation bumps an epoch, and a loader stores its result only if the epoch it read
//! before querying is still current. Entries also expire after `MAX_AGE`, as a last resort,
//! and the whole cache stays within `MARKETFRONT_CACHE_MB`, by what its entries weigh.
//!
//! Recently seen API keys are cached the same way (`marketfront_keys_changed` clears them), so
//! a hot request costs no database read for authentication either; so are SDK sessions, live
//! or revoked (`marketfront_session_changed` names the one revoked).

use crate::db;
use crate::db::sessions::SessionState;
use crate::domain::snapshot::{MenuSnapshot, StoreSnapshot};
use moka::sync::Cache;
use sqlx::PgPool;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use uuid::Uuid;

const MAX_AGE: Duration = Duration::from_secs(60);

/// What the bound charges for a key or an organisation: a fixed size, as they barely vary.
const SMALL_ENTRY_BYTES: u32 = 512;

/// An API key seen recently: who it belongs to and until when it is good.
#[derive(Debug, Clone)]
pub struct KnownKey {
    pub caller: crate::auth::Caller,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Until when an organisation holds a live key (`None`: one that never expires), so that its
/// sessions live no longer than its keys.
#[derive(Debug, Clone, Copy)]
pub struct KeyedUntil(pub Option<chrono::DateTime<chrono::Utc>>);

/// The caches, each bounded by what its entries weigh (moka evicts the least useful first, by
/// frequency and recency) and expiring after `MAX_AGE`. Menus take most of the bound: they are
/// what grows with a city's size.
pub struct CatalogCache {
    /// By SHA-256 of the key. Only good keys are kept; any change to any key clears them all.
    keys: Cache<Vec<u8>, Arc<KnownKey>>,
    /// Distribution organisations with a live key, for sessions; cleared with `keys`.
    organizations: Cache<Uuid, Arc<KeyedUntil>>,
    /// SDK sessions by id, as their rows say (revoked or not).
    sessions: Cache<Uuid, Arc<SessionState>>,
    stores: Cache<Uuid, Arc<StoreSnapshot>>,
    /// By catalog set id.
    menus: Cache<Uuid, Arc<MenuSnapshot>>,
    epoch: AtomicU64,
    /// Keeping an entry and invalidating exclude each other: a loader checks the epoch and
    /// stores its result under the read side, an invalidation bumps the epoch and drops entries
    /// under the write side, so a fill that raced with an invalidation is never kept.
    gate: RwLock<()>,
    /// Only while the listener is subscribed can cached entries be trusted; until then every
    /// read goes to Postgres and nothing is kept.
    listening: AtomicBool,
}

fn bounded<K, V>(bytes: u64, weigh: fn(&K, &V) -> u32) -> Cache<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    Cache::builder().max_capacity(bytes).weigher(weigh).time_to_live(MAX_AGE).support_invalidation_closures().build()
}

/// What a store's snapshot weighs: its description's JSON text, times the few its parsed form
/// takes in memory (hours become a schedule, strings carry their own allocations).
fn store_weight(_: &Uuid, store: &Arc<StoreSnapshot>) -> u32 {
    let text = serde_json::to_vec(&store.details).map_or(0, |text| text.len());
    u32::try_from(text.saturating_mul(4).saturating_add(1024)).unwrap_or(u32::MAX)
}

/// What a menu's snapshot weighs, on the same rule as a store's.
fn menu_weight(_: &Uuid, menu: &Arc<MenuSnapshot>) -> u32 {
    let text = serde_json::to_vec(&menu.set).map_or(0, |text| text.len());
    u32::try_from(text.saturating_mul(4).saturating_add(1024)).unwrap_or(u32::MAX)
}

impl CatalogCache {
    /// Caches that together hold about `bytes` (`MARKETFRONT_CACHE_MB`).
    pub fn new(bytes: u64) -> Self {
        CatalogCache {
            keys: bounded(bytes / 16, |_, _| SMALL_ENTRY_BYTES),
            organizations: bounded(bytes / 16, |_, _| SMALL_ENTRY_BYTES),
            sessions: bounded(bytes / 16, |_, _| SMALL_ENTRY_BYTES),
            stores: bounded(bytes / 8, store_weight),
            menus: bounded(bytes - 3 * (bytes / 16) - bytes / 8, menu_weight),
            epoch: AtomicU64::new(0),
            gate: RwLock::new(()),
            listening: AtomicBool::new(false),
        }
    }

    pub fn set_listening(&self, listening: bool) {
        self.listening.store(listening, Ordering::Release);
        self.clear();
    }

    fn trusted(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    /// Whether this instance hears every change (its listener is subscribed), so that it caches.
    pub fn is_listening(&self) -> bool {
        self.trusted()
    }

    fn lookup<K: Hash + Eq + Send + Sync + 'static, V: Clone + Send + Sync + 'static>(
        &self,
        cache: &Cache<K, V>,
        key: &K,
    ) -> Option<V> {
        if self.trusted() { cache.get(key) } else { None }
    }

    fn keep<K: Hash + Eq + Send + Sync + 'static, V: Clone + Send + Sync + 'static>(
        &self,
        cache: &Cache<K, V>,
        key: K,
        value: V,
        epoch: u64,
    ) {
        let _gate = self.gate.read().expect("cache gate");
        if self.trusted() && self.epoch.load(Ordering::Acquire) == epoch {
            cache.insert(key, value);
        }
    }

    /// Runs `drop` with keeping shut out, after moving the epoch on.
    fn invalidate(&self, drop: impl FnOnce()) {
        let _gate = self.gate.write().expect("cache gate");
        self.epoch.fetch_add(1, Ordering::AcqRel);
        drop();
    }

    pub fn key(&self, hash: &[u8]) -> Option<KnownKey> {
        self.lookup(&self.keys, &hash.to_vec()).map(|known| (*known).clone())
    }

    /// Remembers a good key, unless keys changed since `epoch` was read.
    pub fn keep_key(&self, hash: Vec<u8>, key: KnownKey, epoch: u64) {
        self.keep(&self.keys, hash, Arc::new(key), epoch);
    }

    pub fn organization(&self, id: Uuid) -> Option<KeyedUntil> {
        self.lookup(&self.organizations, &id).map(|hit| *hit)
    }

    pub fn keep_organization(&self, id: Uuid, keyed: KeyedUntil, epoch: u64) {
        self.keep(&self.organizations, id, Arc::new(keyed), epoch);
    }

    /// A session's state, from the cache, or else from `pool` (and then kept, unless a
    /// revocation was heard meanwhile). `None`: no such session (never minted, or reaped).
    pub async fn session(&self, pool: &PgPool, id: Uuid) -> sqlx::Result<Option<SessionState>> {
        if let Some(hit) = self.lookup(&self.sessions, &id) {
            return Ok(Some(*hit));
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let Some(state) = db::sessions::get(pool, id).await? else { return Ok(None) };
        self.keep(&self.sessions, id, Arc::new(state), epoch);
        Ok(Some(state))
    }

    /// Forgets a session: called by the listener for every instance's revocations, and by the
    /// revocation itself, so that the instance which made it refuses the session at once.
    pub fn invalidate_session(&self, id: Uuid) {
        self.invalidate(|| self.sessions.invalidate(&id));
    }

    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    pub fn invalidate_keys(&self) {
        self.invalidate(|| {
            self.keys.invalidate_all();
            self.organizations.invalidate_all();
        });
    }

    pub async fn store(&self, pool: &PgPool, id: Uuid) -> sqlx::Result<Option<Arc<StoreSnapshot>>> {
        if let Some(hit) = self.lookup(&self.stores, &id) {
            return Ok(Some(hit));
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let Some(snapshot) = load_store(pool, id).await? else { return Ok(None) };
        let snapshot = Arc::new(snapshot);
        self.keep(&self.stores, id, snapshot.clone(), epoch);
        Ok(Some(snapshot))
    }

    pub async fn menu(&self, pool: &PgPool, catalog_set_id: Uuid) -> sqlx::Result<Option<Arc<MenuSnapshot>>> {
        if let Some(hit) = self.lookup(&self.menus, &catalog_set_id) {
            return Ok(Some(hit));
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let Some(snapshot) = load_menu(pool, catalog_set_id).await? else { return Ok(None) };
        let snapshot = Arc::new(snapshot);
        self.keep(&self.menus, catalog_set_id, snapshot.clone(), epoch);
        Ok(Some(snapshot))
    }

    /// Forgets a store and every menu of it. Called by the listener for every instance's changes,
    /// and directly by the use case that committed a change, so that the instance which made it
    /// reads it at once instead of after its own announcement comes back.
    pub fn invalidate_store(&self, store_id: Uuid) {
        self.invalidate(|| {
            self.stores.invalidate(&store_id);
            // Not returned by any read from here on; moka drops them from memory as it goes.
            let _ = self.menus.invalidate_entries_if(move |_, menu| menu.store_id == store_id);
        });
    }

    pub fn clear(&self) {
        self.invalidate(|| {
            self.keys.invalidate_all();
            self.organizations.invalidate_all();
            self.sessions.invalidate_all();
            self.stores.invalidate_all();
            self.menus.invalidate_all();
        });
    }

    /// What the caches hold, by their own weights, once pending evictions have run: for tests
    /// and the metrics.
    pub fn weighed_bytes(&self) -> u64 {
        self.keys.run_pending_tasks();
        self.organizations.run_pending_tasks();
        self.sessions.run_pending_tasks();
        self.stores.run_pending_tasks();
        self.menus.run_pending_tasks();
        self.keys.weighted_size()
            + self.organizations.weighted_size()
            + self.sessions.weighted_size()
            + self.stores.weighted_size()
            + self.menus.weighted_size()
    }
}

/// A store as it is in Postgres now, bypassing the cache (place re-checks against this).
pub async fn load_store<'e>(executor: impl sqlx::PgExecutor<'e>, id: Uuid) -> sqlx::Result<Option<StoreSnapshot>> {
    Ok(db::stores::get(executor, id).await?.map(StoreSnapshot::from))
}

/// A menu as it is in Postgres now, with the items its store holds back, bypassing the cache.
pub async fn load_menu<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    catalog_set_id: Uuid,
) -> sqlx::Result<Option<MenuSnapshot>> {
    let Some((row, held)) = db::catalogs::get_with_held_back(executor, catalog_set_id).await? else { return Ok(None) };
    let held = held.into_iter().map(|h| (h.item_id, h.until));
    Ok(Some(MenuSnapshot::new(row.store_id, row.document, row.version).holding_back(held)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Caller, OrgKind};

    fn known() -> KnownKey {
        let caller = Caller {
            organization_id: Uuid::nil(),
            kind: OrgKind::Distribution,
            key_id: None,
            session_id: None,
            session: None,
        };
        KnownKey { caller, expires_at: None }
    }

    #[test]
    fn the_caches_never_hold_more_than_their_bound() {
        let bound = 64 * 1024;
        let cache = CatalogCache::new(bound);
        cache.set_listening(true);
        for i in 0u32..10_000 {
            cache.keep_key(i.to_be_bytes().to_vec(), known(), cache.epoch());
        }
        let held = cache.weighed_bytes();
        assert!(held > 0 && held <= bound / 16, "keys hold {held} bytes of their {} share", bound / 16);
    }

    #[test]
    fn a_fill_read_before_an_invalidation_is_not_kept() {
        let cache = CatalogCache::new(1 << 20);
        cache.set_listening(true);
        let epoch = cache.epoch();
        cache.invalidate_keys();
        cache.keep_key(vec![1], known(), epoch);
        assert!(cache.key(&[1]).is_none(), "the key changed after the fill read it");
        cache.keep_key(vec![1], known(), cache.epoch());
        assert!(cache.key(&[1]).is_some());
        cache.set_listening(false);
        assert!(cache.key(&[1]).is_none(), "nothing is trusted while not listening");
    }
}
