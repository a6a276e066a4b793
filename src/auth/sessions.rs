//! Session JWTs: a distribution partner mints a token for one of its users (or for nobody yet,
//! an anonymous session), and an SDK front end calls the marketplace with it instead of the
//! partner's API key. Each session is also a row (`db::sessions`), named by the token's `sid`,
//! so that it can be revoked; `verify` is pure, and whether the row is still live is
//! `is_live`'s to say, from the cache once this instance has seen it.
//!
//! HS256 with `MARKETFRONT_JWT_SECRET`, verified with the algorithm pinned (so `alg: none` and
//! algorithm-confusion tokens fail), and every time claim judged by the service's clock: `exp`
//! in the future, `iat` not in the future beyond `CLOCK_SKEW_SECONDS`, a life (`exp − iat`) no
//! longer than `MAX_TTL_SECONDS`, and `nbf`, when present, passed. A token signed with a leaked
//! or guessed secret still cannot outlive the rules a minted one follows. Whether its
//! organisation still exists and holds a live key is the caller's to check (`verify` is pure).

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const ISSUER: &str = "marketfront";
pub use crate::domain::session::MAX_LIFETIME_SECONDS as MAX_TTL_SECONDS;
pub use crate::domain::session::SessionUser;
/// How far another machine's clock may run ahead of ours when it minted (or we judge) a token.
pub const CLOCK_SKEW_SECONDS: i64 = 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionClaims {
    pub iss: String,
    /// The partner's own id for its user (`partnerUserId`).
    pub sub: String,
    /// The distribution organisation that minted the session.
    pub org: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub iat: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub jti: Uuid,
    /// The session's row. Tokens minted before sessions were rows have none: they keep
    /// working until they expire (within an hour, the longest life they could be given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
}

/// A token that verified: whose it is, which session it belongs to, and for whom it speaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub organization_id: Uuid,
    pub session_id: Option<Uuid>,
    pub user: SessionUser,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionFailure {
    Invalid,
    Expired,
}

pub fn mint(
    secret: &str,
    org: Uuid,
    session_id: Uuid,
    user: &SessionUser,
    now: DateTime<Utc>,
    ttl: Duration,
) -> (String, DateTime<Utc>) {
    let expires_at = now + ttl;
    let claims = SessionClaims {
        iss: ISSUER.into(),
        sub: user.partner_user_id.clone(),
        org,
        email: user.email.clone(),
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
        phone: user.phone.clone(),
        iat: now.timestamp(),
        exp: expires_at.timestamp(),
        nbf: None,
        jti: Uuid::new_v4(),
        sid: Some(session_id),
    };
    let token = encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes()))
        .expect("HS256 signing cannot fail");
    (token, expires_at)
}

pub fn verify(secret: &str, token: &str, now: DateTime<Utc>) -> Result<Verified, SessionFailure> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "sub"]);
    // Every time claim is judged by the service's clock below, not the library's.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    let data = decode::<SessionClaims>(token, &DecodingKey::from_secret(secret.as_bytes()), &validation)
        .map_err(|_| SessionFailure::Invalid)?;
    let claims = data.claims;
    let now = now.timestamp();
    let issued_in_future = claims.iat > now.saturating_add(CLOCK_SKEW_SECONDS);
    let too_long = claims.exp.saturating_sub(claims.iat) > MAX_TTL_SECONDS;
    let not_yet = claims.nbf.is_some_and(|nbf| nbf > now.saturating_add(CLOCK_SKEW_SECONDS));
    if issued_in_future || too_long || not_yet {
        return Err(SessionFailure::Invalid);
    }
    if claims.exp <= now {
        return Err(SessionFailure::Expired);
    }
    let user = SessionUser {
        partner_user_id: claims.sub,
        email: claims.email,
        first_name: claims.first_name,
        last_name: claims.last_name,
        phone: claims.phone,
    };
    Ok(Verified { organization_id: claims.org, session_id: claims.sid, user })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn user() -> SessionUser {
        SessionUser {
            partner_user_id: "user-1".into(),
            email: Some("ann@example.com".into()),
            first_name: Some("Ann".into()),
            last_name: None,
            phone: None,
        }
    }

    #[test]
    fn a_minted_session_verifies_until_it_expires() {
        let now = Utc::now();
        let org = Uuid::new_v4();
        let session_id = Uuid::new_v4();
        let (token, expires_at) = mint("secret", org, session_id, &user(), now, Duration::minutes(15));
        assert_eq!(expires_at, now + Duration::minutes(15));
        let verified = Verified { organization_id: org, session_id: Some(session_id), user: user() };
        assert_eq!(verify("secret", &token, now), Ok(verified));
        assert_eq!(verify("secret", &token, now + Duration::minutes(15)), Err(SessionFailure::Expired));
        assert_eq!(verify("other-secret", &token, now), Err(SessionFailure::Invalid));
    }

    /// Signs arbitrary claims with the right secret, as someone holding it (or a bug) might.
    fn forged(claims: serde_json::Value) -> String {
        encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(b"secret")).unwrap()
    }

    #[test]
    fn time_claims_are_judged_by_our_clock_even_on_a_well_signed_token() {
        let now = Utc::now();
        let t = now.timestamp();
        let claims = |iat: i64, exp: i64, nbf: Option<i64>| {
            let mut claims = serde_json::json!({"iss": "marketfront", "sub": "u", "org": Uuid::new_v4(),
                "iat": iat, "exp": exp, "jti": Uuid::new_v4()});
            if let Some(nbf) = nbf {
                claims["nbf"] = nbf.into();
            }
            forged(claims)
        };
        assert!(verify("secret", &claims(t, t + 600, None), now).is_ok());
        assert!(verify("secret", &claims(t, t + 600, Some(t)), now).is_ok());
        assert!(verify("secret", &claims(t + 30, t + 600, None), now).is_ok(), "within the skew");
        let refused = [
            ("a hundred years", claims(t, t + 100 * 365 * 86_400, None)),
            ("longer than the cap", claims(t - 10, t + MAX_TTL_SECONDS, None)),
            ("issued in the future", claims(t + 3_600, t + 3_700, None)),
            ("not yet valid", claims(t, t + 600, Some(t + 300))),
            (
                "no iat",
                forged(serde_json::json!({"iss": "marketfront", "sub": "u", "org": Uuid::new_v4(),
                "exp": t + 600, "jti": Uuid::new_v4()})),
            ),
        ];
        for (what, token) in refused {
            assert_eq!(verify("secret", &token, now), Err(SessionFailure::Invalid), "{what}");
        }
    }

    #[test]
    fn an_unsigned_token_is_refused() {
        let now = Utc::now();
        let (token, _) = mint("secret", Uuid::new_v4(), Uuid::new_v4(), &user(), now, Duration::minutes(15));
        let payload = token.split('.').nth(1).unwrap();
        let none_header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert_eq!(verify("secret", &format!("{none_header}.{payload}."), now), Err(SessionFailure::Invalid));
        let hs512 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"HS512","typ":"JWT"}"#);
        let signature = token.split('.').nth(2).unwrap();
        assert_eq!(verify("secret", &format!("{hs512}.{payload}.{signature}"), now), Err(SessionFailure::Invalid));
    }
}
