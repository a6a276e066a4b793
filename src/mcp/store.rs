//! rmcp's session store, in Postgres: the client's `initialize` is kept with the conversation,
//! so that an instance that has never seen the session restores it (rmcp replays the
//! handshake) instead of answering 404. The row's owner and cart are the gate's and the
//! tools' business; this only keeps the handshake.

use crate::app::conversations;
use crate::state::AppState;
use rmcp::transport::streamable_http_server::session::{SessionState, SessionStore, SessionStoreError};

pub struct PostgresSessions {
    pub state: AppState,
}

#[async_trait::async_trait]
impl SessionStore for PostgresSessions {
    async fn load(&self, session_id: &str) -> Result<Option<SessionState>, SessionStoreError> {
        let Some(params) = conversations::handshake(&self.state, session_id).await? else { return Ok(None) };
        Ok(Some(SessionState::new(serde_json::from_value(params)?)))
    }

    async fn store(&self, session_id: &str, state: &SessionState) -> Result<(), SessionStoreError> {
        let params = serde_json::to_value(&state.initialize_params)?;
        Ok(conversations::save_handshake(&self.state, session_id, &params).await?)
    }

    async fn delete(&self, session_id: &str) -> Result<(), SessionStoreError> {
        Ok(conversations::end(&self.state, session_id).await?)
    }
}
