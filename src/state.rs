//! What every handler and worker shares.

use crate::cache::CatalogCache;
use crate::clock::Clock;
use crate::config::Config;
use crate::db;
use crate::db::token_writer::TokenWriter;
use crate::payments::PaymentGateway;
use crate::payments::sandbox::SandboxProcessor;
use crate::replica::Reads;
use sqlx::PgPool;
use std::sync::Arc;
use tokio::sync::Notify;

/// Cheap to clone (one reference count), as axum clones it for every request.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    /// The primary: every write, and every read not routed by `reads`.
    pub db: PgPool,
    /// Where the reads that may go to a replica go (see `crate::replica`).
    pub reads: Arc<Reads>,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    /// Wakes the catalog-pull worker when a notification arrives, instead of waiting for its poll.
    pub pull_wakeup: Arc<Notify>,
    pub cache: Arc<CatalogCache>,
    pub tokens: TokenWriter,
    pub payments: Arc<dyn PaymentGateway>,
    /// HTTP clients for webhook deliveries, kept per destination.
    pub outbound: Arc<crate::outbound::Clients>,
    pub rate_limits: Arc<crate::auth::budget::RateLimits>,
    /// Seals webhook secrets and card tokens at rest.
    pub secrets: Arc<crate::secret_box::SecretBox>,
}

impl AppState {
    /// Prepares the database (create if missing, migrate) and opens the pools. `crate::start`
    /// also runs the startup use cases; this is the wiring alone.
    pub async fn connect(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let cache_bytes = config.cache_bytes;
        let pool = db::prepare(&config.database_url, config.database_max_connections).await?;
        // The token writer writes one batch at a time (see `token_writer`).
        let token_pool = db::connect_relaxed(&config.database_url, 1).await?;
        let reads = match &config.database_read_url {
            Some(url) => Reads::with_replica(
                pool.clone(),
                db::connect_replica(url, config.database_max_connections)?,
                clock.clone(),
                config.replica_max_lag,
                db::replica::wal_position(&pool).await?,
            ),
            None => Reads::primary_only(pool.clone()),
        };
        let secrets = Arc::new(crate::secret_box::SecretBox::new(&config.encryption_keys));
        let rate_limits = Arc::new(crate::auth::budget::RateLimits::new(
            config.rate_limit_reads_per_minute,
            config.rate_limit_writes_per_minute,
            config.auth_lookups_per_minute,
            clock.clone(),
        ));
        Ok(AppState(Arc::new(Shared {
            db: pool.clone(),
            reads: Arc::new(reads),
            config: Arc::new(config),
            clock,
            pull_wakeup: Arc::new(Notify::new()),
            cache: Arc::new(CatalogCache::new(cache_bytes)),
            tokens: TokenWriter::spawn(token_pool),
            payments: Arc::new(SandboxProcessor::new(pool)),
            outbound: Arc::new(crate::outbound::Clients::default()),
            rate_limits,
            secrets,
        })))
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}
