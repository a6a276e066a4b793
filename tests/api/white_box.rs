//! White-box checks: the one place the black-box tests read or write the tables themselves,
//! to show what the API cannot: that a refusal left nothing behind, what the sandbox processor
//! was asked, how a secret, key or token is stored. Every other test module goes through the
//! API (`tests/api/layering.rs` keeps it so). Each function names the fact it reads.

use crate::helpers::TestApp;
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

impl TestApp {
    /// A count the API has no endpoint for (`SELECT count(*) …`).
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.db).await.unwrap()
    }
}

impl crate::binary::Scene {
    /// A count in the real binary's database (what a crash left behind).
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }
}

/// Every stored API key: its printable prefix and what is kept of the secret.
pub async fn stored_keys(app: &TestApp) -> Vec<(String, Vec<u8>)> {
    sqlx::query_as("SELECT prefix, key_hash FROM api_keys").fetch_all(&app.db).await.unwrap()
}

/// The organisation a key prefix belongs to.
pub async fn organization_of_key(app: &TestApp, prefix: &str) -> Uuid {
    sqlx::query_scalar("SELECT organization_id FROM api_keys WHERE prefix = $1")
        .bind(prefix)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// The id of the (only) organisation of a kind, as text.
pub async fn organization_of_kind(app: &TestApp, kind: &str) -> String {
    sqlx::query_scalar("SELECT id::text FROM organizations WHERE kind = $1")
        .bind(kind)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// Every text, JSON and byte column of every table, read as text, searched for `needle`.
pub async fn tables_holding(app: &TestApp, needle: &str) -> Vec<String> {
    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
         WHERE table_schema = 'public' AND data_type IN ('text', 'jsonb', 'json', 'character varying', 'bytea', 'ARRAY')",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let mut found = Vec::new();
    for (table, column, data_type) in columns {
        // Bytes (stored answers) are read with their printable characters as they are.
        let text = if data_type == "bytea" {
            format!("encode(\"{column}\", 'escape')")
        } else {
            format!("\"{column}\"::text")
        };
        let sql = format!("SELECT count(*) FROM \"{table}\" WHERE position($1 in {text}) > 0");
        let hits: i64 = sqlx::query_scalar(&sql).bind(needle).fetch_one(&app.db).await.unwrap();
        if hits > 0 {
            found.push(format!("{table}.{column}"));
        }
    }
    found
}

/// Writes an endpoint the way a release before sealing did: its secret in clear.
pub async fn insert_endpoint_with_clear_secret(app: &TestApp, organization: Uuid, secret: &str) {
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, organization_id, url, event_types, secret, created_at, updated_at)
         VALUES ($1, $2, 'http://127.0.0.1:9/old', '{order_create}', $3, now(), now())",
    )
    .bind(Uuid::now_v7())
    .bind(organization)
    .bind(secret)
    .execute(&app.db)
    .await
    .unwrap();
}

/// The (only) endpoint's stored secret.
pub async fn stored_endpoint_secret(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT secret FROM webhook_endpoints").fetch_one(&app.db).await.unwrap()
}

/// The outbox events of one order and type, in version order.
pub async fn outbox_events(app: &TestApp, order_id: Uuid, event_type: &str) -> Vec<Value> {
    sqlx::query_scalar(
        "SELECT payload FROM outbox_events WHERE order_id = $1 AND event_type = $2 ORDER BY payload->>'version'",
    )
    .bind(order_id)
    .bind(event_type)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

/// Each outbox event's type with the kind of organisation it is for, by type.
pub async fn outbox_event_audiences(app: &TestApp) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT e.event_type, o.kind FROM outbox_events e JOIN organizations o ON o.id = e.organization_id
         ORDER BY e.event_type",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
}

/// The (only) authorisation's amount and state.
pub async fn authorization(app: &TestApp) -> (Decimal, String) {
    sqlx::query_as("SELECT amount, state FROM payment_authorizations").fetch_one(&app.db).await.unwrap()
}

/// How many validatedOrderTokens are stored.
pub async fn token_rows(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM validated_orders").await
}

/// The (only) stored token: its hash, organisation and total.
pub async fn stored_token(app: &TestApp) -> (Vec<u8>, Uuid, Decimal) {
    sqlx::query_as("SELECT token_hash, organization_id, total FROM validated_orders").fetch_one(&app.db).await.unwrap()
}

/// The (only) stored token's snapshot, as stored text.
pub async fn stored_token_snapshot(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT snapshot::text FROM validated_orders").fetch_one(&app.db).await.unwrap()
}

/// The session user the (only) stored token remembers.
pub async fn stored_token_user(app: &TestApp) -> Option<String> {
    sqlx::query_scalar("SELECT partner_user_id FROM validated_orders").fetch_one(&app.db).await.unwrap()
}

/// A store's status as its row holds it (the background resumer writes it).
pub async fn stored_store_status(app: &TestApp, id: Uuid) -> Option<String> {
    sqlx::query_scalar("SELECT status FROM stores WHERE id = $1").bind(id).fetch_one(&app.db).await.ok()
}

/// Skips every delivery ahead to `attempts` made, as three days of retries would.
pub async fn set_delivery_attempts(app: &TestApp, attempts: i32) {
    sqlx::query("UPDATE webhook_deliveries SET attempts = $1").bind(attempts).execute(&app.db).await.unwrap();
}

/// Forgets every store's discovery entry, as a database from before the index has none.
pub async fn drop_discovery_entries(app: &TestApp) {
    sqlx::query("DELETE FROM discovery_entries").execute(&app.db).await.unwrap();
}

/// `copies` more stores of `store`'s organisation, made as its copies in one statement: a list
/// long enough to pass the count cap, without ten thousand upserts.
pub async fn clone_store(app: &TestApp, store: Uuid, copies: i32) {
    sqlx::query(
        "INSERT INTO stores (id, organization_id, details, latitude, longitude, delivery_allowed, pickup_allowed,
                             delivery_radius_km, created_at, updated_at)
         SELECT gen_random_uuid(), organization_id, details, latitude, longitude, delivery_allowed, pickup_allowed,
                delivery_radius_km, created_at, updated_at
         FROM stores, generate_series(1, $2) WHERE id = $1",
    )
    .bind(store)
    .bind(copies)
    .execute(&app.db)
    .await
    .unwrap();
}

/// A backlog for the reaper: `copies` validatedOrderTokens and as many finished Idempotency-Keys,
/// all expired at `expired_at`, copied from rows the API wrote (one of each must exist).
pub async fn seed_expired_backlog(app: &TestApp, copies: i32, expired_at: chrono::DateTime<chrono::Utc>) {
    sqlx::query(
        "INSERT INTO validated_orders (token_hash, organization_id, partner_user_id, store_id, catalog_set_id,
                                       snapshot, total, currency, created_at, expires_at)
         SELECT sha256(convert_to(g::text || gen_random_uuid()::text, 'UTF8')), organization_id, partner_user_id,
                store_id, catalog_set_id, snapshot, total, currency, created_at, $2
         FROM (SELECT * FROM validated_orders LIMIT 1) t, generate_series(1, $1) g",
    )
    .bind(copies)
    .bind(expired_at)
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO idempotency_keys (organization_id, key, fingerprint, recovery_point, order_id, response_body,
                                       outcome, created_at, updated_at, expires_at)
         SELECT organization_id, gen_random_uuid(), fingerprint, recovery_point, order_id, response_body, outcome,
                created_at, updated_at, $2
         FROM (SELECT * FROM idempotency_keys WHERE recovery_point = 'finished' LIMIT 1) k, generate_series(1, $1) g",
    )
    .bind(copies)
    .bind(expired_at)
    .execute(&app.db)
    .await
    .unwrap();
}

/// Migration 0019 on a database that already has partners: each distribution organisation
/// keeps paying with stripe card tokens, and no commerce organisation gains interchange.
#[tokio::test]
async fn partners_from_before_interchange_keep_stripe() {
    let database = crate::helpers::TestDatabase::create().await;
    let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
    let mut files: Vec<_> = std::fs::read_dir("migrations").unwrap().map(|entry| entry.unwrap().path()).collect();
    files.sort();
    let (before, after): (Vec<_>, Vec<_>) =
        files.into_iter().partition(|path| path.file_name().unwrap().to_str().unwrap() < "0019");
    for path in before {
        sqlx::raw_sql(&std::fs::read_to_string(path).unwrap()).execute(&pool).await.unwrap();
    }
    let (app, restaurant) = (Uuid::now_v7(), Uuid::now_v7());
    sqlx::query("INSERT INTO organizations (id, name, kind) VALUES ($1, 'Old App', 'distribution'), ($2, 'Old Grill', 'commerce')")
        .bind(app)
        .bind(restaurant)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::raw_sql(&std::fs::read_to_string(&after[0]).unwrap()).execute(&pool).await.unwrap();
    let enabled: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT organization_id, processor FROM card_interchange").fetch_all(&pool).await.unwrap();
    assert_eq!(enabled, [(app, "stripe".to_string())]);
}

/// Every (table, column) of text or JSON in the public schema holding `needle` in some row
/// (case-insensitively).
pub async fn text_columns_containing(pool: &sqlx::PgPool, needle: &str) -> Vec<(String, String)> {
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
         WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
           AND c.data_type IN ('text', 'character varying', 'json', 'jsonb', 'ARRAY', 'bytea')
         ORDER BY 1, 2",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut found = Vec::new();
    for (table, column) in columns {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM \"{table}\" WHERE \"{column}\"::text ILIKE '%' || $1 || '%')");
        let holds: bool = sqlx::query_scalar(&sql).bind(needle).fetch_one(pool).await.unwrap();
        if holds {
            found.push((table, column));
        }
    }
    found
}

/// A count in any database a test set up itself (a real binary's, with no `Scene`).
pub async fn count_in(pool: &sqlx::PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}
