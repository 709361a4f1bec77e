//! Security headers on every answer under the pages' paths ([`super::PAGE_PREFIXES`]): a
//! Content-Security-Policy that allows only this origin's files (so no inline script can run,
//! whatever a template might let through), no framing, no sniffing, no referrer to other sites,
//! and no caching of pages (static files set their own long `Cache-Control`).

use std::sync::Arc;

use poem::http::{header, HeaderValue};
use poem::{Endpoint, IntoResponse, Request, Response};

use super::PAGE_PREFIXES;

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Whether `path` is one of the pages' (`/login`, `/web/...`, `/flower...`, ...).
pub fn is_page_path(path: &str) -> bool {
    PAGE_PREFIXES.iter().any(|prefix| {
        path.strip_prefix(prefix).is_some_and(|rest| prefix.ends_with('/') || rest.is_empty() || rest.starts_with('/'))
    })
}

/// Adds the pages' security headers to answers under their paths.
pub async fn secure_pages<E: Endpoint>(endpoint: Arc<E>, request: Request) -> poem::Result<Response> {
    let page = is_page_path(request.original_uri().path());
    let result = endpoint.call(request).await.map(IntoResponse::into_response);
    if !page {
        return result;
    }
    // Outside the request context, which has turned every error into a response already.
    let mut response = result?;
    let headers = response.headers_mut();
    let fixed = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::is_page_path;

    #[test]
    fn page_paths_are_recognised_by_whole_segments() {
        for page in ["/login", "/login/", "/logout", "/web/session", "/flower", "/flower/tasks", "/admin"] {
            assert!(is_page_path(page), "{page}");
        }
        for other in ["/loginx", "/api/movies", "/docs", "/flowers", "/", "/web"] {
            assert!(!is_page_path(other), "{other}");
        }
    }
}
