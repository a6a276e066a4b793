//! Records the end of pauses whose `resumeAt` has passed. Readers already treat such a store as
//! online (see `PauseState::effective`); this makes the stored row agree, and bumps its version.

use crate::db::stores;
use crate::state::AppState;
use std::time::Duration;

pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tick.tick().await;
        match stores::resume_due(&state.db, state.now()).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "paused stores resumed"),
            Err(error) => tracing::warn!(%error, "store resumer: will try again"),
        }
    }
}
