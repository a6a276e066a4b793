//! validatedOrderTokens. Every statement is checked against the schema at build time.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub hash: Vec<u8>,
    pub organization_id: Uuid,
    pub partner_user_id: Option<String>,
    pub store_id: Uuid,
    pub catalog_set_id: Uuid,
    /// The `PricedOrder` as JSON text.
    pub snapshot: String,
    pub total: Decimal,
    pub currency: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Writes many tokens in one statement (one round trip). Run on the token pool, whose
/// connections have synchronous_commit off.
pub async fn insert_batch(db: impl sqlx::PgExecutor<'_>, records: Vec<TokenRecord>) -> sqlx::Result<()> {
    let n = records.len();
    let (mut hashes, mut organizations, mut users, mut stores, mut catalog_sets) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut snapshots, mut totals, mut currencies, mut created, mut expires) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for r in records {
        hashes.push(r.hash);
        organizations.push(r.organization_id);
        users.push(r.partner_user_id);
        stores.push(r.store_id);
        catalog_sets.push(r.catalog_set_id);
        snapshots.push(r.snapshot);
        totals.push(r.total);
        currencies.push(r.currency);
        created.push(r.created_at);
        expires.push(r.expires_at);
    }
    sqlx::query!(
        "INSERT INTO validated_orders (token_hash, organization_id, partner_user_id, store_id, catalog_set_id, snapshot,
                                       total, currency, created_at, expires_at)
         SELECT h, o, u, s, c, j, t, cur, cr, ex
         FROM UNNEST($1::bytea[], $2::uuid[], $3::text[], $4::uuid[], $5::uuid[], $6::text[],
                     $7::numeric[], $8::text[], $9::timestamptz[], $10::timestamptz[])
              AS batch (h, o, u, s, c, j, t, cur, cr, ex)",
        &hashes,
        &organizations,
        &users as &[Option<String>],
        &stores,
        &catalog_sets,
        &snapshots,
        &totals,
        &currencies,
        &created,
        &expires,
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// Deletes up to `batch` tokens that expired before `before` (oldest first, through the
/// expiry index, skipping rows another reaper holds); returns how many.
pub async fn reap_expired(db: impl sqlx::PgExecutor<'_>, before: DateTime<Utc>, batch: i64) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "DELETE FROM validated_orders WHERE token_hash IN (
             SELECT token_hash FROM validated_orders WHERE expires_at < $1
             ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
        before,
        batch,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// A stored validatedOrderToken, as place reads it.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub organization_id: Uuid,
    pub partner_user_id: Option<String>,
    pub store_id: Uuid,
    pub catalog_set_id: Uuid,
    pub snapshot: sqlx::types::Json<crate::domain::order::PricedOrder>,
    pub expires_at: DateTime<Utc>,
    pub order_id: Option<Uuid>,
}

/// Reads a token without locking it (to show what it is for; place locks it).
pub async fn find(db: impl sqlx::PgExecutor<'_>, hash: &[u8]) -> sqlx::Result<Option<TokenRow>> {
    sqlx::query_as!(
        TokenRow,
        r#"SELECT organization_id, partner_user_id, store_id, catalog_set_id,
                  snapshot::json AS "snapshot!: sqlx::types::Json<crate::domain::order::PricedOrder>", expires_at,
                  order_id
           FROM validated_orders WHERE token_hash = $1"#,
        hash,
    )
    .fetch_optional(db)
    .await
}

/// Reads a token and locks it until the transaction ends, so two places of one token
/// serialise here.
pub async fn lock(conn: &mut sqlx::PgConnection, hash: &[u8]) -> sqlx::Result<Option<TokenRow>> {
    sqlx::query_as!(
        TokenRow,
        r#"SELECT organization_id, partner_user_id, store_id, catalog_set_id,
                  snapshot::json AS "snapshot!: sqlx::types::Json<crate::domain::order::PricedOrder>", expires_at,
                  order_id
           FROM validated_orders WHERE token_hash = $1 FOR UPDATE"#,
        hash,
    )
    .fetch_optional(conn)
    .await
}

pub async fn consume(
    conn: &mut sqlx::PgConnection,
    hash: &[u8],
    order_id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE validated_orders SET consumed_at = $3, order_id = $2 WHERE token_hash = $1",
        hash,
        order_id,
        now
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// Frees the token an order that will not be placed had used, so it can back another try.
pub async fn release(conn: &mut sqlx::PgConnection, order_id: Uuid) -> sqlx::Result<()> {
    sqlx::query!("UPDATE validated_orders SET consumed_at = NULL, order_id = NULL WHERE order_id = $1", order_id)
        .execute(conn)
        .await
        .map(|_| ())
}
