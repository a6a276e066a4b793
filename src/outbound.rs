//! Outbound HTTP (catalog pulls now, webhooks later), guarded against server-side request
//! forgery: only http(s), no redirects, a timeout, a size cap, and unless configured otherwise
//! no loopback, private or link-local destinations. The address checked is the address
//! connected to (the resolution is pinned), so DNS cannot swap it in between.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// Will not succeed on retry (bad URL, refused address, 4xx, too large).
    #[error("{0}")]
    Permanent(String),
    /// May succeed later (connection failure, timeout, 5xx, 429).
    #[error("{0}")]
    Transient(String),
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub allow_private: bool,
    pub timeout: Duration,
    pub max_bytes: usize,
}

/// Checks a URL's form without resolving it: for immediate feedback when a partner submits it.
pub fn check_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|e| format!("not a valid URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("only http and https URLs are allowed".into());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the URL has no host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("credentials in the URL are not allowed".into());
    }
    Ok(url)
}

/// Whether a partner's URL may lead to this address: one the open internet routes to, not one
/// of ours or a neighbour's. Refused: every block of IANA's IPv4 and IPv6 Special-Purpose Address
/// registries (RFC 6890, kept current by the `iprfc` crate: loopback, private, shared, link-local,
/// documentation, benchmarking, reserved, 6to4, NAT64, Teredo, unique-local …), multicast, and two
/// deprecated IPv6 forms the registries no longer list but stacks still honour: IPv4-compatible
/// `::a.b.c.d` and site-local `fec0::/10`. An IPv4-mapped address is judged as its IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    if let IpAddr::V6(v6) = ip
        && let Some(v4) = v6.to_ipv4_mapped()
    {
        return is_public(IpAddr::V4(v4));
    }
    if iprfc::RFC6890.contains(&ip) || ip.is_multicast() || ip.is_unspecified() || ip.is_loopback() {
        return false;
    }
    match ip {
        IpAddr::V4(v4) => !v4.is_broadcast(),
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            let ipv4_compatible = segments[..6].iter().all(|s| *s == 0);
            let site_local = (segments[0] & 0xffc0) == 0xfec0;
            !(ipv4_compatible || site_local)
        }
    }
}

/// Resolves `url`'s host now and checks the addresses against the private-address rule.
async fn resolve(url: &url::Url, limits: Limits) -> Result<(String, Vec<SocketAddr>), FetchError> {
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    let mut addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| FetchError::Transient(format!("could not resolve {host}: {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(FetchError::Transient(format!("{host} has no address")));
    }
    if !limits.allow_private && addrs.iter().any(|a| !is_public(a.ip())) {
        return Err(FetchError::Permanent(format!(
            "{host} resolves to a private or loopback address, which is not allowed"
        )));
    }
    addrs.sort();
    Ok((host, addrs))
}

/// A client that connects only to `addrs` for `host` (the resolution is pinned), follows no
/// redirects and gives up after the timeout.
fn pinned(host: &str, addrs: &[SocketAddr], timeout: Duration) -> Result<reqwest::Client, FetchError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .resolve_to_addrs(host, addrs)
        .user_agent(concat!("marketfront/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| FetchError::Permanent(format!("client: {e}")))
}

async fn pinned_client(text: &str, limits: Limits) -> Result<(reqwest::Client, url::Url), FetchError> {
    let url = check_url(text).map_err(FetchError::Permanent)?;
    let (host, addrs) = resolve(&url, limits).await?;
    Ok((pinned(&host, &addrs, limits.timeout)?, url))
}

/// Clients kept per pinned destination, so repeated calls to one endpoint (webhooks) reuse
/// its TLS set-up and keep-alive connections instead of building a client each time. A
/// destination whose addresses change gets a new client, checked again.
#[derive(Default)]
pub struct Clients {
    by_destination: std::sync::Mutex<std::collections::HashMap<Destination, reqwest::Client>>,
}

/// A host, the addresses it was pinned to, and the timeout its client was built with.
type Destination = (String, Vec<SocketAddr>, Duration);

impl Clients {
    async fn for_url(&self, text: &str, limits: Limits) -> Result<(reqwest::Client, url::Url), FetchError> {
        let url = check_url(text).map_err(FetchError::Permanent)?;
        let (host, addrs) = resolve(&url, limits).await?;
        let key = (host, addrs, limits.timeout);
        let mut clients = self.by_destination.lock().expect("client cache lock");
        if let Some(client) = clients.get(&key) {
            return Ok((client.clone(), url));
        }
        if clients.len() > 1_000 {
            clients.clear();
        }
        let client = pinned(&key.0, &key.1, limits.timeout)?;
        clients.insert(key, client.clone());
        Ok((client, url))
    }
}

/// Resolves a URL's host now and refuses private and loopback addresses: for immediate
/// feedback when a partner registers a URL (deliveries check again, pinned, when they go out).
pub async fn check_public(text: &str) -> Result<(), String> {
    let url = check_url(text)?;
    let strict = Limits { allow_private: false, timeout: Duration::from_secs(5), max_bytes: 0 };
    resolve(&url, strict).await.map(|_| ()).map_err(|e| e.to_string())
}

/// Checks a URL a partner gives us to call later (a webhook, a catalog's location): its form,
/// and unless private destinations are allowed, that it resolves to public addresses only.
pub async fn check_partner_url(text: &str, allow_private: bool) -> Result<(), String> {
    if allow_private { check_url(text).map(|_| ()) } else { check_public(text).await }
}

/// What a receiver answered to a POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// `Retry-After` in seconds, when given as a number.
    pub retry_after: Option<u64>,
}

/// POSTs a JSON body with extra headers; the receiver's answer, or why there was none.
pub async fn post(
    clients: &Clients,
    text: &str,
    headers: &[(&'static str, String)],
    body: Vec<u8>,
    limits: Limits,
) -> Result<Answer, FetchError> {
    let (client, url) = clients.for_url(text, limits).await?;
    let mut request = client.post(url).header("content-type", "application/json").body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.map_err(|e| {
        let kind = if e.is_timeout() { "timed out" } else { "failed" };
        FetchError::Transient(format!("request {kind}: {e}"))
    })?;
    let retry_after =
        response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok());
    Ok(Answer { status: response.status().as_u16(), retry_after })
}

/// GETs a URL and returns its body.
pub async fn fetch(text: &str, limits: Limits) -> Result<Vec<u8>, FetchError> {
    let (client, url) = pinned_client(text, limits).await?;
    let mut response = client.get(url).send().await.map_err(|e| {
        let kind = if e.is_timeout() { "timed out" } else { "failed" };
        FetchError::Transient(format!("request {kind}: {e}"))
    })?;
    let status = response.status();
    if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
        return Err(FetchError::Transient(format!("the server answered {status}")));
    }
    if !status.is_success() {
        return Err(FetchError::Permanent(format!("the server answered {status}")));
    }
    if response.content_length().is_some_and(|len| len as usize > limits.max_bytes) {
        return Err(FetchError::Permanent(format!("the document is larger than {} bytes", limits.max_bytes)));
    }
    let mut body = Vec::new();
    loop {
        let chunk = response.chunk().await.map_err(|e| {
            let kind = if e.is_timeout() { "timed out" } else { "failed" };
            FetchError::Transient(format!("reading the body {kind}: {e}"))
        })?;
        let Some(chunk) = chunk else { break };
        if body.len() + chunk.len() > limits.max_bytes {
            return Err(FetchError::Permanent(format!("the document is larger than {} bytes", limits.max_bytes)));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_loopback_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            // What the probe found let through before: NAT64, 6to4, IPv4-compatible,
            // site-local, benchmarking, reserved, IETF protocol assignments.
            "64:ff9b::7f00:1",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "::127.0.0.1",
            "::10.0.0.1",
            "fec0::1",
            "198.18.0.1",
            "198.19.255.255",
            "240.0.0.1",
            "255.255.255.255",
            "192.0.0.1",
            "224.0.0.1",
            "ff02::1",
            "2001::1",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8", "2a00:1450:4001::200e"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    /// Every block of both IANA special-purpose registries, at its first and last address.
    #[test]
    fn every_special_purpose_block_is_refused() {
        let nets = iprfc::RFC6890.ip_nets();
        assert!(nets.len() >= 40, "both registries: {}", nets.len());
        for net in nets {
            for ip in [net.network(), net.broadcast()] {
                assert!(!is_public(ip), "{ip} in {net}");
            }
        }
    }

    #[test]
    fn urls_are_checked_for_form() {
        assert!(check_url("https://example.com/menu.json").is_ok());
        assert!(check_url("ftp://example.com/menu.json").is_err());
        assert!(check_url("https://user:pw@example.com/").is_err());
        assert!(check_url("not a url").is_err());
    }
}
