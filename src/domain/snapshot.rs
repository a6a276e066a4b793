//! Read-only, pre-digested views of a store and its menu: what validate needs, parsed once when
//! loaded into the cache instead of on every request.

use super::availability::Schedule;
use super::catalog::{CatalogSet, Item};
use super::money::currency_exponent;
use super::store::{PauseState, Store, StoreDetails};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct StoreSnapshot {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub details: StoreDetails,
    pub pause: PauseState,
    pub catalog_set_id: Option<Uuid>,
    pub version: i64,
    pub tz: Option<Tz>,
    pub schedule: Schedule,
    pub exponent: u32,
}

impl From<Store> for StoreSnapshot {
    /// The stored record, with what validate needs worked out once: its time zone, opening
    /// schedule and currency exponent.
    fn from(store: Store) -> Self {
        let Store { id, organization_id, details, pause, catalog_set_id, version, .. } = store;
        let tz = details.time_zone();
        let schedule = details.schedule();
        let exponent = currency_exponent(&details.currency).unwrap_or(2);
        StoreSnapshot { id, organization_id, details, pause, catalog_set_id, version, tz, schedule, exponent }
    }
}

#[derive(Debug, Clone)]
pub struct MenuSnapshot {
    pub store_id: Uuid,
    pub set: CatalogSet,
    pub version: i64,
    schedules: HashMap<String, Schedule>,
    /// For each item listed in a section, the catalogs (dayparts) it is served in.
    item_catalogs: HashMap<String, Vec<String>>,
    /// Items the restaurant has marked unavailable without pushing the menu, each until when
    /// (`None`: until it says otherwise).
    held_back: HashMap<String, Option<DateTime<Utc>>>,
}

impl MenuSnapshot {
    pub fn new(store_id: Uuid, set: CatalogSet, version: i64) -> Self {
        let schedules =
            set.catalogs.iter().map(|(id, c)| (id.clone(), Schedule::from_stored(&c.availability))).collect();
        let mut item_catalogs: HashMap<String, Vec<String>> = HashMap::new();
        for (catalog_id, catalog) in &set.catalogs {
            let mut seen = HashSet::new();
            let mut stack: Vec<&String> = catalog.section_ids.iter().collect();
            while let Some(section_id) = stack.pop() {
                if !seen.insert(section_id) {
                    continue;
                }
                let Some(section) = set.sections.get(section_id) else { continue };
                for item in &section.item_ids {
                    let catalogs = item_catalogs.entry(item.clone()).or_default();
                    if !catalogs.contains(catalog_id) {
                        catalogs.push(catalog_id.clone());
                    }
                }
                stack.extend(section.section_ids.iter());
            }
        }
        MenuSnapshot { store_id, set, version, schedules, item_catalogs, held_back: HashMap::new() }
    }

    /// The menu with the restaurant's held-back items laid over it.
    pub fn holding_back(mut self, items: impl IntoIterator<Item = (String, Option<DateTime<Utc>>)>) -> Self {
        self.held_back = items.into_iter().collect();
        self
    }

    /// Whether an item can be ordered at `now`: it is available on the menu, and not held back
    /// (a hold whose `until` has passed is over). `Err` carries when it is available again, if
    /// that is known.
    pub fn availability(&self, item: &Item, now: DateTime<Utc>) -> Result<(), Option<DateTime<Utc>>> {
        if !item.available {
            return Err(None);
        }
        match self.held_back.get(&item.item_id) {
            Some(Some(until)) if *until <= now => Ok(()),
            Some(until) => Err(*until),
            None => Ok(()),
        }
    }

    /// Whether an item is on a menu (catalog) open at `now` in the store's time zone.
    pub fn served_now(&self, item_id: &str, tz: Tz, now: DateTime<Utc>) -> Served {
        match self.item_catalogs.get(item_id) {
            None => Served::OnNoMenu,
            Some(catalogs) if catalogs.iter().any(|c| self.schedules.get(c).is_some_and(|s| s.is_open_at(tz, now))) => {
                Served::Yes
            }
            Some(_) => Served::NotNow,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    Yes,
    NotNow,
    OnNoMenu,
}
