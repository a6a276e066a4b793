//! Typed configuration from the environment. Every setting has a default that works on a
//! developer machine; secrets are never printed (see the `Debug` impl).

use std::time::Duration;

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    /// A streaming replica of `database_url` (`DATABASE_READ_URL`) for reads that may lag a
    /// little: discovery, stores and menus as partners browse them, order lists (see
    /// `crate::replica` for which read goes where). None: every read goes to the primary.
    pub database_read_url: Option<String>,
    /// Past this much replication lag the replica is not read at all, until it catches up.
    pub replica_max_lag: Duration,
    pub listen: String,
    /// The base of the links we hand out (problem `type`s), without a trailing slash.
    pub public_url: String,
    /// What the store, menu and key caches may hold together (`MARKETFRONT_CACHE_MB`).
    pub cache_bytes: u64,
    pub token_ttl: Duration,
    pub idempotency_ttl: Duration,
    pub jwt_secret: String,
    /// Seal secrets at rest (see `secret_box`): the first seals, every one opens.
    pub encryption_keys: Vec<[u8; 32]>,
    pub log_filter: String,
    pub log_json: bool,
    /// Whether outbound calls (catalog pulls, webhooks) may reach loopback/private addresses.
    pub allow_private_urls: bool,
    pub database_max_connections: u32,
    /// How long a catalog pull may take, and how large the document may be.
    pub pull_timeout: Duration,
    pub pull_max_bytes: usize,
    /// Delay before the first retry of a failed pull; doubled for each further attempt.
    pub pull_retry_base: Duration,
    pub pull_max_attempts: i32,
    /// How long a place request owns its Idempotency-Key before a retry or the completer may
    /// take over; longer than any payment call may take.
    pub place_lease: Duration,
    /// How long place waits for the payment processor before answering PAYMENT_FAILED.
    pub payment_timeout: Duration,
    /// How often the completer looks for place requests abandoned mid-way (and the order
    /// keeper for unconfirmed orders and unsettled payments).
    pub completer_interval: Duration,
    /// How long a restaurant has to confirm a new order before the server cancels it.
    pub ack_timeout: Duration,
    /// How long one webhook delivery attempt may take.
    pub webhook_timeout: Duration,
    /// Discovery counts matches exactly up to this many (`totalCount`); past it the count is
    /// this number, `totalCountExact` is false, and pages end here. Each counted match is a step
    /// of the nearest-first scan, so this bounds a discovery request's cost.
    pub discovery_count_cap: i64,
    /// How often the webhook dispatcher looks for due deliveries when it has none at hand.
    pub webhook_poll_interval: Duration,
    /// Webhook attempts under way at once in this process, and at most per endpoint and per
    /// organisation, so that one partner's slow receivers cannot hold every slot.
    pub webhook_concurrency: usize,
    pub webhook_endpoint_concurrency: u32,
    pub webhook_organization_concurrency: u32,
    /// Webhook endpoints one organisation may register.
    pub webhook_max_endpoints: u32,
    /// Catalog fetches (pulls and onboarding) under way at once in this process, and at most
    /// per organisation.
    pub pull_concurrency: usize,
    pub pull_organization_concurrency: u32,
    /// Requests per minute and organisation: reads (GET, and validate) and writes.
    pub rate_limit_reads_per_minute: u32,
    pub rate_limit_writes_per_minute: u32,
    /// Authentications one client address may have that the cache cannot answer (unknown,
    /// revoked or expired keys; failed sessions) per minute, before it is refused outright.
    pub auth_lookups_per_minute: u32,
    /// Addresses of reverse proxies whose `X-Forwarded-For` names the real client.
    pub trusted_proxies: Vec<iprfc::IpNet>,
    /// From a request's first byte to the end of its headers.
    pub header_read_timeout: Duration,
    /// A connection with nothing read or written for this long is closed.
    pub idle_timeout: Duration,
    /// A request still unanswered after this long is answered 503 (its work is abandoned the
    /// way a crash abandons it: place's recorded steps finish or roll it back).
    pub request_timeout: Duration,
    /// `Host` values `/mcp` answers (DNS-rebinding protection; `MARKETFRONT_MCP_ALLOWED_HOSTS`,
    /// comma-separated; a name without a port allows every port).
    pub mcp_allowed_hosts: Vec<String>,
    /// Browser origins `/mcp` answers (`MARKETFRONT_MCP_ALLOWED_ORIGINS`); a request without
    /// `Origin` (not from a browser) passes.
    pub mcp_allowed_origins: Vec<String>,
}

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/marketfront";
/// Published on purpose, for `serve --demo` and tests only: `serve` refuses to start with them.
const DEV_JWT_SECRET: &str = "marketfront-development-secret-change-me";
const DEV_ENCRYPTION_KEY: &[u8; 32] = b"marketfront-demo-encryption-key!";
/// The shortest JWT secret `serve` accepts: HS256 is as strong as its key, up to 32 bytes.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// Loopback, and the public URL's host.
fn default_mcp_hosts(public_url: &str) -> Vec<String> {
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec();
    if let Some(host) = url::Url::parse(public_url).ok().and_then(|u| u.host_str().map(str::to_string)) {
        let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    hosts
}

/// Loopback pages on any port, and the public URL's origin.
fn default_mcp_origins(public_url: &str) -> Vec<String> {
    let mut origins: Vec<String> = ["http://localhost:*", "http://127.0.0.1:*"].map(String::from).to_vec();
    if let Ok(url) = url::Url::parse(public_url) {
        let origin = url.origin().ascii_serialization();
        if origin != "null" && !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    origins
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        let config = Config::read_env()?;
        // A request must be able to finish its payment call inside its lease, or a retry
        // would take its key over while it is still running.
        // An idle timeout could otherwise cut a connection whose request is still being worked on.
        anyhow::ensure!(
            config.idle_timeout > config.request_timeout,
            "MARKETFRONT_IDLE_TIMEOUT_SECONDS must be longer than MARKETFRONT_REQUEST_TIMEOUT_SECONDS"
        );
        anyhow::ensure!(
            config.place_lease > config.payment_timeout,
            "MARKETFRONT_PLACE_LEASE_SECONDS ({:?}) must be longer than MARKETFRONT_PAYMENT_TIMEOUT_SECONDS ({:?})",
            config.place_lease,
            config.payment_timeout
        );
        Ok(config)
    }

    fn read_env() -> anyhow::Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let number = |name: &str, default: u64| -> anyhow::Result<u64> {
            match var(name) {
                Some(text) => text.parse().map_err(|_| anyhow::anyhow!("{name} must be a whole number, got {text:?}")),
                None => Ok(default),
            }
        };
        let flag = |name: &str| var(name).is_some_and(|v| matches!(v.as_str(), "1" | "true" | "yes" | "on"));
        let listen = var("MARKETFRONT_LISTEN").unwrap_or_else(|| "127.0.0.1:8080".to_string());
        let list = |name: &str| -> Option<Vec<String>> {
            var(name).map(|v| v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
        };
        let public_url = var("MARKETFRONT_PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{listen}"))
            .trim_end_matches('/')
            .to_string();
        let mcp_allowed_hosts = list("MARKETFRONT_MCP_ALLOWED_HOSTS").unwrap_or_else(|| default_mcp_hosts(&public_url));
        let mcp_allowed_origins =
            list("MARKETFRONT_MCP_ALLOWED_ORIGINS").unwrap_or_else(|| default_mcp_origins(&public_url));
        Ok(Config {
            database_url: var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string()),
            database_read_url: var("DATABASE_READ_URL"),
            replica_max_lag: Duration::from_millis(number("MARKETFRONT_REPLICA_MAX_LAG_MS", 5_000)?),
            public_url,
            mcp_allowed_hosts,
            mcp_allowed_origins,
            listen,
            cache_bytes: number("MARKETFRONT_CACHE_MB", 256)?.clamp(1, 1 << 20) << 20,
            token_ttl: Duration::from_secs(number("MARKETFRONT_TOKEN_TTL_SECONDS", 900)?),
            idempotency_ttl: Duration::from_secs(number("MARKETFRONT_IDEMPOTENCY_TTL_SECONDS", 86_400)?),
            jwt_secret: var("MARKETFRONT_JWT_SECRET").unwrap_or_else(|| DEV_JWT_SECRET.to_string()),
            encryption_keys: match var("MARKETFRONT_ENCRYPTION_KEY") {
                Some(text) => crate::secret_box::parse_keys(&text).map_err(|why| anyhow::anyhow!(why))?,
                None => vec![*DEV_ENCRYPTION_KEY],
            },
            log_filter: var("MARKETFRONT_LOG").unwrap_or_else(|| "info,sqlx=warn".to_string()),
            log_json: var("MARKETFRONT_LOG_FORMAT").is_some_and(|v| v == "json"),
            allow_private_urls: flag("MARKETFRONT_ALLOW_PRIVATE_URLS"),
            database_max_connections: number("MARKETFRONT_DB_MAX_CONNECTIONS", 20)? as u32,
            pull_timeout: Duration::from_secs(number("MARKETFRONT_PULL_TIMEOUT_SECONDS", 10)?),
            pull_max_bytes: number("MARKETFRONT_PULL_MAX_BYTES", 5 * 1024 * 1024)? as usize,
            pull_retry_base: Duration::from_millis(number("MARKETFRONT_PULL_RETRY_BASE_MS", 2_000)?),
            pull_max_attempts: number("MARKETFRONT_PULL_MAX_ATTEMPTS", 4)? as i32,
            place_lease: Duration::from_secs(number("MARKETFRONT_PLACE_LEASE_SECONDS", 30)?),
            payment_timeout: Duration::from_secs(number("MARKETFRONT_PAYMENT_TIMEOUT_SECONDS", 10)?),
            completer_interval: Duration::from_millis(number("MARKETFRONT_COMPLETER_INTERVAL_MS", 1_000)?),
            ack_timeout: Duration::from_secs(number("MARKETFRONT_ACK_TIMEOUT_SECONDS", 600)?),
            webhook_timeout: Duration::from_secs(number("MARKETFRONT_WEBHOOK_TIMEOUT_SECONDS", 10)?),
            webhook_poll_interval: Duration::from_millis(number("MARKETFRONT_WEBHOOK_POLL_MS", 200)?),
            discovery_count_cap: number("MARKETFRONT_DISCOVERY_COUNT_CAP", 1_000)?.clamp(1, 100_000) as i64,
            webhook_concurrency: number("MARKETFRONT_WEBHOOK_CONCURRENCY", 256)?.clamp(1, 4_096) as usize,
            webhook_endpoint_concurrency: number("MARKETFRONT_WEBHOOK_ENDPOINT_CONCURRENCY", 16)?.clamp(1, 1_024)
                as u32,
            webhook_organization_concurrency: number("MARKETFRONT_WEBHOOK_ORGANIZATION_CONCURRENCY", 64)?
                .clamp(1, 4_096) as u32,
            webhook_max_endpoints: number("MARKETFRONT_WEBHOOK_MAX_ENDPOINTS", 16)?.clamp(1, 10_000) as u32,
            pull_concurrency: number("MARKETFRONT_PULL_CONCURRENCY", 8)?.clamp(1, 1_024) as usize,
            pull_organization_concurrency: number("MARKETFRONT_PULL_ORGANIZATION_CONCURRENCY", 2)?.clamp(1, 1_024)
                as u32,
            rate_limit_reads_per_minute: number("MARKETFRONT_RATE_LIMIT_READS_PER_MINUTE", 1_000)?
                .clamp(1, u32::MAX.into()) as u32,
            rate_limit_writes_per_minute: number("MARKETFRONT_RATE_LIMIT_WRITES_PER_MINUTE", 100)?
                .clamp(1, u32::MAX.into()) as u32,
            auth_lookups_per_minute: number("MARKETFRONT_AUTH_LOOKUPS_PER_MINUTE", 60)?.clamp(1, u32::MAX.into())
                as u32,
            trusted_proxies: match var("MARKETFRONT_TRUSTED_PROXIES") {
                Some(text) => parse_networks(&text)?,
                None => Vec::new(),
            },
            header_read_timeout: Duration::from_secs(number("MARKETFRONT_HEADER_READ_TIMEOUT_SECONDS", 10)?.max(1)),
            idle_timeout: Duration::from_secs(number("MARKETFRONT_IDLE_TIMEOUT_SECONDS", 75)?.max(1)),
            request_timeout: Duration::from_secs(number("MARKETFRONT_REQUEST_TIMEOUT_SECONDS", 30)?.max(1)),
        })
    }

    /// Settings for tests and tools: defaults with the given database.
    pub fn for_database(database_url: &str) -> Self {
        let mut config = Config::from_env().expect("default configuration");
        config.database_url = database_url.to_string();
        config
    }

    pub fn uses_default_jwt_secret(&self) -> bool {
        self.jwt_secret == DEV_JWT_SECRET
    }

    pub fn uses_default_encryption_key(&self) -> bool {
        self.encryption_keys.first() == Some(DEV_ENCRYPTION_KEY)
    }

    /// What `serve` checks before it starts: a JWT secret long enough to sign sessions with, and
    /// outside the demo, a JWT secret and an encryption key of the operator's own (the defaults
    /// are published, so sessions could be forged and secrets read by anyone).
    pub fn check_secrets(&self, demo: bool) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.jwt_secret.len() >= MIN_JWT_SECRET_BYTES,
            "MARKETFRONT_JWT_SECRET is {} bytes; it must be at least {MIN_JWT_SECRET_BYTES} (try: openssl rand -base64 32)",
            self.jwt_secret.len()
        );
        if demo {
            return Ok(());
        }
        anyhow::ensure!(
            !self.uses_default_jwt_secret(),
            "MARKETFRONT_JWT_SECRET is not set: `serve` needs a secret of at least {MIN_JWT_SECRET_BYTES} bytes to sign \
             session tokens (only `serve --demo` may use the published development secret)"
        );
        anyhow::ensure!(
            !self.uses_default_encryption_key(),
            "MARKETFRONT_ENCRYPTION_KEY is not set: `serve` needs base64 of 32 random bytes to seal webhook secrets and \
             card tokens at rest (try: openssl rand -base64 32; only `serve --demo` may use the published demo key)"
        );
        Ok(())
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_password(&self.database_url))
            .field("database_read_url", &self.database_read_url.as_deref().map(redact_password))
            .field("listen", &self.listen)
            .field("public_url", &self.public_url)
            .field("token_ttl", &self.token_ttl)
            .field("idempotency_ttl", &self.idempotency_ttl)
            .field("jwt_secret", &"<redacted>")
            .field("encryption_keys", &format!("<{} redacted>", self.encryption_keys.len()))
            .field("log_filter", &self.log_filter)
            .field("log_json", &self.log_json)
            .field("allow_private_urls", &self.allow_private_urls)
            .finish_non_exhaustive()
    }
}

/// Addresses and networks, comma-separated: `10.0.0.0/8, 192.168.1.7`.
fn parse_networks(text: &str) -> anyhow::Result<Vec<iprfc::IpNet>> {
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<iprfc::IpNet>()
                .or_else(|_| part.parse::<std::net::IpAddr>().map(iprfc::IpNet::from))
                .map_err(|_| anyhow::anyhow!("MARKETFRONT_TRUSTED_PROXIES: {part:?} is not an address or network"))
        })
        .collect()
}

fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn mcp_answers_loopback_and_the_public_host_by_default() {
        let hosts = super::default_mcp_hosts("https://api.example.com:8443");
        assert_eq!(hosts, ["localhost", "127.0.0.1", "::1", "api.example.com"]);
        assert_eq!(super::default_mcp_hosts("http://[::1]:8080"), ["localhost", "127.0.0.1", "::1"]);
        let origins = super::default_mcp_origins("https://api.example.com");
        assert_eq!(origins, ["http://localhost:*", "http://127.0.0.1:*", "https://api.example.com"]);
    }

    #[test]
    fn serve_needs_secrets_of_its_own_outside_the_demo() {
        let mut config = super::Config::for_database("postgres://localhost/x");
        assert!(config.check_secrets(true).is_ok(), "the demo may use the published secrets");
        let refused = config.check_secrets(false).unwrap_err().to_string();
        assert!(refused.contains("MARKETFRONT_JWT_SECRET"), "{refused}");
        config.jwt_secret = "x".repeat(31);
        assert!(config.check_secrets(true).unwrap_err().to_string().contains("at least 32"));
        config.jwt_secret = "x".repeat(32);
        let refused = config.check_secrets(false).unwrap_err().to_string();
        assert!(refused.contains("MARKETFRONT_ENCRYPTION_KEY"), "{refused}");
        config.encryption_keys = vec![[9; 32]];
        assert!(config.check_secrets(false).is_ok());
        assert!(!format!("{config:?}").contains("xxxx"), "secrets are never printed");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(super::redact_password("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(super::redact_password("postgres://u@h/db"), "postgres://u@h/db");
    }
}
