//! Catalog sets: validate a whole set, then swap it in atomically.

use crate::app::Saved;
use crate::app::error::{AppError, AppResult};
use crate::db::catalogs::{self as catalog_db, Replaced};
use crate::db::{ingestions, stores};
use crate::domain::catalog::StoredCatalogSet;
use crate::domain::catalog::{self, CatalogSet};
use crate::domain::error_code::ErrorCode;
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
pub async fn get(state: &AppState, id: Uuid) -> AppResult<StoredCatalogSet> {
    catalog_db::get(state.reads.relaxed(), id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::CatalogsetNotFound, format!("No catalog set with id {id}.")))
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
