//! Who is calling: `Authorization: Bearer <api key>`, checked against the stored hashes.
//! Handlers name the kind of caller they accept (`Commerce`, `Distribution`); the other kind
//! gets 403, a missing or bad key 401.

use super::rate_limit_headers::VerdictSlot;
use crate::app::error::AppError;
use crate::auth::budget::Budget;
use crate::auth::{self, Caller, OrgKind, unauthenticated};
use crate::domain::error_code::ErrorCode;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, header};
use std::net::{IpAddr, SocketAddr};

async fn authenticate(parts: &mut Parts, state: &AppState) -> Result<Caller, AppError> {
    if let Some(caller) = parts.extensions.get::<Caller>() {
        return Ok(caller.clone());
    }
    let header = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthenticated("Send your API key as Authorization: Bearer <key>."))?;
    let presented = header
        .to_str()
        .ok()
        .and_then(auth::bearer_token)
        .ok_or_else(|| unauthenticated("The Authorization header must read: Bearer <key>."))?;
    let caller = auth::authenticate(state, presented, || spend_lookup(state, parts)).await?;
    parts.extensions.insert(caller.clone());
    spend_budget(parts, state, &caller)?;
    Ok(caller)
}

/// Spends from the client address's budget of authentications that may fail (see
/// `RateLimits::check_lookup`); refuses with 429 once it is spent. The address is worked out
/// only here, off the path of a key the cache knows.
fn spend_lookup(state: &AppState, parts: &Parts) -> Result<(), AppError> {
    let Some(client) = client_address(parts, &state.config.trusted_proxies) else { return Ok(()) };
    state.rate_limits.check_lookup(client).map_err(|wait| {
        AppError::new(
            ErrorCode::RateLimited,
            "Too many authentications from your address could not be answered; retry later with a valid key.",
        )
        .with_retry_after(wait)
    })
}

/// The client's address: the peer's, or when the peer is a trusted proxy, the last address in
/// `X-Forwarded-For` that is not itself a trusted proxy (the one the proxies were handed).
fn client_address(parts: &Parts, trusted: &[iprfc::IpNet]) -> Option<IpAddr> {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|part| part.trim().parse().ok())
        .collect();
    Some(forwarded.into_iter().rev().find(|ip| !is_trusted(ip)).unwrap_or(peer))
}

/// Takes this request from its organisation's budget (once: the caller is then cached in the
/// request), and hands the verdict to the `rate_limit_headers` middleware for the response.
/// The budget is the one the route declares (`spends`), else what its method implies: safe
/// methods read, the others write.
fn spend_budget(parts: &Parts, state: &AppState, caller: &Caller) -> Result<(), AppError> {
    let budget = parts.extensions.get::<Budget>().copied().unwrap_or(
        if parts.method == Method::GET || parts.method == Method::HEAD { Budget::Read } else { Budget::Write },
    );
    let read_only = budget == Budget::Read;
    let verdict = state.rate_limits.check(caller.organization_id, budget);
    if let Some(slot) = parts.extensions.get::<VerdictSlot>() {
        slot.set(verdict);
    }
    if verdict.allowed {
        return Ok(());
    }
    let kind = if read_only { "read" } else { "write" };
    Err(AppError::new(
        ErrorCode::RateLimited,
        format!("Your organisation has used its {} {kind} requests a minute; retry later.", verdict.limit),
    )
    .with_retry_after(verdict.retry_after))
}

async fn require(parts: &mut Parts, state: &AppState, kind: OrgKind) -> Result<Caller, AppError> {
    let caller = authenticate(parts, state).await?;
    if caller.kind != kind {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            format!(
                "This endpoint is for {} partners; your key belongs to a {} partner.",
                kind.as_str(),
                caller.kind.as_str()
            ),
        ));
    }
    Ok(caller)
}

/// Declares the budget a route spends when its method alone would say otherwise (validate is a
/// POST that changes nothing a partner owns, so it spends from the read budget).
pub fn spends(budget: Budget) -> axum::Extension<Budget> {
    axum::Extension(budget)
}

/// A commerce partner (restaurant system) calling.
pub struct Commerce(pub Caller);

/// A distribution partner (app, site, agent) calling.
pub struct Distribution(pub Caller);

impl FromRequestParts<AppState> for Commerce {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        require(parts, state, OrgKind::Commerce).await.map(Commerce)
    }
}

impl FromRequestParts<AppState> for Distribution {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        require(parts, state, OrgKind::Distribution).await.map(Distribution)
    }
}

/// Any partner calling with its own API key, not a session: for the organisation's settings
/// (webhooks).
pub struct Partner(pub Caller);

impl FromRequestParts<AppState> for Partner {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = authenticate(parts, state).await?;
        if caller.session.is_some() {
            return Err(AppError::new(ErrorCode::Forbidden, "Use the partner's API key here, not a session."));
        }
        Ok(Partner(caller))
    }
}

#[cfg(test)]
mod tests {
    use super::client_address;
    use crate::auth::bearer_token;
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;

    fn parts(peer: &str, forwarded: &[&str]) -> axum::http::request::Parts {
        let mut request = axum::http::Request::builder();
        for value in forwarded {
            request = request.header("x-forwarded-for", *value);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        parts.extensions.insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        parts
    }

    #[test]
    fn the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy() {
        let trusted: Vec<iprfc::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let ip = |text: &str| Some(text.parse().unwrap());
        // An untrusted peer's forwarded header is its own claim, and ignored.
        assert_eq!(client_address(&parts("203.0.113.9:5000", &["198.51.100.1"]), &trusted), ip("203.0.113.9"));
        // Behind the proxy: the last address the proxies did not add themselves.
        let behind = parts("10.0.0.2:5000", &["198.51.100.1, 192.0.2.7", "10.0.0.3"]);
        assert_eq!(client_address(&behind, &trusted), ip("192.0.2.7"));
        assert_eq!(client_address(&parts("10.0.0.2:5000", &[]), &trusted), ip("10.0.0.2"));
        assert_eq!(client_address(&parts("10.0.0.2:5000", &["not an address"]), &trusted), ip("10.0.0.2"));
    }

    #[test]
    fn the_bearer_scheme_is_matched_in_any_case() {
        for value in ["Bearer abc", "bearer abc", "BEARER abc", "bEaReR   abc  "] {
            assert_eq!(bearer_token(value), Some("abc"), "{value:?}");
        }
        for value in ["Basic abc", "Bearer ", "Bearer", "Bearerabc", ""] {
            assert_eq!(bearer_token(value), None, "{value:?}");
        }
    }
}
