//! Request budgets per organisation: reads and writes counted separately (GCRA, by governor),
//! so a partner hammering discovery cannot starve its own order placement.
//!
//! The budgets live in each instance's memory: behind a load balancer spreading one partner
//! over N instances, a partner can reach up to N times the budget. That keeps the hot path free
//! of database writes; it is recorded as a decision in the README.

use governor::clock::Clock as _;
use governor::middleware::{NoOpMiddleware, StateInformationMiddleware};
use governor::nanos::Nanos;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use uuid::Uuid;

/// The service's clock (`crate::clock`), as governor reads time: budgets refill by the same
/// "now" as everything else, so tests drive them with the test clock rather than the wall.
/// It never runs backwards: a clock stepped back holds still until it catches up, so a step
/// back neither refuses everyone nor grants more.
#[derive(Clone)]
pub struct ServiceClock {
    clock: Arc<dyn crate::clock::Clock>,
    latest: Arc<AtomicU64>,
}

impl ServiceClock {
    fn new(clock: Arc<dyn crate::clock::Clock>) -> Self {
        ServiceClock { clock, latest: Arc::new(AtomicU64::new(0)) }
    }
}

impl governor::clock::Clock for ServiceClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        let nanos = u64::try_from(self.clock.now().timestamp_nanos_opt().unwrap_or(0)).unwrap_or(0);
        let before = self.latest.fetch_max(nanos, Ordering::AcqRel);
        Nanos::new(before.max(nanos))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    Read,
    Write,
}

/// What a request learns about its organisation's budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the budget is full again.
    pub reset_seconds: u64,
    /// Seconds until one more request is allowed (refusals only).
    pub retry_after: u64,
}

type Limiter = RateLimiter<Uuid, DefaultKeyedStateStore<Uuid>, ServiceClock, StateInformationMiddleware>;
type LookupLimiter = RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, ServiceClock, NoOpMiddleware<Nanos>>;

pub struct RateLimits {
    reads: Limiter,
    writes: Limiter,
    /// Per client address: authentications the cache cannot answer (see `check_lookup`).
    lookups: LookupLimiter,
    read_limit: u32,
    write_limit: u32,
    clock: ServiceClock,
}

fn limiter(per_minute: NonZeroU32, clock: &ServiceClock) -> Limiter {
    let plain: RateLimiter<Uuid, DefaultKeyedStateStore<Uuid>, ServiceClock, NoOpMiddleware<Nanos>> =
        RateLimiter::new(Quota::per_minute(per_minute), DefaultKeyedStateStore::default(), clock.clone());
    plain.with_middleware::<StateInformationMiddleware>()
}

impl RateLimits {
    pub fn new(
        reads_per_minute: u32,
        writes_per_minute: u32,
        lookups_per_minute: u32,
        clock: Arc<dyn crate::clock::Clock>,
    ) -> Self {
        let clock = ServiceClock::new(clock);
        let reads = NonZeroU32::new(reads_per_minute).unwrap_or(NonZeroU32::MIN);
        let writes = NonZeroU32::new(writes_per_minute).unwrap_or(NonZeroU32::MIN);
        let lookups = NonZeroU32::new(lookups_per_minute).unwrap_or(NonZeroU32::MIN);
        RateLimits {
            reads: limiter(reads, &clock),
            writes: limiter(writes, &clock),
            lookups: RateLimiter::new(Quota::per_minute(lookups), DefaultKeyedStateStore::default(), clock.clone()),
            read_limit: reads.get(),
            write_limit: writes.get(),
            clock,
        }
    }

    /// Takes one from `client`'s budget of authentications that cost a database lookup or
    /// failed (an unknown, revoked or expired key; a bad session): guessing keys from one
    /// address is slowed to that budget, and costs the database nothing once it is spent. A
    /// known good key is answered from the cache and spends nothing. `Err(seconds)` to wait.
    pub fn check_lookup(&self, client: IpAddr) -> Result<(), u64> {
        self.lookups.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        })
    }

    /// Forgets budgets that are full again, so the maps hold only recent callers.
    pub fn forget_idle(&self) {
        self.reads.retain_recent();
        self.writes.retain_recent();
        self.lookups.retain_recent();
    }

    /// Takes one request from `organization`'s budget, if there is one left.
    pub fn check(&self, organization: Uuid, budget: Budget) -> Verdict {
        let (limiter, limit) = match budget {
            Budget::Read => (&self.reads, self.read_limit),
            Budget::Write => (&self.writes, self.write_limit),
        };
        // One request's share of the minute, for the time until the budget is full again.
        let refill = |missing: u32| (u64::from(missing) * 60).div_ceil(u64::from(limit));
        match limiter.check_key(&organization) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                Verdict { allowed: true, limit, remaining, reset_seconds: refill(limit - remaining), retry_after: 0 }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                Verdict {
                    allowed: false,
                    limit,
                    remaining: 0,
                    reset_seconds: refill(limit),
                    retry_after: retry_after.max(1),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_are_separate_budgets_per_organisation() {
        let limits = RateLimits::new(3, 2, 1, Arc::new(crate::clock::SystemClock));
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(limits.check(a, Budget::Write).remaining, 1);
        assert!(limits.check(a, Budget::Write).allowed);
        let refused = limits.check(a, Budget::Write);
        assert!(!refused.allowed);
        assert!((1..=30).contains(&refused.retry_after), "{refused:?}");
        assert!(limits.check(a, Budget::Read).allowed, "reads are counted apart");
        assert!(limits.check(b, Budget::Write).allowed, "another organisation has its own budget");
        let read = limits.check(b, Budget::Read);
        assert_eq!((read.limit, read.remaining, read.reset_seconds), (3, 2, 20));
    }

    #[test]
    fn budgets_follow_the_service_clock_and_a_step_back_holds_it_still() {
        use chrono::TimeZone;
        let start = chrono::Utc.with_ymd_and_hms(2026, 11, 23, 17, 0, 0).unwrap();
        let clock = crate::clock::ManualClock::new(start);
        let limits = RateLimits::new(1, 1, 1, Arc::new(clock.clone()));
        let org = Uuid::new_v4();
        assert!(limits.check(org, Budget::Read).allowed);
        assert_eq!(limits.check(org, Budget::Read).retry_after, 60, "exact: the clock stands still");
        clock.set(start - chrono::Duration::hours(5));
        assert_eq!(limits.check(org, Budget::Read).retry_after, 60, "a step back is not a long wait");
        clock.set(start + chrono::Duration::seconds(60));
        assert!(limits.check(org, Budget::Read).allowed, "a minute later, one more");
    }

    #[test]
    fn lookups_are_budgeted_per_client_address() {
        let limits = RateLimits::new(10, 10, 2, Arc::new(crate::clock::SystemClock));
        let (one, two): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        assert!(limits.check_lookup(one).is_ok() && limits.check_lookup(one).is_ok());
        let wait = limits.check_lookup(one).unwrap_err();
        assert!((1..=30).contains(&wait), "{wait}");
        assert!(limits.check_lookup(two).is_ok(), "another address has its own budget");
        limits.forget_idle();
    }
}
