//! SDK sessions: a distribution partner mints one for a user (or an anonymous one), and ends it
//! when it wants; either takes effect on every instance at once.

use crate::app::error::{AppError, AppResult};
use crate::auth::{Caller, sessions};
use crate::db;
use crate::domain::error_code::ErrorCode;
use crate::domain::session::SessionRequest;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A session just minted.
#[derive(Debug)]
pub struct Created {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub session_id: Uuid,
    pub partner_user_id: String,
}

fn partner_key_only(caller: &Caller) -> AppResult<()> {
    if caller.session.is_some() {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            "A session cannot manage sessions; use the partner's API key.",
        ));
    }
    Ok(())
}

/// Checks the request (every problem at once: 400 INVALID_REQUEST), writes the session's row,
/// then signs its token: a token is never handed out for a row that does not exist.
pub async fn create(state: &AppState, caller: &Caller, request: SessionRequest) -> AppResult<Created> {
    partner_key_only(caller)?;
    let session_id = Uuid::now_v7();
    let checked = request.check(Uuid::new_v4()).map_err(|problems| {
        AppError::new(ErrorCode::InvalidRequest, "The session request has problems.").with_errors(problems)
    })?;
    let now = state.now();
    let row = db::sessions::NewSessionRow {
        id: session_id,
        organization_id: caller.organization_id,
        partner_user_id: &checked.user.partner_user_id,
        has_user: checked.user.has_user(),
        created_at: now,
        expires_at: now + checked.lifetime,
    };
    db::sessions::insert(&state.db, &row).await?;
    let (token, expires_at) = sessions::mint(
        &state.config.jwt_secret,
        caller.organization_id,
        session_id,
        &checked.user,
        now,
        checked.lifetime,
    );
    Ok(Created { token, expires_at, session_id, partner_user_id: checked.user.partner_user_id })
}

/// Ends one of the partner's sessions. Revoking one already revoked changes nothing; another
/// partner's session, or none, is 404 NOT_FOUND.
pub async fn revoke(state: &AppState, caller: &Caller, session_id: Uuid) -> AppResult<()> {
    partner_key_only(caller)?;
    if !db::sessions::revoke(&state.db, caller.organization_id, session_id, state.now()).await? {
        return Err(AppError::new(ErrorCode::NotFound, format!("Your organisation has no session {session_id}.")));
    }
    // Every instance hears the revocation (a trigger announces it); this one need not wait.
    state.cache.invalidate_session(session_id);
    Ok(())
}
