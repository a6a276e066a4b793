//! Keeps the discovery index whole for stores written before it existed: at start, every
//! store without an entry gets one (its store part and, with a live menu, its menu part), a
//! batch per transaction, so an upgrade needs no manual step and never one giant statement.

use crate::app::error::AppResult;
use crate::db::{catalogs, discovery, stores};
use crate::domain::discovery::MenuEntry;
use sqlx::PgPool;

const BATCH: i64 = 200;

/// Indexes every store that has no entry; returns how many it indexed.
pub async fn backfill(pool: &PgPool) -> AppResult<u64> {
    let mut indexed = 0;
    loop {
        let mut tx = pool.begin().await?;
        let ids = discovery::unindexed(&mut tx, BATCH).await?;
        if ids.is_empty() {
            return Ok(indexed);
        }
        for id in &ids {
            let Some(store) = stores::get(&mut *tx, *id).await? else { continue };
            discovery::index_store(&mut tx, &store).await?;
            if let Some(set) = catalogs::get_for_store(&mut *tx, *id).await? {
                discovery::index_menu(&mut tx, *id, &MenuEntry::of(&set.document)).await?;
            }
        }
        tx.commit().await?;
        indexed += ids.len() as u64;
    }
}
