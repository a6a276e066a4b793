//! The store layer: every SQL statement of the service lives under this module.

pub mod addresses;
pub mod catalogs;
pub mod discovery;
pub mod idempotency;
pub mod ingestions;
pub mod interchange;
pub mod item_availability;
pub mod keys;
pub mod mcp_sessions;
pub mod onboardings;
pub mod orders;
pub mod payment_methods;
pub mod replica;
pub mod sandbox_ledger;
pub mod sessions;
pub mod stores;
pub mod token_writer;
pub mod tokens;
pub mod webhooks;

use sqlx::migrate::{MigrateDatabase, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};
use std::str::FromStr;
use std::time::Duration;

pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Creates the database if it is missing (two instances racing to create it is fine).
pub async fn create_database_if_missing(url: &str) -> anyhow::Result<()> {
    if !Postgres::database_exists(url).await?
        && let Err(error) = Postgres::create_database(url).await
    {
        let raced = matches!(&error, sqlx::Error::Database(db) if db.code().as_deref() == Some("42P04"));
        if !raced && !Postgres::database_exists(url).await? {
            return Err(error.into());
        }
    }
    Ok(())
}

/// What every connection of ours runs with: no JIT compilation. Our statements are short and
/// indexed, but a generic plan's cost estimate can pass `jit_above_cost`, and then compiling
/// costs far more than the query (BENCHMARKS.md, discovery at a city's scale).
fn ours(url: &str, application: &str) -> anyhow::Result<PgConnectOptions> {
    Ok(PgConnectOptions::from_str(url)?.application_name(application).options([("jit", "off")]))
}

pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    pool(ours(url, "marketfront")?, max_connections).await
}

/// A pool whose commits do not wait for the disk flush (`synchronous_commit = off`): for writes
/// whose loss in a crash is harmless and cheap to redo, such as validatedOrderTokens.
pub async fn connect_relaxed(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    let options = ours(url, "marketfront-relaxed")?.options([("synchronous_commit", "off")]);
    pool(options, max_connections).await
}

/// A pool on a streaming replica (`DATABASE_READ_URL`): read-only, and connected on first use,
/// so that a replica that is down delays neither start-up nor, beyond a short wait, any read
/// (the routing in `crate::replica` falls back to the primary).
pub fn connect_replica(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    let options = ours(url, "marketfront-replica")?.options([("default_transaction_read_only", "on")]);
    Ok(PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(1))
        .connect_lazy_with(options))
}

async fn pool(options: PgConnectOptions, max_connections: u32) -> anyhow::Result<PgPool> {
    Ok(PgPoolOptions::new()
        .max_connections(max_connections)
        // Fail fast when the database is down so callers get a 503, not a hung request.
        .acquire_timeout(Duration::from_secs(3))
        .connect_with(options)
        .await?)
}

/// Creates, connects and migrates: what `serve`, `migrate` and `demo` all start with.
pub async fn prepare(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    create_database_if_missing(url).await?;
    let pool = connect(url, max_connections).await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

pub async fn ping(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT 1 AS one").fetch_one(pool).await.map(|_| ())
}
