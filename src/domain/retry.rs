//! When a background job that failed is tried again, and when it is given up (dead). One
//! schedule type for every queue: webhook deliveries, catalog pulls and onboarding fetches now,
//! refund retries and restaurant hand-overs next.

use chrono::Duration;

/// A retry schedule: the delays after each failed attempt, then the last delay repeated, until
/// `attempts` have been made in all.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// The given delays after the 1st, 2nd … failure; the last one repeats after that.
    Steps { delays: &'static [Duration], attempts: u32, spread: f64 },
    /// `base`, then twice as long after each further failure.
    Doubling { base: Duration, attempts: u32 },
}

impl Schedule {
    /// The delay before the next attempt after `failed_attempts` failures; `None` when the job
    /// is out of attempts (dead). `jitter` in [-1, 1] spreads a `Steps` delay by up to
    /// ±`spread` of itself, so that the retries of one outage do not arrive together.
    pub fn after(&self, failed_attempts: u32, jitter: f64) -> Option<Duration> {
        match *self {
            Schedule::Steps { delays, attempts, spread } => {
                if failed_attempts == 0 || failed_attempts >= attempts || delays.is_empty() {
                    return None;
                }
                let index = (failed_attempts as usize - 1).min(delays.len() - 1);
                let base = delays[index].num_milliseconds() as f64;
                let spread = base * spread * jitter.clamp(-1.0, 1.0);
                Some(Duration::milliseconds((base + spread).round() as i64))
            }
            Schedule::Doubling { base, attempts } => {
                if failed_attempts == 0 || failed_attempts >= attempts {
                    return None;
                }
                let factor = 2i32.saturating_pow(failed_attempts - 1);
                Some(base.checked_mul(factor).unwrap_or(Duration::MAX))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const STEPS: &[Duration] = &[Duration::seconds(30), Duration::minutes(2)];

    #[test]
    fn steps_repeat_their_last_delay_until_the_attempts_run_out() {
        let schedule = Schedule::Steps { delays: STEPS, attempts: 4, spread: 0.1 };
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
        let schedule = Schedule::Doubling { base: Duration::seconds(2), attempts: 4 };
        let delays: Vec<_> = (1..=4).map(|n| schedule.after(n, 0.0)).collect();
        assert_eq!(delays, [Some(Duration::seconds(2)), Some(Duration::seconds(4)), Some(Duration::seconds(8)), None]);
    }

    proptest! {
        #[test]
        fn a_delay_is_positive_and_never_shrinks_with_more_failures(n in 1u32..200, jitter in -1.0f64..1.0) {
            let doubling = Schedule::Doubling { base: Duration::seconds(2), attempts: 200 };
            if let (Some(now), Some(next)) = (doubling.after(n, 0.0), doubling.after(n + 1, 0.0)) {
                prop_assert!(now > Duration::zero() && next >= now);
            }
            let steps = Schedule::Steps { delays: STEPS, attempts: 200, spread: 0.1 };
            if let Some(delay) = steps.after(n, jitter) {
                prop_assert!(delay >= Duration::seconds(27) && delay <= Duration::seconds(132));
            }
        }
    }
}
