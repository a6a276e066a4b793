//! Store use cases: upsert, pause/resume, discovery.

use crate::app::error::{AppError, AppResult};
use crate::db::stores::{self as store_db, DiscoveredStore, Discovery, StoreRow};
use crate::domain::error_code::ErrorCode;
use crate::domain::store::{self, StatusUpdate, StoreDetails};
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
) -> AppResult<(StoreRow, bool)> {
    let problems = store::validate(&details);
    if !problems.is_empty() {
        return Err(AppError::validation("The store description has problems; nothing was saved.", problems));
    }
    details.normalise();
    let saved =
        store_db::upsert(&state.db, organization_id, id, &details, state.now()).await?.ok_or_else(|| not_found(id))?;
    state.cache.invalidate_store(id);
    Ok(saved)
}

pub async fn get_owned(state: &AppState, organization_id: Uuid, id: Uuid) -> AppResult<StoreRow> {
    store_db::get_owned(&state.db, organization_id, id).await?.ok_or_else(|| not_found(id))
}

pub async fn get(state: &AppState, id: Uuid) -> AppResult<StoreRow> {
    store_db::get(&state.db, id).await?.ok_or_else(|| not_found(id))
}

pub async fn update_status(
    state: &AppState,
    organization_id: Uuid,
    id: Uuid,
    update: &StatusUpdate,
) -> AppResult<StoreRow> {
    let now = state.now();
    let pause = store::apply_status_update(update, now)
        .map_err(|problems| AppError::validation("The status update has problems.", problems))?;
    let saved = store_db::set_pause(&state.db, organization_id, id, &pause, now).await?.ok_or_else(|| not_found(id))?;
    state.cache.invalidate_store(id);
    Ok(saved)
}

pub async fn discover(state: &AppState, query: &Discovery) -> AppResult<(Vec<DiscoveredStore>, i64)> {
    Ok(store_db::discover(&state.db, query).await?)
}
