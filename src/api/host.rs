//! The Host check (Django's ALLOWED_HOSTS) and the origin that absolute links are built on.
//!
//! A request whose Host is not allowed gets 400, so a forged Host can never reach a link. With a
//! public URL configured, links use it whatever the request says.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::{Endpoint, Middleware, Request};

/// The scheme and authority (and any path prefix) links start with, e.g. `http://localhost:8000`.
#[derive(Debug, Clone)]
pub struct Origin(pub String);

/// Which hosts are served, and where link origins come from.
#[derive(Debug, Clone)]
pub struct HostPolicy {
    /// Lower-case names; `*` is any host, a leading `.` also matches subdomains.
    allowed: Arc<Vec<String>>,
    public_url: Option<String>,
    trust_proxy: bool,
}

impl HostPolicy {
    /// `allowed` empty means the defaults: localhost, 127.0.0.1, ::1 and `extra_defaults` (the
    /// bind host and the public URL's host).
    pub fn new(allowed: &[String], extra_defaults: &[String], public_url: Option<String>, trust_proxy: bool) -> Self {
        let defaults = ["localhost", "127.0.0.1", "::1"].map(String::from);
        let names: Vec<&String> =
            if allowed.is_empty() { defaults.iter().chain(extra_defaults).collect() } else { allowed.iter().collect() };
        let allowed = names.into_iter().map(|name| normalise(name)).filter(|name| !name.is_empty()).collect();
        Self { allowed: Arc::new(allowed), public_url, trust_proxy }
    }

    fn allows(&self, name: &str) -> bool {
        self.allowed.iter().any(|pattern| {
            pattern == "*"
                || pattern == name
                || pattern.strip_prefix('.').is_some_and(|domain| {
                    name == domain || name.strip_suffix(domain).is_some_and(|sub| sub.ends_with('.'))
                })
        })
    }

    /// The request's origin, or why its host is refused.
    fn origin_of(&self, request: &Request) -> Result<String, String> {
        let header = |name: &str| {
            let value = request.headers().get(name)?.to_str().ok()?;
            value.split(',').next().map(str::trim).filter(|value| !value.is_empty())
        };
        let forwarded_host = if self.trust_proxy { header("x-forwarded-host") } else { None };
        let host = forwarded_host
            .or_else(|| header("host"))
            .map(str::to_string)
            .or_else(|| request.uri().authority().map(|authority| authority.to_string()))
            .ok_or("the request has no Host header")?;
        let name = host_name(&host).ok_or_else(|| format!("the Host header '{host}' is not a valid host"))?;
        if !self.allows(&name) {
            return Err(format!("the host '{name}' is not allowed; see --allowed-hosts"));
        }
        if let Some(public_url) = &self.public_url {
            return Ok(public_url.clone());
        }
        let forwarded_proto = if self.trust_proxy { header("x-forwarded-proto") } else { None };
        let scheme = match forwarded_proto.map(str::to_ascii_lowercase).as_deref() {
            Some("https") => "https",
            _ => "http",
        };
        Ok(format!("{scheme}://{}", host.to_ascii_lowercase()))
    }
}

/// The host name of a `Host` value (without its port), lower-case, if the value is well formed:
/// a DNS name or IPv4 address, or an IPv6 address in brackets, then optionally `:port`.
fn host_name(host: &str) -> Option<String> {
    let host = host.to_ascii_lowercase();
    let (name, port) = if host.starts_with('[') {
        let end = host.find(']')? + 1;
        match &host[end..] {
            "" => (&host[..end], None),
            rest => (&host[..end], Some(rest.strip_prefix(':')?)),
        }
    } else {
        match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host.as_str(), None),
        }
    };
    let name_ok = if let Some(inner) = name.strip_prefix('[').and_then(|name| name.strip_suffix(']')) {
        inner.contains(':') && inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
    } else {
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    };
    let port_ok =
        port.is_none_or(|port| !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit()));
    (name_ok && port_ok).then(|| normalise(name))
}

/// Compares names without brackets around IPv6 addresses and without a trailing dot.
fn normalise(name: &str) -> String {
    let name = name.trim().to_ascii_lowercase();
    let name = name.strip_prefix('[').and_then(|name| name.strip_suffix(']')).unwrap_or(&name);
    name.strip_suffix('.').unwrap_or(name).to_string()
}

impl<E: Endpoint> Middleware<E> for HostPolicy {
    type Output = HostCheck<E>;

    fn transform(&self, inner: E) -> Self::Output {
        HostCheck { inner, policy: self.clone() }
    }
}

pub struct HostCheck<E> {
    inner: E,
    policy: HostPolicy,
}

impl<E: Endpoint> Endpoint for HostCheck<E> {
    type Output = E::Output;

    async fn call(&self, mut request: Request) -> poem::Result<Self::Output> {
        let origin = self
            .policy
            .origin_of(&request)
            .map_err(|message| poem::Error::from_string(message, StatusCode::BAD_REQUEST))?;
        request.extensions_mut().insert(Origin(origin));
        self.inner.call(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_values_are_checked_like_django() {
        assert_eq!(host_name("LocalHost:8000").as_deref(), Some("localhost"));
        assert_eq!(host_name("[::1]:8000").as_deref(), Some("::1"));
        assert_eq!(host_name("example.com.").as_deref(), Some("example.com"));
        for bad in ["a/b?c", "evil.example:80:80", "[::1]x", "", "host:", "exa mple"] {
            assert_eq!(host_name(bad), None, "{bad}");
        }
        let policy = HostPolicy::new(&[".example.com".to_string()], &[], None, false);
        assert!(policy.allows("example.com") && policy.allows("api.example.com"));
        assert!(!policy.allows("badexample.com") && !policy.allows("localhost"));
    }
}
