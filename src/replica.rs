//! Which server answers a read: the primary, or the streaming replica of `DATABASE_READ_URL`.
//!
//! A use case asks for one of two kinds of read:
//! - **relaxed**, for what may be a little behind — discovery, a store or a menu as partners
//!   browse them: the replica while it answers and lags by no more than
//!   `MARKETFRONT_REPLICA_MAX_LAG_MS`, otherwise the primary.
//! - **causal**, for what must show every commit made before the read began — a partner's own
//!   orders, which it may have placed a moment ago on any instance: the primary is asked where
//!   its log is (no table is read), and the replica answers only once it has replayed that far;
//!   otherwise the primary answers.
//!
//! Everything else reads the primary, as it did before replicas: validate's cache fill, place,
//! status changes, a commerce partner reading back what it just wrote. So a stale replica can
//! make discovery show a paused store as open for a moment, but never make validate price it.
//!
//! Lag is measured on the primary's log, not on a clock of the replica: the watcher
//! (`workers::replica_watch`) notes the primary's position with the time, and the replica lags
//! by how long ago the oldest position it has not replayed yet was noted.

use crate::clock::Clock;
use crate::db;
use crate::metrics::{REPLICA_LAG_SECONDS, ROUTED_READS};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Positions noted and not yet replayed are kept up to this many; past it the newest are not
/// noted (the oldest, which the lag is measured by, stay).
const MAX_NOTED: usize = 10_000;

pub struct Reads {
    primary: PgPool,
    replica: Option<Replica>,
}

struct Replica {
    pool: PgPool,
    /// The time the lag is measured in (the service's clock, so tests can move it).
    clock: Arc<dyn Clock>,
    max_lag: Duration,
    watch: Mutex<Watch>,
}

/// What the watcher knows of the replica.
#[derive(Debug, Default)]
pub struct Watch {
    /// The primary's positions, oldest first, with when each was noted; replayed ones are gone.
    noted: VecDeque<(DateTime<Utc>, i64)>,
    /// How far the replica had replayed when last asked.
    replayed: i64,
    /// The primary's position once this process had migrated it: a replica short of it may
    /// lack tables or columns this code reads, so it is not read, whatever its lag.
    schema: i64,
    /// Whether the last question reached it, and it is a standby (a server that is not one
    /// could hold anything, so it is never read).
    reachable: bool,
    lag: Duration,
    /// The replica's last answer, so that a lasting condition is logged once.
    last: Option<Replayed>,
}

/// The replica's answer to "how far have you replayed?"
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replayed {
    Up(i64),
    NotAStandby,
    Unreachable,
}

impl Watch {
    /// Takes in one look at both servers at `now`: the primary's position (if it answered)
    /// and the replica's.
    pub fn observe(&mut self, now: DateTime<Utc>, primary: Option<i64>, replica: Replayed) {
        if let Some(position) = primary {
            self.note(now, position);
        }
        self.last = Some(replica);
        match replica {
            Replayed::Up(position) => {
                self.reachable = true;
                self.replayed_up_to(position);
            }
            Replayed::NotAStandby | Replayed::Unreachable => self.reachable = false,
        }
        self.lag = self.noted.front().map_or(Duration::ZERO, |&(at, _)| (now - at).to_std().unwrap_or_default());
    }

    /// The primary was at `position` at `now`.
    fn note(&mut self, now: DateTime<Utc>, position: i64) {
        let newer = self.noted.back().is_none_or(|&(_, last)| position > last);
        if newer && position > self.replayed && self.noted.len() < MAX_NOTED {
            self.noted.push_back((now, position));
        }
    }

    /// The replica has replayed at least to `position`.
    fn replayed_up_to(&mut self, position: i64) {
        self.replayed = self.replayed.max(position);
        while self.noted.front().is_some_and(|&(_, noted)| noted <= self.replayed) {
            self.noted.pop_front();
        }
    }

    pub fn usable(&self, max_lag: Duration) -> bool {
        self.reachable && self.replayed >= self.schema && self.lag <= max_lag
    }

    pub fn lag(&self) -> Duration {
        self.lag
    }
}

impl Reads {
    /// Reads from the primary alone.
    pub fn primary_only(primary: PgPool) -> Self {
        Reads { primary, replica: None }
    }

    /// Reads routed between `primary` and `replica`, whose schema is the primary's at log
    /// position `schema`. The replica is not read until the watcher has seen it answer as a
    /// standby that has replayed that far.
    pub fn with_replica(
        primary: PgPool,
        replica: PgPool,
        clock: Arc<dyn Clock>,
        max_lag: Duration,
        schema: i64,
    ) -> Self {
        let watch = Watch { schema, ..Watch::default() };
        let replica = Replica { pool: replica, clock, max_lag, watch: Mutex::new(watch) };
        Reads { primary, replica: Some(replica) }
    }

    pub fn has_replica(&self) -> bool {
        self.replica.is_some()
    }

    /// A server for a read that may be a little behind.
    pub fn relaxed(&self) -> &PgPool {
        let Some(replica) = &self.replica else { return &self.primary };
        let usable = replica.watch().usable(replica.max_lag);
        counted("relaxed", if usable { &replica.pool } else { &self.primary }, usable)
    }

    /// A server for a read that must show every commit made before it began.
    pub async fn causal(&self) -> sqlx::Result<&PgPool> {
        let Some(replica) = &self.replica else { return Ok(&self.primary) };
        if !replica.watch().usable(replica.max_lag) {
            return Ok(counted("causal", &self.primary, false));
        }
        let needed = db::replica::wal_position(&self.primary).await?;
        // Each position asked for is one more the lag can be measured from.
        replica.watch().note(replica.clock.now(), needed);
        if replica.watch().replayed >= needed {
            return Ok(counted("causal", &replica.pool, true));
        }
        let caught_up = match db::replica::replayed_position(&replica.pool).await {
            Ok(Some(position)) => {
                replica.watch().replayed_up_to(position);
                position >= needed
            }
            Ok(None) | Err(_) => false,
        };
        Ok(if caught_up { counted("causal", &replica.pool, true) } else { counted("causal", &self.primary, false) })
    }

    /// One look at both servers: what the watcher runs. Returns whether the replica may be
    /// read now (`None` without a replica).
    pub async fn observe(&self) -> Option<bool> {
        let replica = self.replica.as_ref()?;
        let primary = db::replica::wal_position(&self.primary).await.ok();
        let replayed = match db::replica::replayed_position(&replica.pool).await {
            Ok(Some(position)) => Replayed::Up(position),
            Ok(None) => Replayed::NotAStandby,
            Err(_) => Replayed::Unreachable,
        };
        let mut watch = replica.watch();
        let was = watch.last;
        watch.observe(replica.clock.now(), primary, replayed);
        metrics::gauge!(REPLICA_LAG_SECONDS).set(watch.lag().as_secs_f64());
        if replayed == Replayed::NotAStandby && was != Some(Replayed::NotAStandby) {
            tracing::error!("DATABASE_READ_URL is not a standby of the primary: it is not read");
        }
        Some(watch.usable(replica.max_lag))
    }
}

impl Replica {
    fn watch(&self) -> std::sync::MutexGuard<'_, Watch> {
        self.watch.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn counted<'p>(kind: &'static str, pool: &'p PgPool, replica: bool) -> &'p PgPool {
    metrics::counter!(ROUTED_READS, "kind" => kind, "server" => if replica { "replica" } else { "primary" })
        .increment(1);
    pool
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(second: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, second).unwrap()
    }

    const MAX_LAG: Duration = Duration::from_secs(5);

    #[test]
    fn a_replica_is_not_read_before_it_has_answered() {
        assert!(!Watch::default().usable(MAX_LAG));
    }

    #[test]
    fn lag_is_the_age_of_the_oldest_position_not_replayed() {
        let mut watch = Watch::default();
        watch.observe(at(0), Some(100), Replayed::Up(100));
        assert_eq!((watch.lag(), watch.usable(MAX_LAG)), (Duration::ZERO, true));
        // The primary moves on; the replica stops replaying.
        watch.observe(at(1), Some(200), Replayed::Up(100));
        watch.observe(at(3), Some(300), Replayed::Up(100));
        assert_eq!(watch.lag(), Duration::from_secs(2));
        watch.observe(at(7), Some(300), Replayed::Up(100));
        assert_eq!(watch.lag(), Duration::from_secs(6));
        assert!(!watch.usable(MAX_LAG), "behind by more than the bound");
        // It replays what was written at 1 s: now 3 s is the oldest it lacks.
        watch.observe(at(7), None, Replayed::Up(250));
        assert_eq!(watch.lag(), Duration::from_secs(4));
        assert!(watch.usable(MAX_LAG));
        watch.observe(at(8), Some(300), Replayed::Up(300));
        assert_eq!(watch.lag(), Duration::ZERO);
    }

    #[test]
    fn an_idle_primary_adds_no_lag() {
        let mut watch = Watch::default();
        for second in 0..30 {
            watch.observe(at(second), Some(500), Replayed::Up(500));
        }
        assert_eq!(watch.lag(), Duration::ZERO);
    }

    #[test]
    fn an_unreachable_replica_or_a_primary_in_its_place_is_not_read() {
        let mut watch = Watch::default();
        watch.observe(at(0), Some(1), Replayed::Up(1));
        watch.observe(at(1), Some(1), Replayed::Unreachable);
        assert!(!watch.usable(MAX_LAG));
        watch.observe(at(2), Some(1), Replayed::Up(1));
        assert!(watch.usable(MAX_LAG), "back once it answers");
        watch.observe(at(3), Some(1), Replayed::NotAStandby);
        assert!(!watch.usable(MAX_LAG));
    }

    #[test]
    fn a_replica_short_of_the_schema_is_not_read() {
        let mut watch = Watch { schema: 1_000, ..Watch::default() };
        watch.observe(at(0), Some(1_000), Replayed::Up(900));
        assert_eq!(watch.lag(), Duration::ZERO, "just behind");
        assert!(!watch.usable(MAX_LAG), "but without the tables this code reads");
        watch.observe(at(0), Some(1_000), Replayed::Up(1_000));
        assert!(watch.usable(MAX_LAG));
    }

    #[test]
    fn a_replica_never_goes_back() {
        let mut watch = Watch::default();
        watch.observe(at(0), Some(100), Replayed::Up(100));
        watch.observe(at(1), Some(200), Replayed::Up(50));
        assert_eq!(watch.replayed, 100);
    }

    #[test]
    fn the_positions_noted_stay_bounded_and_the_oldest_still_measures_the_lag() {
        let mut watch = Watch::default();
        for n in 0..(MAX_NOTED as i64 + 50) {
            watch.observe(at(0) + chrono::Duration::milliseconds(n), Some(n + 1), Replayed::Up(0));
        }
        assert_eq!(watch.noted.len(), MAX_NOTED);
        assert_eq!(watch.noted.front().unwrap().1, 1);
    }
}
