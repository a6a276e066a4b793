//! Catalog sets: validate a whole set, then swap it in atomically.

use crate::app::Saved;
use crate::app::error::{AppError, AppResult};
use crate::db::catalogs::{self as catalog_db, Replaced};
use crate::db::item_availability::{self as held_db, HeldBack};
use crate::db::{ingestions, stores};
use crate::domain::catalog::StoredCatalogSet;
use crate::domain::catalog::{self, CatalogSet};
use crate::domain::error_code::ErrorCode;
use crate::domain::item_availability::{self, AvailabilityUpdate, Change, Refusal};
use crate::domain::problem::Problem;
use crate::state::AppState;
use uuid::Uuid;

pub enum PushOutcome {
    Live { row: Box<StoredCatalogSet>, created: bool },
    Rejected(Vec<Problem>),
    StoreNotFound,
}

/// Validates `set` against the store and makes it live, all in one transaction holding the
/// store's row lock; on any problem nothing changes and the previous set stays live. When the
/// set came from a pull, `ingestion` is marked succeeded in the same transaction.
pub async fn push(
    state: &AppState,
    organization_id: Uuid,
    store_id: Uuid,
    mut set: CatalogSet,
    ingestion: Option<Uuid>,
) -> Result<PushOutcome, sqlx::Error> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let Some(details) = stores::lock_owned(&mut tx, organization_id, store_id).await? else {
        return Ok(PushOutcome::StoreNotFound);
    };
    let problems = catalog::validate(&set, &details.currency);
    if !problems.is_empty() {
        return Ok(PushOutcome::Rejected(problems));
    }
    set.normalise();
    match catalog_db::replace(&mut tx, store_id, &set, now).await? {
        Replaced::IdTaken => Ok(PushOutcome::Rejected(vec![Problem::at(
            "ID_IN_USE",
            "$.catalogSetId",
            "this catalogSetId belongs to another store; use a new id",
        )])),
        Replaced::Done(row, created) => {
            if let Some(ingestion) = ingestion {
                ingestions::succeed(&mut tx, ingestion, row.id, now).await?;
            }
            tx.commit().await?;
            state.cache.invalidate_store(store_id);
            Ok(PushOutcome::Live { row, created })
        }
    }
}

/// `push` for an HTTP caller: outcomes other than success become problem+json.
pub async fn push_for_api(
    state: &AppState,
    organization_id: Uuid,
    store_id: Uuid,
    set: CatalogSet,
) -> AppResult<Saved<StoredCatalogSet>> {
    match push(state, organization_id, store_id, set, None).await? {
        PushOutcome::Live { row, created } => Ok(Saved { record: *row, created }),
        PushOutcome::Rejected(problems) => {
            Err(AppError::validation("The catalog set has problems; the previous set stays live.", problems))
        }
        PushOutcome::StoreNotFound => {
            Err(AppError::new(ErrorCode::StoreNotFound, format!("No store with id {store_id}.")))
        }
    }
}

/// A menu as partners browse it: from the replica, where there is one (it may lag a little;
/// validate reads the primary).
/// The items the restaurant holds back are shown unavailable, each with when it is back.
pub async fn get(state: &AppState, id: Uuid) -> AppResult<Browsed> {
    let (mut row, held) = catalog_db::get_with_held_back(state.reads.relaxed(), id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::CatalogsetNotFound, format!("No catalog set with id {id}.")))?;
    let held = in_force(held, &row.document, state.now());
    for hold in &held {
        if let Some(item) = row.document.items.get_mut(&hold.item_id) {
            item.available = false;
        }
    }
    Ok(Browsed { set: row, held_back: held })
}

/// A menu as partners browse it, with the restaurant's out-of-stock marks laid over it.
#[derive(Debug, Clone)]
pub struct Browsed {
    pub set: StoredCatalogSet,
    pub held_back: Vec<HeldItem>,
}

/// An item held back, and until when (`None`: until the restaurant says otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldItem {
    pub item_id: String,
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

/// Marks items unavailable (until a time, or until told otherwise) or available again, without
/// a menu push; every instance's menus see it at once (the table announces the store's change).
/// The marks stay across pushes while the menu keeps the item. Answers the marks in force.
pub async fn set_availability(
    state: &AppState,
    organization_id: Uuid,
    store_id: Uuid,
    update: &AvailabilityUpdate,
) -> AppResult<Vec<HeldItem>> {
    let now = state.now();
    let menu = get_for_owned_store(state, organization_id, store_id).await?;
    let changes = item_availability::check(update, &menu.document, now).map_err(|refusal| match refusal {
        Refusal::Malformed(problems) => {
            AppError::invalid_request("The availability update is malformed.").with_errors(problems)
        }
        Refusal::Invalid(problems) => AppError::validation("The availability update has problems.", problems),
    })?;
    let mut tx = state.db.begin().await?;
    for change in &changes {
        match change {
            Change::HoldBack { item_id, until } => held_db::hold_back(&mut *tx, store_id, item_id, *until, now).await?,
            Change::Release { item_id } => held_db::release(&mut *tx, store_id, item_id).await?,
        }
    }
    let held = held_db::held_back(&mut *tx, store_id).await?;
    tx.commit().await?;
    state.cache.invalidate_store(store_id);
    Ok(in_force(held, &menu.document, now))
}

/// The marks that count at `now`: not run out, and on items the menu has (a mark outlives a
/// push that drops its item, and counts again if the item comes back).
fn in_force(held: Vec<HeldBack>, menu: &CatalogSet, now: chrono::DateTime<chrono::Utc>) -> Vec<HeldItem> {
    held.into_iter()
        .filter(|h| h.until.is_none_or(|until| until > now) && menu.items.contains_key(&h.item_id))
        .map(|h| HeldItem { item_id: h.item_id, until: h.until })
        .collect()
}

pub async fn get_for_owned_store(
    state: &AppState,
    organization_id: Uuid,
    store_id: Uuid,
) -> AppResult<StoredCatalogSet> {
    stores::get_owned(&state.db, organization_id, store_id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::StoreNotFound, format!("No store with id {store_id}.")))?;
    catalog_db::get_for_store(&state.db, store_id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::CatalogsetNotFound, "This store has no catalog set yet."))
}
