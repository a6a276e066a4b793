//! Keeps the read routing's picture of the replica current (see `crate::replica`): how far it
//! has replayed, how far behind that is, whether it answers. Runs only where a replica is
//! configured.

use crate::state::AppState;
use std::time::Duration;

/// Often enough that a replica which stopped replaying is left within a fraction of a second
/// past the lag bound, rare enough to cost the primary nothing.
const INTERVAL: Duration = Duration::from_millis(200);

pub async fn run(state: AppState) {
    if !state.reads.has_replica() {
        return;
    }
    let mut tick = tokio::time::interval(INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut was_usable = None;
    loop {
        tick.tick().await;
        let usable = state.reads.observe().await;
        if usable != was_usable {
            match usable {
                Some(true) => tracing::info!("reading from the replica"),
                _ => tracing::warn!("the replica is behind or unreachable: reading from the primary"),
            }
            was_usable = usable;
        }
    }
}
