//! Identity: who is calling and what they may spend. Every door (the HTTP extractors, the MCP
//! server) authenticates through here: API keys (`api_keys`: hashing and lookup, cached),
//! session JWTs (`sessions`), and the per-organisation request budgets (`budget`) a route or
//! tool declares it spends.

pub mod api_keys;
pub mod budget;
pub mod sessions;

use crate::app::error::{AppError, AppResult};
use crate::domain::error_code::ErrorCode;
use crate::state::AppState;
use api_keys::AuthFailure;
use sessions::SessionFailure;
use uuid::Uuid;

/// A partner organisation's kind: who it is decides which half of the API it may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum OrgKind {
    Distribution,
    Commerce,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Distribution => "distribution",
            OrgKind::Commerce => "commerce",
        }
    }
}

/// An authenticated caller: an API key, or a session a distribution partner minted for a user.
#[derive(Debug, Clone)]
pub struct Caller {
    pub organization_id: Uuid,
    pub kind: OrgKind,
    pub key_id: Option<Uuid>,
    /// The session's row, for a session minted since sessions were rows.
    pub session_id: Option<Uuid>,
    pub session: Option<sessions::SessionUser>,
}

impl std::fmt::Display for OrgKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The credential of an `Authorization: Bearer <token>` value. The scheme is matched in any case
/// (RFC 9110: auth schemes are case-insensitive).
pub fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// What every API key starts with; anything else is taken for a session JWT.
pub const API_KEY_PREFIX: &str = "mfk_";

/// 401 UNAUTHENTICATED with `detail`: every door refuses a missing or bad credential so.
pub fn unauthenticated(detail: &str) -> AppError {
    AppError::new(ErrorCode::Unauthenticated, detail)
}

/// Who a bearer credential speaks for: an API key (`mfk_…`), else a session JWT.
/// `spend_lookup` is called before a lookup only the database can answer, and after a failed
/// session, so that the door can charge the client's address for guesses.
pub async fn authenticate(
    state: &AppState,
    presented: &str,
    spend_lookup: impl Fn() -> AppResult<()>,
) -> AppResult<Caller> {
    if presented.starts_with(API_KEY_PREFIX) {
        api_key(state, presented, spend_lookup).await
    } else {
        session(state, presented).await.inspect_err(|_| {
            // A failed session costs its address from the same budget; the refusal stays 401
            // unless that budget was already spent.
            let _ = spend_lookup();
        })
    }
}

/// From the cache when this instance knows the key; otherwise the lookup is paid for from the
/// client address's budget first.
async fn api_key(state: &AppState, presented: &str, spend_lookup: impl Fn() -> AppResult<()>) -> AppResult<Caller> {
    let hash = api_keys::hash(presented);
    let answer = match api_keys::authenticate_cached(&state.cache, &hash, state.now()) {
        Some(answer) => answer,
        None => {
            spend_lookup()?;
            api_keys::authenticate_stored(&state.db, &state.cache, hash, state.now()).await?
        }
    };
    match answer {
        Ok(caller) => Ok(caller),
        Err(AuthFailure::Unknown) => Err(unauthenticated("The API key is not recognised.")),
        Err(AuthFailure::Expired) => Err(unauthenticated("The API key has expired.")),
        Err(AuthFailure::Revoked) => Err(unauthenticated("The API key has been revoked.")),
    }
}

/// Anything that is not an API key is taken for a session JWT. A well-signed session still
/// needs its row to be live (not revoked by its partner) and its organisation to hold a live
/// key: revoking a partner's keys ends its sessions too. Both answers come from the cache once
/// this instance has seen them.
async fn session(state: &AppState, presented: &str) -> AppResult<Caller> {
    let now = state.now();
    let verified = match sessions::verify(&state.config.jwt_secret, presented, now) {
        Ok(verified) => verified,
        Err(SessionFailure::Expired) => return Err(unauthenticated("The session has expired; create a new one.")),
        Err(SessionFailure::Invalid) => {
            return Err(unauthenticated("The credential is neither a known API key nor a valid session."));
        }
    };
    let organization_id = verified.organization_id;
    if let Some(id) = verified.session_id {
        let live = state.cache.session(&state.db, id).await?.is_some_and(|row| {
            row.organization_id == organization_id && row.revoked_at.is_none() && row.expires_at > now
        });
        if !live {
            return Err(unauthenticated("The session has been ended by its partner; create a new one."));
        }
    }
    if !api_keys::session_organization_is_live(&state.db, &state.cache, organization_id, now).await? {
        return Err(unauthenticated("The session's partner no longer holds a live API key; the session has ended."));
    }
    Ok(Caller {
        organization_id,
        kind: OrgKind::Distribution,
        key_id: None,
        session_id: verified.session_id,
        session: Some(verified.user),
    })
}

/// 401 SESSION_USER_REQUIRED for an anonymous session (one minted without a user): placing,
/// saved payment methods and order history belong to a user. API keys and sessions with a
/// user pass.
pub fn require_user(caller: &Caller, what: &str) -> AppResult<()> {
    match &caller.session {
        Some(user) if !user.has_user() => Err(AppError::new(
            ErrorCode::SessionUserRequired,
            format!("{what} needs a session with a user: create the session with email, firstName and lastName."),
        )),
        _ => Ok(()),
    }
}
