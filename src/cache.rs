//! The in-process cache of store and menu snapshots that validate reads instead of Postgres.
//!
//! Correct across instances: a trigger announces every store or catalog change on commit
//! (`marketfront_store_changed`), and each instance's listener (`workers::cache_listener`)
//! drops the store's entries when it hears it, and drops everything when its connection was
//! lost (it may have missed announcements). A fill that raced with an announcement is not kept:
//! each invalidation bumps an epoch, and a loader stores its result only if the epoch it read
//! before querying is still current. Entries also expire after `MAX_AGE`, as a last resort.
//!
//! Recently seen API keys are cached the same way (`marketfront_keys_changed` clears them), so
//! a hot request costs no database read for authentication either.

use crate::db;
use crate::domain::snapshot::{MenuSnapshot, StoreSnapshot};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use uuid::Uuid;

const MAX_AGE: Duration = Duration::from_secs(60);

struct Entry<T> {
    value: Arc<T>,
    loaded: Instant,
}

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

#[derive(Default)]
pub struct CatalogCache {
    /// By SHA-256 of the key. Only good keys are kept; any change to any key clears them all.
    keys: RwLock<HashMap<Vec<u8>, Entry<KnownKey>>>,
    /// Distribution organisations with a live key, for sessions; cleared with `keys`.
    organizations: RwLock<HashMap<Uuid, Entry<KeyedUntil>>>,
    stores: RwLock<HashMap<Uuid, Entry<StoreSnapshot>>>,
    /// By catalog set id.
    menus: RwLock<HashMap<Uuid, Entry<MenuSnapshot>>>,
    epoch: AtomicU64,
    /// Only while the listener is subscribed can cached entries be trusted; until then every
    /// read goes to Postgres and nothing is kept.
    listening: AtomicBool,
}

fn fresh<T>(map: &RwLock<HashMap<Uuid, Entry<T>>>, id: Uuid) -> Option<Arc<T>> {
    let map = map.read().expect("cache lock");
    map.get(&id).filter(|e| e.loaded.elapsed() < MAX_AGE).map(|e| e.value.clone())
}

impl CatalogCache {
    pub fn new() -> Self {
        CatalogCache::default()
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

    fn keep<T>(&self, map: &RwLock<HashMap<Uuid, Entry<T>>>, id: Uuid, value: Arc<T>, epoch: u64) {
        let mut map = map.write().expect("cache lock");
        // Checked under the write lock, so an invalidation cannot slip in between.
        if self.trusted() && self.epoch.load(Ordering::Acquire) == epoch {
            map.insert(id, Entry { value, loaded: Instant::now() });
        }
    }

    pub fn key(&self, hash: &[u8]) -> Option<KnownKey> {
        if !self.trusted() {
            return None;
        }
        let keys = self.keys.read().expect("cache lock");
        keys.get(hash).filter(|e| e.loaded.elapsed() < MAX_AGE).map(|e| (*e.value).clone())
    }

    /// Remembers a good key, unless keys changed since `epoch` was read.
    pub fn keep_key(&self, hash: Vec<u8>, key: KnownKey, epoch: u64) {
        let mut keys = self.keys.write().expect("cache lock");
        if self.trusted() && self.epoch.load(Ordering::Acquire) == epoch {
            keys.insert(hash, Entry { value: Arc::new(key), loaded: Instant::now() });
        }
    }

    pub fn organization(&self, id: Uuid) -> Option<KeyedUntil> {
        self.trusted().then(|| fresh(&self.organizations, id)).flatten().map(|hit| *hit)
    }

    pub fn keep_organization(&self, id: Uuid, keyed: KeyedUntil, epoch: u64) {
        self.keep(&self.organizations, id, Arc::new(keyed), epoch);
    }

    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    pub fn invalidate_keys(&self) {
        let mut keys = self.keys.write().expect("cache lock");
        let mut organizations = self.organizations.write().expect("cache lock");
        self.epoch.fetch_add(1, Ordering::AcqRel);
        keys.clear();
        organizations.clear();
    }

    pub async fn store(&self, pool: &PgPool, id: Uuid) -> sqlx::Result<Option<Arc<StoreSnapshot>>> {
        if let Some(hit) = self.trusted().then(|| fresh(&self.stores, id)).flatten() {
            return Ok(Some(hit));
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let Some(snapshot) = load_store(pool, id).await? else { return Ok(None) };
        let snapshot = Arc::new(snapshot);
        self.keep(&self.stores, id, snapshot.clone(), epoch);
        Ok(Some(snapshot))
    }

    pub async fn menu(&self, pool: &PgPool, catalog_set_id: Uuid) -> sqlx::Result<Option<Arc<MenuSnapshot>>> {
        if let Some(hit) = self.trusted().then(|| fresh(&self.menus, catalog_set_id)).flatten() {
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
        let mut stores = self.stores.write().expect("cache lock");
        let mut menus = self.menus.write().expect("cache lock");
        self.epoch.fetch_add(1, Ordering::AcqRel);
        stores.remove(&store_id);
        menus.retain(|_, entry| entry.value.store_id != store_id);
    }

    pub fn clear(&self) {
        let mut keys = self.keys.write().expect("cache lock");
        let mut organizations = self.organizations.write().expect("cache lock");
        let mut stores = self.stores.write().expect("cache lock");
        let mut menus = self.menus.write().expect("cache lock");
        self.epoch.fetch_add(1, Ordering::AcqRel);
        keys.clear();
        organizations.clear();
        stores.clear();
        menus.clear();
    }
}

/// A store as it is in Postgres now, bypassing the cache (place re-checks against this).
pub async fn load_store<'e>(executor: impl sqlx::PgExecutor<'e>, id: Uuid) -> sqlx::Result<Option<StoreSnapshot>> {
    Ok(db::stores::get(executor, id).await?.map(StoreSnapshot::from))
}

/// A menu as it is in Postgres now, bypassing the cache.
pub async fn load_menu<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    catalog_set_id: Uuid,
) -> sqlx::Result<Option<MenuSnapshot>> {
    let Some(row) = db::catalogs::get(executor, catalog_set_id).await? else { return Ok(None) };
    Ok(Some(MenuSnapshot::new(row.store_id, row.document, row.version)))
}
