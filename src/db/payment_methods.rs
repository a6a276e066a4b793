//! Saved payment methods: what is kept of a user's cards.

use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct PaymentMethodRow {
    pub id: Uuid,
    pub brand: String,
    pub last_four: String,
    pub exp_year: i32,
    pub exp_month: i32,
    /// Sealed.
    pub vault_reference: String,
}

pub struct NewPaymentMethod<'a> {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub partner_user_id: &'a str,
    pub brand: &'a str,
    pub last_four: &'a str,
    pub exp_year: i32,
    pub exp_month: i32,
    pub vault_reference: &'a str,
}

pub async fn insert(db: impl sqlx::PgExecutor<'_>, row: &NewPaymentMethod<'_>, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO payment_methods (id, organization_id, partner_user_id, brand, last_four, exp_year, exp_month,
                                      vault_reference, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        row.id,
        row.organization_id,
        row.partner_user_id,
        row.brand,
        row.last_four,
        row.exp_year,
        row.exp_month,
        row.vault_reference,
        now,
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// The user's cards not removed, oldest first, at most `limit`.
pub async fn list(
    db: impl sqlx::PgExecutor<'_>,
    organization_id: Uuid,
    partner_user_id: &str,
    limit: i64,
) -> sqlx::Result<Vec<PaymentMethodRow>> {
    sqlx::query_as!(
        PaymentMethodRow,
        "SELECT id, brand, last_four, exp_year, exp_month, vault_reference FROM payment_methods
         WHERE organization_id = $1 AND partner_user_id = $2 AND deleted_at IS NULL
         ORDER BY created_at, id LIMIT $3",
        organization_id,
        partner_user_id,
        limit,
    )
    .fetch_all(db)
    .await
}

/// One of the user's cards, if it is theirs and not removed.
pub async fn get(
    db: impl sqlx::PgExecutor<'_>,
    organization_id: Uuid,
    partner_user_id: &str,
    id: Uuid,
) -> sqlx::Result<Option<PaymentMethodRow>> {
    sqlx::query_as!(
        PaymentMethodRow,
        "SELECT id, brand, last_four, exp_year, exp_month, vault_reference FROM payment_methods
         WHERE id = $1 AND organization_id = $2 AND partner_user_id = $3 AND deleted_at IS NULL",
        id,
        organization_id,
        partner_user_id,
    )
    .fetch_optional(db)
    .await
}

/// Removes one of the user's cards; whether there was one.
pub async fn remove(
    db: impl sqlx::PgExecutor<'_>,
    organization_id: Uuid,
    partner_user_id: &str,
    id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE payment_methods SET deleted_at = $4
         WHERE id = $1 AND organization_id = $2 AND partner_user_id = $3 AND deleted_at IS NULL",
        id,
        organization_id,
        partner_user_id,
        now,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}
