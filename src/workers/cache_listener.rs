//! Listens for store, catalog, key and session changes announced by any instance and evicts
//! them from this instance's cache.

use crate::state::AppState;
use sqlx::postgres::PgListener;
use std::time::Duration;

pub const STORE_CHANNEL: &str = "marketfront_store_changed";
pub const KEYS_CHANNEL: &str = "marketfront_keys_changed";
pub const SESSIONS_CHANNEL: &str = "marketfront_session_changed";

pub async fn run(state: AppState) {
    loop {
        match listen(&state).await {
            Ok(()) => {}
            Err(error) => tracing::warn!(%error, "cache listener: reconnecting"),
        }
        // Whatever happens while not listening is unknown: read through until subscribed again.
        state.cache.set_listening(false);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn listen(state: &AppState) -> sqlx::Result<()> {
    let mut listener = PgListener::connect_with(&state.db).await?;
    listener.listen_all([STORE_CHANNEL, KEYS_CHANNEL, SESSIONS_CHANNEL]).await?;
    // From here on every change is heard; this also drops whatever was cached before.
    state.cache.set_listening(true);
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) if notification.channel() == KEYS_CHANNEL => state.cache.invalidate_keys(),
            Ok(Some(notification)) if notification.channel() == SESSIONS_CHANNEL => {
                match notification.payload().parse() {
                    Ok(session_id) => state.cache.invalidate_session(session_id),
                    Err(_) => state.cache.clear(),
                }
            }
            Ok(Some(notification)) => match notification.payload().parse() {
                Ok(store_id) => state.cache.invalidate_store(store_id),
                Err(_) => state.cache.clear(),
            },
            // The connection was lost: announcements may have been missed.
            Ok(None) => break Ok(()),
            Err(error) => break Err(error),
        }
    }
}
