//! Prometheus metrics: one recorder per process, rendered at `/metrics`. The names are listed
//! here so that a dashboard and the code agree on them.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

/// Requests by `method`, `route` (the route's pattern, not the raw path) and `status`.
pub const REQUESTS: &str = "http_requests_total";
/// Request latency by `method` and `route`, in seconds.
pub const REQUEST_SECONDS: &str = "http_request_duration_seconds";
/// Place answers replayed from their Idempotency-Key.
pub const IDEMPOTENT_REPLAYS: &str = "idempotent_replays_total";
/// Place requests refused by their key, by `code` (in use, reused, already placed).
pub const IDEMPOTENCY_CONFLICTS: &str = "idempotency_conflicts_total";
pub const ORDERS_PLACED: &str = "orders_placed_total";
/// Authorisation outcomes by `outcome` (approved, declined, failed).
pub const PAYMENTS: &str = "payment_authorizations_total";
/// Webhook delivery attempts by `outcome` (delivered, retry, dead).
pub const WEBHOOK_ATTEMPTS: &str = "webhook_delivery_attempts_total";
/// Deliveries waiting to be made.
pub const OUTBOX_BACKLOG: &str = "webhook_deliveries_pending";
/// Reads routed between primary and replica, by `kind` (relaxed, causal) and `server`
/// (replica, primary): counted only where a replica is configured (`DATABASE_READ_URL`).
pub const ROUTED_READS: &str = "database_reads_total";
/// How far the replica is behind, in seconds since the oldest primary position it lacks.
pub const REPLICA_LAG_SECONDS: &str = "database_replica_lag_seconds";
/// Database connections: `state` open or idle.
pub const DB_CONNECTIONS: &str = "db_pool_connections";

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use (every instance in a test process shares it).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];
        let handle = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(REQUEST_SECONDS.into()), &buckets)
            .expect("bucket bounds are valid")
            .install_recorder()
            .expect("the only metrics recorder of the process");
        // The recorder keeps raw histogram samples until they are folded into buckets; without
        // a scraper that would grow with every request, so fold them regularly.
        let upkeep = handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(std::time::Duration::from_secs(5));
                    upkeep.run_upkeep();
                }
            })
            .expect("start the metrics upkeep thread");
        handle
    })
}
