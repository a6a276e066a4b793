//! The rules every background job queue shares: when a job that failed is tried again, and
//! when it is given up (dead). Webhook deliveries, catalog pulls and onboarding fetches settle
//! their failures here; refund retries and restaurant hand-overs will too. (How a job is
//! claimed and leased is `app::queue`'s; this part is pure.)

use chrono::{DateTime, Duration, Utc};

/// A retry schedule: the delays after each failed attempt, then the last delay repeated, until
/// `attempts` have been made in all.
#[derive(Debug, Clone, PartialEq)]
pub enum Retries {
    /// The given delays after the 1st, 2nd … failure; the last one repeats after that.
    Steps { delays: &'static [Duration], attempts: u32, spread: f64 },
    /// `base`, then twice as long after each further failure.
    Doubling { base: Duration, attempts: u32 },
}

impl Retries {
    /// The delay before the next attempt after `failed_attempts` failures; `None` when the job
    /// is out of attempts (dead). `jitter` in [-1, 1] spreads a `Steps` delay by up to
    /// ±`spread` of itself, so that the retries of one outage do not arrive together.
    pub fn after(&self, failed_attempts: u32, jitter: f64) -> Option<Duration> {
        match *self {
            Retries::Steps { delays, attempts, spread } => {
                if failed_attempts == 0 || failed_attempts >= attempts || delays.is_empty() {
                    return None;
                }
                let index = (failed_attempts as usize - 1).min(delays.len() - 1);
                let base = delays[index].num_milliseconds() as f64;
                let spread = base * spread * jitter.clamp(-1.0, 1.0);
                Some(Duration::milliseconds((base + spread).round() as i64))
            }
            Retries::Doubling { base, attempts } => {
                if failed_attempts == 0 || failed_attempts >= attempts {
                    return None;
                }
                let factor = 2i32.saturating_pow(failed_attempts - 1);
                Some(base.checked_mul(factor).unwrap_or(Duration::MAX))
            }
        }
    }
}

/// Why a run of a job failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// It may pass if tried again: a timeout, a 5xx, a refused connection. `not_before` is
    /// the earliest the other side asked to be tried again (a `Retry-After`), if it did.
    Transient { error: String, not_before: Option<Duration> },
    /// Trying again cannot help: an address we may not call, a document that is not one.
    Permanent { error: String },
}

impl Failure {
    pub fn transient(error: impl Into<String>) -> Self {
        Failure::Transient { error: error.into(), not_before: None }
    }

    pub fn permanent(error: impl Into<String>) -> Self {
        Failure::Permanent { error: error.into() }
    }
}

/// What a queue records for a job whose run failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Settled {
    /// Back in the queue, due at this time.
    RetryAt { at: DateTime<Utc>, error: String },
    /// Given up: the job stays, with why, for the partner to see (and replay where it may).
    Dead { error: String },
}

/// Settles the `attempts`th failed run (counting from 1) of a job on `retries`: tried again
/// after the schedule's delay, or the other side's `not_before` if that is longer, while
/// attempts remain; dead when they have run out or the failure is permanent.
pub fn settle(retries: &Retries, attempts: u32, failure: Failure, now: DateTime<Utc>, jitter: f64) -> Settled {
    match failure {
        Failure::Permanent { error } => Settled::Dead { error },
        Failure::Transient { error, not_before } => match retries.after(attempts, jitter) {
            Some(delay) => Settled::RetryAt { at: now + delay.max(not_before.unwrap_or(Duration::zero())), error },
            None => Settled::Dead { error: format!("{error}; out of attempts") },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const STEPS: &[Duration] = &[Duration::seconds(30), Duration::minutes(2)];

    #[test]
    fn steps_repeat_their_last_delay_until_the_attempts_run_out() {
        let schedule = Retries::Steps { delays: STEPS, attempts: 4, spread: 0.1 };
        assert_eq!(schedule.after(0, 0.0), None, "nothing failed yet");
        assert_eq!(schedule.after(1, 0.0), Some(Duration::seconds(30)));
        assert_eq!(schedule.after(2, 0.0), Some(Duration::minutes(2)));
        assert_eq!(schedule.after(3, 0.0), Some(Duration::minutes(2)));
        assert_eq!(schedule.after(4, 0.0), None, "the 4th attempt was the last");
        assert_eq!(schedule.after(1, 1.0), Some(Duration::seconds(33)));
        assert_eq!(schedule.after(1, -7.0), Some(Duration::seconds(27)));
    }

    #[test]
    fn doubling_doubles() {
        let schedule = Retries::Doubling { base: Duration::seconds(2), attempts: 4 };
        let delays: Vec<_> = (1..=4).map(|n| schedule.after(n, 0.0)).collect();
        assert_eq!(delays, [Some(Duration::seconds(2)), Some(Duration::seconds(4)), Some(Duration::seconds(8)), None]);
    }

    #[test]
    fn a_failure_is_retried_while_attempts_remain_then_dead() {
        let retries = Retries::Doubling { base: Duration::seconds(2), attempts: 3 };
        let now = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(
            settle(&retries, 1, Failure::transient("timed out"), now, 0.0),
            Settled::RetryAt { at: now + Duration::seconds(2), error: "timed out".into() }
        );
        assert_eq!(
            settle(&retries, 3, Failure::transient("timed out"), now, 0.0),
            Settled::Dead { error: "timed out; out of attempts".into() }
        );
        assert_eq!(
            settle(&retries, 1, Failure::permanent("private address"), now, 0.0),
            Settled::Dead { error: "private address".into() },
            "a permanent failure is not retried even with attempts left"
        );
    }

    #[test]
    fn the_other_side_may_ask_for_a_longer_wait_never_a_shorter_one() {
        let retries = Retries::Doubling { base: Duration::seconds(30), attempts: 3 };
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let asked = |seconds| Failure::Transient { error: "503".into(), not_before: Some(Duration::seconds(seconds)) };
        let at = |settled| match settled {
            Settled::RetryAt { at, .. } => at - now,
            Settled::Dead { .. } => panic!("attempts remain"),
        };
        assert_eq!(at(settle(&retries, 1, asked(120), now, 0.0)), Duration::seconds(120));
        assert_eq!(at(settle(&retries, 1, asked(5), now, 0.0)), Duration::seconds(30));
    }

    proptest! {
        #[test]
        fn a_delay_is_positive_and_never_shrinks_with_more_failures(n in 1u32..200, jitter in -1.0f64..1.0) {
            let doubling = Retries::Doubling { base: Duration::seconds(2), attempts: 200 };
            if let (Some(now), Some(next)) = (doubling.after(n, 0.0), doubling.after(n + 1, 0.0)) {
                prop_assert!(now > Duration::zero() && next >= now);
            }
            let steps = Retries::Steps { delays: STEPS, attempts: 200, spread: 0.1 };
            if let Some(delay) = steps.after(n, jitter) {
                prop_assert!(delay >= Duration::seconds(27) && delay <= Duration::seconds(132));
            }
        }
    }
}
