//! Saved addresses and sessions' fulfilment contexts.

use crate::domain::address::{Address, Context, Owner};
use crate::domain::order::FulfillmentType;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

fn owner_columns(owner: &Owner) -> (Uuid, Option<&str>, Option<Uuid>) {
    match owner {
        Owner::User { organization_id, partner_user_id } => (*organization_id, Some(partner_user_id.as_str()), None),
        Owner::Session { organization_id, session_id } => (*organization_id, None, Some(*session_id)),
    }
}

/// Saves `address` as `id` for `owner`, or finds it saved (coordinates it lacked are filled in
/// from this one); the address as stored and whether it was new.
pub async fn save(
    db: impl sqlx::PgExecutor<'_>,
    id: Uuid,
    owner: &Owner,
    address: &Address,
    now: DateTime<Utc>,
) -> sqlx::Result<(Address, bool)> {
    let (organization_id, partner_user_id, session_id) = owner_columns(owner);
    let row = sqlx::query!(
        r#"INSERT INTO saved_addresses (id, organization_id, partner_user_id, session_id, address, created_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (id) DO UPDATE SET address = CASE
               WHEN saved_addresses.address ? 'latitude' THEN saved_addresses.address
               ELSE saved_addresses.address || jsonb_strip_nulls(jsonb_build_object(
                        'latitude', EXCLUDED.address -> 'latitude', 'longitude', EXCLUDED.address -> 'longitude'))
           END
           RETURNING address AS "address: Json<Address>", (xmax = 0) AS "created!""#,
        id,
        organization_id,
        partner_user_id,
        session_id,
        Json(address) as _,
        now,
    )
    .fetch_one(db)
    .await?;
    Ok((row.address.0, row.created))
}

/// The owner's addresses, oldest first, at most `limit`.
pub async fn list(db: impl sqlx::PgExecutor<'_>, owner: &Owner, limit: i64) -> sqlx::Result<Vec<(Uuid, Address)>> {
    let (organization_id, partner_user_id, session_id) = owner_columns(owner);
    let rows = sqlx::query!(
        r#"SELECT id, address AS "address: Json<Address>" FROM saved_addresses
           WHERE organization_id = $1
             AND (($2::text IS NOT NULL AND partner_user_id = $2) OR ($3::uuid IS NOT NULL AND session_id = $3))
           ORDER BY created_at, id LIMIT $4"#,
        organization_id,
        partner_user_id,
        session_id,
        limit,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|row| (row.id, row.address.0)).collect())
}

/// One of the owner's addresses.
pub async fn get(db: impl sqlx::PgExecutor<'_>, owner: &Owner, id: Uuid) -> sqlx::Result<Option<Address>> {
    let (organization_id, partner_user_id, session_id) = owner_columns(owner);
    let row = sqlx::query_scalar!(
        r#"SELECT address AS "address: Json<Address>" FROM saved_addresses
           WHERE id = $1 AND organization_id = $2
             AND (($3::text IS NOT NULL AND partner_user_id = $3) OR ($4::uuid IS NOT NULL AND session_id = $4))"#,
        id,
        organization_id,
        partner_user_id,
        session_id,
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|address| address.0))
}

pub async fn put_context(
    db: impl sqlx::PgExecutor<'_>,
    session_id: Uuid,
    mode: FulfillmentType,
    address_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO fulfillment_contexts (session_id, mode, address_id, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (session_id) DO UPDATE SET mode = EXCLUDED.mode, address_id = EXCLUDED.address_id,
                                                updated_at = EXCLUDED.updated_at",
        session_id,
        mode as FulfillmentType,
        address_id,
        now,
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// A session's context with its address, in one read.
pub async fn context(db: impl sqlx::PgExecutor<'_>, session_id: Uuid) -> sqlx::Result<Option<Context>> {
    let row = sqlx::query!(
        r#"SELECT c.mode AS "mode: FulfillmentType", c.address_id, a.address AS "address?: Json<Address>"
           FROM fulfillment_contexts c LEFT JOIN saved_addresses a ON a.id = c.address_id
           WHERE c.session_id = $1"#,
        session_id,
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| Context { mode: row.mode, address_id: row.address_id, address: row.address.map(|a| a.0) }))
}
