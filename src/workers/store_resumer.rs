//! Records the end of pauses whose `resumeAt` has passed (see `app::stores::resume_due`).

use super::runner;
use crate::app::stores;
use crate::state::AppState;
use std::time::Duration;

pub async fn run(state: AppState) {
    runner::every(
        state,
        "store resumer",
        Duration::from_secs(5),
        |state| async move { stores::resume_due(&state).await },
    )
    .await;
}
