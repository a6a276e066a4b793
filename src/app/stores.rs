//! Store use cases: upsert, pause/resume, discovery.

use crate::app::error::{AppError, AppResult};
use crate::app::{Listed, Saved};
use crate::db::discovery as discovery_db;
use crate::db::stores as store_db;
use crate::domain::cursor::{ListKind, Position};
use crate::domain::discovery::{self, DiscoveryRequest, Found};
use crate::domain::error_code::ErrorCode;
use crate::domain::geo::arc_km;
use crate::domain::page::Page;
use crate::domain::search::Resolved;
use crate::domain::store::{self, StatusUpdate, Store, StoreDetails};
use crate::state::AppState;
use uuid::Uuid;

fn not_found(id: Uuid) -> AppError {
    AppError::new(ErrorCode::StoreNotFound, format!("No store with id {id}."))
}

pub async fn upsert(
    state: &AppState,
    organization_id: Uuid,
    id: Uuid,
    mut details: StoreDetails,
) -> AppResult<Saved<Store>> {
    let problems = store::validate(&details);
    if !problems.is_empty() {
        return Err(AppError::validation("The store description has problems; nothing was saved.", problems));
    }
    details.normalise();
    let mut tx = state.db.begin().await?;
    let (record, created) =
        store_db::upsert(&mut tx, organization_id, id, &details, state.now()).await?.ok_or_else(|| not_found(id))?;
    tx.commit().await?;
    state.cache.invalidate_store(id);
    Ok(Saved { record, created })
}

pub async fn get_owned(state: &AppState, organization_id: Uuid, id: Uuid) -> AppResult<Store> {
    store_db::get_owned(&state.db, organization_id, id).await?.ok_or_else(|| not_found(id))
}

/// A store as partners browse it: from the replica, where there is one (it may lag a little).
pub async fn get(state: &AppState, id: Uuid) -> AppResult<Store> {
    store_db::get(state.reads.relaxed(), id).await?.ok_or_else(|| not_found(id))
}

pub async fn update_status(
    state: &AppState,
    organization_id: Uuid,
    id: Uuid,
    update: &StatusUpdate,
) -> AppResult<Store> {
    let now = state.now();
    let pause = store::apply_status_update(update, now)
        .map_err(|problems| AppError::validation("The status update has problems.", problems))?;
    let mut tx = state.db.begin().await?;
    let saved = store_db::set_pause(&mut tx, organization_id, id, &pause, now).await?.ok_or_else(|| not_found(id))?;
    tx.commit().await?;
    state.cache.invalidate_store(id);
    Ok(saved)
}

/// Checks the query (every problem at once), resolves its text against the index's words
/// (corrections, completions), then finds the stores, with `totalCount` capped.
pub async fn discover(state: &AppState, request: DiscoveryRequest) -> AppResult<Listed<Found>> {
    let query = request.check().map_err(|problems| {
        let code = discovery::refusal_code(&problems);
        AppError::new(code, "Some query parameters are invalid.").with_errors(problems)
    })?;
    let mut conn = state.reads.relaxed().acquire().await?;
    let resolved = match &query.text {
        Some(text) => Some(text.resolve(&discovery_db::candidates(&mut conn, text).await?)),
        None => None,
    };
    if resolved.as_ref().is_some_and(Resolved::matches_nothing) {
        return Ok(Listed::new(Vec::new(), 0, query.page));
    }
    let cap = state.config.discovery_count_cap;
    let (hits, matches) = discovery_db::find(&mut conn, &query, resolved.as_ref(), cap, state.now()).await?;
    let found = hits
        .into_iter()
        .map(|hit| Found {
            store: hit.store,
            distance_km: hit.chord.map(arc_km),
            matched_items: resolved.as_ref().map(|text| text.matched_items(&hit.items_by_word)),
        })
        .collect();
    let (total, exact) = discovery::capped_total(matches, cap);
    Ok(Listed::new(found, total, query.page).exact(exact))
}

/// An organisation's own stores, a page at a time, and how many it has.
pub async fn list_owned(state: &AppState, organization_id: Uuid, page: Page) -> AppResult<Listed<Store>> {
    let (stores, counted) = store_db::list_owned(&state.db, organization_id, &page).await?;
    Ok(Listed::keyset(stores, counted, page, ListKind::Stores, |store| Position { at: None, id: store.id }))
}

/// Brings back online every store whose pause has run out. Readers already treat such a store
/// as online (`PauseState::effective`); this makes the stored row agree, and bumps its version.
pub async fn resume_due(state: &AppState) -> AppResult<()> {
    let resumed = store_db::resume_due(&state.db, state.now()).await?;
    if resumed > 0 {
        tracing::info!(count = resumed, "paused stores resumed");
    }
    Ok(())
}
