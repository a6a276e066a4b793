//! Card-on-file interchange, managed by the operator (`marketfront interchange …`): which
//! processors a distribution organisation's card tokens may be charged through.

use crate::auth::OrgKind;
use crate::db;
use crate::domain::placement::PROCESSORS;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum InterchangeError {
    #[error("no organisation named {0:?}")]
    UnknownOrganization(String),
    #[error("{0:?} is a commerce organisation: interchange is for distribution partners")]
    NotDistribution(String),
    #[error("{given:?} is not a processor; one of {known}")]
    UnknownProcessor { given: String, known: String },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

async fn distribution_org(pool: &PgPool, name: &str, processor: &str) -> Result<Uuid, InterchangeError> {
    if !PROCESSORS.contains(&processor) {
        return Err(InterchangeError::UnknownProcessor { given: processor.to_string(), known: PROCESSORS.join(", ") });
    }
    let org =
        db::keys::org_named(pool, name).await?.ok_or_else(|| InterchangeError::UnknownOrganization(name.into()))?;
    if org.kind != OrgKind::Distribution {
        return Err(InterchangeError::NotDistribution(name.into()));
    }
    Ok(org.id)
}

pub async fn enable(pool: &PgPool, org: &str, processor: &str, now: DateTime<Utc>) -> Result<(), InterchangeError> {
    let id = distribution_org(pool, org, processor).await?;
    Ok(db::interchange::enable(pool, id, processor, now).await?)
}

/// Whether it had been enabled.
pub async fn disable(pool: &PgPool, org: &str, processor: &str) -> Result<bool, InterchangeError> {
    let id = distribution_org(pool, org, processor).await?;
    Ok(db::interchange::disable(pool, id, processor).await?)
}
