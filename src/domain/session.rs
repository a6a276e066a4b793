//! The rules of an SDK session as a partner asks for one (`session/create`): which fields go
//! together, how long it may live, and who it speaks for. Every door that mints or reads a
//! session (REST, the MCP server) follows these.

use super::problem::Problem;
use chrono::Duration;
use serde::Deserialize;
use uuid::Uuid;

/// A session lives this long unless the partner asks otherwise: 30 days.
pub const DEFAULT_LIFETIME_SECONDS: i64 = 30 * 86_400;
/// And never longer than 90 days.
pub const MAX_LIFETIME_SECONDS: i64 = 90 * 86_400;
/// Nor shorter than a minute: less could not survive the clock skew allowed between machines.
pub const MIN_LIFETIME_SECONDS: i64 = 60;
const MAX_FIELD_LEN: usize = 200;

/// A session as asked for: every field optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRequest {
    #[serde(default)]
    pub partner_user_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// `ttlSeconds` is the name this field had before, still accepted.
    #[serde(default, alias = "ttlSeconds")]
    pub expiration_seconds: Option<i64>,
}

/// Who a session speaks for. `email` decides whether it has a user: an anonymous session (no
/// email) may browse, price and keep a fulfilment context, but not place, keep cards or read
/// order history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    pub partner_user_id: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
}

impl SessionUser {
    pub fn has_user(&self) -> bool {
        self.email.is_some()
    }
}

/// A checked request: the user it speaks for and how long it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub user: SessionUser,
    pub lifetime: Duration,
}

impl SessionRequest {
    /// Checks every field at once. `minted` is the id a missing `partnerUserId` is made from
    /// (`gen_<uuid>`), passed in so that this stays a pure function.
    pub fn check(self, minted: Uuid) -> Result<NewSession, Vec<Problem>> {
        let mut problems = Vec::new();
        let trimmed = |value: Option<String>| value.map(|v| v.trim().to_string());
        let partner_user_id = trimmed(self.partner_user_id);
        if partner_user_id.as_ref().is_some_and(|id| id.is_empty() || id.len() > MAX_FIELD_LEN) {
            problems.push(Problem::at(
                "INVALID_VALUE",
                "$.partnerUserId",
                format!("partnerUserId must be 1 to {MAX_FIELD_LEN} characters when given"),
            ));
        }
        let (email, first_name, last_name) = (trimmed(self.email), trimmed(self.first_name), trimmed(self.last_name));
        let named = [("email", &email), ("firstName", &first_name), ("lastName", &last_name)];
        let given = named.iter().filter(|(_, value)| value.is_some()).count();
        for (field, value) in named {
            match value {
                None if given > 0 => problems.push(Problem::at(
                    "MISSING_FIELD",
                    format!("$.{field}"),
                    "email, firstName and lastName go together: send all three or none",
                )),
                Some(text) if text.is_empty() || text.len() > MAX_FIELD_LEN => problems.push(Problem::at(
                    "INVALID_VALUE",
                    format!("$.{field}"),
                    format!("{field} must be 1 to {MAX_FIELD_LEN} characters"),
                )),
                _ => {}
            }
        }
        if let Some(email) = &email
            && !plausible_email(email)
        {
            problems.push(Problem::at("INVALID_VALUE", "$.email", "email must look like name@domain"));
        }
        let phone = trimmed(self.phone);
        if phone.as_deref().is_some_and(|phone| !is_e164(phone)) {
            problems.push(Problem::at("INVALID_VALUE", "$.phone", "phone must be E.164: + then up to 15 digits"));
        }
        let seconds = self.expiration_seconds.unwrap_or(DEFAULT_LIFETIME_SECONDS);
        if !(MIN_LIFETIME_SECONDS..=MAX_LIFETIME_SECONDS).contains(&seconds) {
            problems.push(Problem::at(
                "INVALID_VALUE",
                "$.expirationSeconds",
                format!(
                    "expirationSeconds must be between {MIN_LIFETIME_SECONDS} and {MAX_LIFETIME_SECONDS} (90 days)"
                ),
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let partner_user_id = partner_user_id.unwrap_or_else(|| format!("gen_{minted}"));
        let user = SessionUser { partner_user_id, email, first_name, last_name, phone };
        Ok(NewSession { user, lifetime: Duration::seconds(seconds) })
    }
}

/// `+` and 2 to 15 digits, the first not 0 (ITU-T E.164).
fn is_e164(phone: &str) -> bool {
    let Some(digits) = phone.strip_prefix('+') else { return false };
    (2..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) && !digits.starts_with('0')
}

/// One `@` with something on each side and a dot in the domain: enough to catch a field mixed
/// up with another, without pretending to validate deliverability.
fn plausible_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.contains(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(problems: &[Problem]) -> Vec<String> {
        problems.iter().filter_map(|p| p.json_path.clone()).collect()
    }

    #[test]
    fn an_empty_request_is_an_anonymous_session_of_thirty_days() {
        let id = Uuid::nil();
        let session = SessionRequest::default().check(id).unwrap();
        assert_eq!(session.user.partner_user_id, format!("gen_{id}"));
        assert!(!session.user.has_user());
        assert_eq!(session.lifetime, Duration::days(30));
    }

    #[test]
    fn names_and_email_come_all_together_or_not_at_all() {
        let partial = SessionRequest {
            email: Some("ann@example.com".into()),
            first_name: Some("Ann".into()),
            ..Default::default()
        };
        assert_eq!(paths(&partial.check(Uuid::nil()).unwrap_err()), ["$.lastName"]);
        let full = SessionRequest {
            email: Some(" ann@example.com ".into()),
            first_name: Some("Ann".into()),
            last_name: Some("Lee".into()),
            ..Default::default()
        };
        let session = full.check(Uuid::nil()).unwrap();
        assert!(session.user.has_user());
        assert_eq!(session.user.email.as_deref(), Some("ann@example.com"));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let bad = SessionRequest {
            partner_user_id: Some(" ".into()),
            last_name: Some("Lee".into()),
            phone: Some("555-0100".into()),
            expiration_seconds: Some(MAX_LIFETIME_SECONDS + 1),
            ..Default::default()
        };
        assert_eq!(
            paths(&bad.check(Uuid::nil()).unwrap_err()),
            ["$.partnerUserId", "$.email", "$.firstName", "$.phone", "$.expirationSeconds"]
        );
    }

    #[test]
    fn lifetimes_are_bounded_and_phones_are_e164() {
        for (seconds, ok) in [(59, false), (60, true), (MAX_LIFETIME_SECONDS, true), (MAX_LIFETIME_SECONDS + 1, false)]
        {
            let request = SessionRequest { expiration_seconds: Some(seconds), ..Default::default() };
            assert_eq!(request.check(Uuid::nil()).is_ok(), ok, "{seconds}");
        }
        for (phone, ok) in [("+12125550100", true), ("+0123", false), ("12125550100", false), ("+1 212", false)] {
            let request = SessionRequest { phone: Some(phone.into()), ..Default::default() };
            assert_eq!(request.check(Uuid::nil()).is_ok(), ok, "{phone}");
        }
    }

    #[test]
    fn ttl_seconds_is_still_accepted() {
        let request: SessionRequest = serde_json::from_str(r#"{"ttlSeconds": 600}"#).unwrap();
        assert_eq!(request.check(Uuid::nil()).unwrap().lifetime, Duration::minutes(10));
    }
}
