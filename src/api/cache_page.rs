//! Per-view caching (Django's `cache_page`) as a poem middleware any GET operation can use:
//! `#[oai(..., transform = "...")]` with a function that wraps the endpoint in [`CachePage`].
//!
//! - The key holds the path, the query string with its pairs sorted, the origin links are built
//!   on (from the Host), and the values of any headers the page varies on.
//! - Only successful answers to GET are kept, never errors, answers marked `private` or
//!   `no-store`, nor answers to requests that carry a token (`Authorization` or a cookie).
//! - Answers say `X-Cache: HIT` or `MISS`, `Cache-Control: max-age=` the seconds left, and carry
//!   the `ETag` of what they send; the conditional-request middleware answers `If-None-Match`.
//! - Entries are stamped with the data version, so a write makes them unreachable at once.
//!
//! The cache is found in the request's data (`Route::data(cache)`), so that the transform
//! functions, which have no `self`, need no arguments.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use poem::http::header::{self, HeaderName};
use poem::http::{HeaderValue, Method, StatusCode};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};

use super::conditional::etag_of;
use super::host::Origin;
use crate::cache::{Cache, CacheStatus, CachedResponse};

/// Where a cached answer says when it expires; kept with the entry, never sent.
const EXPIRES_AT: &str = "x-movielens-expires-at";

/// How a page that reports its own cache status starts its body; served from the cache, the
/// `MISS` it was stored with becomes `HIT`.
const REPORTED_MISS: &[u8] = br#"{"cache_status":"MISS""#;
const REPORTED_HIT: &[u8] = br#"{"cache_status":"HIT""#;

/// Caches whole answers of the endpoint it wraps for `ttl`.
#[derive(Debug, Clone)]
pub struct CachePage {
    ttl: Duration,
    vary: &'static [&'static str],
    reports_status: bool,
    /// A data page, which `--cache-pages false` leaves uncached.
    data_page: bool,
}

impl CachePage {
    pub fn for_seconds(seconds: u64) -> Self {
        Self { ttl: Duration::from_secs(seconds), vary: &[], reports_status: false, data_page: false }
    }

    /// Request headers whose values pick different answers; they join the key and `Vary`.
    pub fn vary_on(self, headers: &'static [&'static str]) -> Self {
        Self { vary: headers, ..self }
    }

    /// The page's JSON body starts with `{"cache_status":"MISS"`, to be `HIT` when served from
    /// the cache.
    pub fn reporting_status(self) -> Self {
        Self { reports_status: true, ..self }
    }
}

impl<E: Endpoint> Middleware<E> for CachePage {
    type Output = CachePageEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        CachePageEndpoint { inner, page: self.clone() }
    }
}

pub struct CachePageEndpoint<E> {
    inner: E,
    page: CachePage,
}

impl<E: Endpoint> Endpoint for CachePageEndpoint<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> poem::Result<Response> {
        let cache = request.data::<Cache>().cloned();
        let wanted = |cache: &Cache| cacheable_request(&request) && (!self.page.data_page || cache.caches_pages());
        let Some(cache) = cache.filter(wanted) else {
            return self.inner.call(request).await.map(IntoResponse::into_response);
        };
        let key = self.page.key(&request);
        let ttl = self.page.ttl;
        let loaded = cache
            .get_or_set_response(&key, ttl, move || async move {
                let response = self.inner.call(request).await.map(IntoResponse::into_response)?;
                self.page.to_cached(response).await
            })
            .await;
        match loaded {
            Ok(loaded) => Ok(self.page.to_response(loaded.value, loaded.status)),
            // Not cacheable (an error, a private answer): as the endpoint gave it.
            Err(Uncached::Response(response)) => Ok(response),
            Err(Uncached::Error(err)) => Err(err),
        }
    }
}

/// What the endpoint gave that is not to be cached.
enum Uncached {
    Response(Response),
    Error(poem::Error),
}

impl From<poem::Error> for Uncached {
    fn from(err: poem::Error) -> Self {
        Uncached::Error(err)
    }
}

fn cacheable_request(request: &Request) -> bool {
    request.method() == Method::GET
        && !request.headers().contains_key(header::AUTHORIZATION)
        && !request.headers().contains_key(header::COOKIE)
}

impl CachePage {
    /// `view:` + path + `?` + the sorted query pairs + the origin + each varied header's value.
    fn key(&self, request: &Request) -> String {
        let mut pairs: Vec<(String, String)> =
            form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes()).into_owned().collect();
        pairs.sort();
        let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        let origin = request.data::<Origin>().map_or("", |origin| origin.0.as_str());
        let mut key = format!("view:{}?{query}#{origin}", request.uri().path());
        for name in self.vary {
            let value = request.headers().get(*name).map_or(&b""[..], HeaderValue::as_bytes);
            key.push('#');
            key.push_str(&String::from_utf8_lossy(value));
        }
        key
    }

    /// The answer as it is kept, or back as it is if it must not be kept.
    async fn to_cached(&self, response: Response) -> Result<CachedResponse, Uncached> {
        let private = response.headers().get_all(header::CACHE_CONTROL).iter().any(|value| {
            let value = value.to_str().unwrap_or("").to_ascii_lowercase();
            value.contains("private") || value.contains("no-store")
        });
        if response.status() != StatusCode::OK || private {
            return Err(Uncached::Response(response));
        }
        let (parts, body) = response.into_parts();
        let body = match body.into_bytes().await {
            Ok(body) => body,
            Err(err) => return Err(Uncached::Error(err.into())),
        };
        let expires_at = SystemTime::now() + self.ttl;
        let mut headers: Vec<(String, Bytes)> = parts
            .headers
            .iter()
            // Each answer gets its own request id; a hit's body may differ in length.
            .filter(|(name, _)| {
                *name != header::ETAG && *name != header::CONTENT_LENGTH && name.as_str() != "x-request-id"
            })
            .map(|(name, value)| (name.as_str().to_string(), Bytes::copy_from_slice(value.as_bytes())))
            .collect();
        // The tag of the body as hits send it, worked out once.
        let etag = etag_of(&self.as_hit(&body));
        headers.push((header::ETAG.as_str().to_string(), Bytes::copy_from_slice(etag.as_bytes())));
        let seconds = expires_at.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        headers.push((EXPIRES_AT.to_string(), Bytes::from(seconds.to_string())));
        Ok(CachedResponse { status: parts.status.as_u16(), headers, body })
    }

    /// `body` as a hit sends it.
    fn as_hit(&self, body: &Bytes) -> Bytes {
        match body.strip_prefix(REPORTED_MISS) {
            Some(rest) if self.reports_status => [REPORTED_HIT, rest].concat().into(),
            _ => body.clone(),
        }
    }

    /// A kept answer as sent, with its cache status, freshness and tag.
    fn to_response(&self, cached: CachedResponse, status: CacheStatus) -> Response {
        let rewritten = self.reports_status && status == CacheStatus::Hit;
        let body = if rewritten { self.as_hit(&cached.body) } else { cached.body };
        // A miss that reports its status sends the body as stored, which is not what the kept
        // tag describes.
        let fresh_etag = (self.reports_status && status == CacheStatus::Miss).then(|| etag_of(&body));
        let mut response = Response::builder().status(StatusCode::from_u16(cached.status).unwrap_or(StatusCode::OK));
        let mut expires_at = 0;
        for (name, value) in &cached.headers {
            if name == EXPIRES_AT {
                expires_at = std::str::from_utf8(value).ok().and_then(|value| value.parse().ok()).unwrap_or(0);
            } else if name == header::ETAG.as_str() && fresh_etag.is_some() {
                continue;
            } else if let (Ok(name), Ok(value)) = (HeaderName::try_from(name.as_str()), HeaderValue::from_bytes(value))
            {
                response = response.header(name, value);
            }
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let max_age = u64::saturating_sub(expires_at, now).min(self.ttl.as_secs());
        if let Some(etag) = fresh_etag {
            response = response.header(header::ETAG, etag);
        }
        let mut response = response
            .header(header::CACHE_CONTROL, format!("max-age={max_age}"))
            .header("x-cache", status.as_str())
            .body(body);
        if !self.vary.is_empty() {
            let vary = HeaderValue::from_str(&self.vary.join(", ")).expect("header names are valid values");
            response.headers_mut().insert(header::VARY, vary);
        }
        response
    }
}

/// How long data pages (genres, movie lists and details, top-rated) are kept. Writes make them
/// unreachable at once, so this only bounds how long an unread entry holds memory.
const DATA_PAGE_SECONDS: u64 = 300;

/// The transform for cached data pages: `#[oai(..., transform = "cached_data_page")]`.
pub fn cached_data_page(endpoint: impl Endpoint) -> impl Endpoint {
    let page = CachePage { data_page: true, ..CachePage::for_seconds(DATA_PAGE_SECONDS) };
    poem::EndpointExt::with(endpoint, page)
}
