//! Session JWTs: a distribution partner mints a short-lived token for one of its users, and an
//! SDK front end calls the marketplace with it instead of the partner's API key.
//!
//! HS256 with `MARKETFRONT_JWT_SECRET`, verified with the algorithm pinned (so `alg: none` and
//! algorithm-confusion tokens fail) and expiry checked against the service's clock.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const ISSUER: &str = "marketfront";
pub const DEFAULT_TTL_SECONDS: i64 = 900;
pub const MAX_TTL_SECONDS: i64 = 3600;

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
    pub jti: Uuid,
}

/// The user a session speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    pub partner_user_id: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionFailure {
    Invalid,
    Expired,
}

pub fn mint(secret: &str, org: Uuid, user: &SessionUser, now: DateTime<Utc>, ttl: Duration) -> (String, DateTime<Utc>) {
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
        jti: Uuid::new_v4(),
    };
    let token = encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes()))
        .expect("HS256 signing cannot fail");
    (token, expires_at)
}

pub fn verify(secret: &str, token: &str, now: DateTime<Utc>) -> Result<(Uuid, SessionUser), SessionFailure> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    // Expiry is judged by the service's clock below, not the library's.
    validation.validate_exp = false;
    let data = decode::<SessionClaims>(token, &DecodingKey::from_secret(secret.as_bytes()), &validation)
        .map_err(|_| SessionFailure::Invalid)?;
    let claims = data.claims;
    if claims.exp <= now.timestamp() {
        return Err(SessionFailure::Expired);
    }
    let user = SessionUser {
        partner_user_id: claims.sub,
        email: claims.email,
        first_name: claims.first_name,
        last_name: claims.last_name,
        phone: claims.phone,
    };
    Ok((claims.org, user))
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
        let (token, expires_at) = mint("secret", org, &user(), now, Duration::minutes(15));
        assert_eq!(expires_at, now + Duration::minutes(15));
        assert_eq!(verify("secret", &token, now), Ok((org, user())));
        assert_eq!(verify("secret", &token, now + Duration::minutes(15)), Err(SessionFailure::Expired));
        assert_eq!(verify("other-secret", &token, now), Err(SessionFailure::Invalid));
    }

    #[test]
    fn an_unsigned_token_is_refused() {
        let now = Utc::now();
        let (token, _) = mint("secret", Uuid::new_v4(), &user(), now, Duration::minutes(15));
        let payload = token.split('.').nth(1).unwrap();
        let none_header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert_eq!(verify("secret", &format!("{none_header}.{payload}."), now), Err(SessionFailure::Invalid));
        let hs512 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"HS512","typ":"JWT"}"#);
        let signature = token.split('.').nth(2).unwrap();
        assert_eq!(verify("secret", &format!("{hs512}.{payload}.{signature}"), now), Err(SessionFailure::Invalid));
    }
}
