//! The pages' two cookies, read from the `Cookie` header and written as `Set-Cookie` values.
//! Both are HttpOnly (no script reads them) and SameSite=Strict (no other site's page sends
//! them), and Secure when the site is served over https.

use poem::http::header;
use poem::Request;

use crate::api::host::Origin;

/// The session cookie: a random 256-bit id, hex.
pub const SESSION: &str = "movielens_session";

/// The sign-in form's CSRF cookie (double submit): the form must send the same value back.
pub const LOGIN_CSRF: &str = "movielens_login_csrf";

/// The sign-in CSRF cookie lives this long: long enough to fill in the form.
pub const LOGIN_CSRF_MAX_AGE_SECS: u64 = 3600;

/// The value of cookie `name`, if the request sends one that looks like our tokens (64 hex).
pub fn token(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim().to_string())
        .filter(|value| is_token(value))
}

/// 64 lower-case hex digits: the shape of every token we issue.
pub fn is_token(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether the site is reached over https (`--public-url https://...`, or a trusted proxy's
/// `X-Forwarded-Proto: https`): then cookies are marked Secure.
pub fn over_https(request: &Request) -> bool {
    request.extensions().get::<Origin>().is_some_and(|origin| origin.0.starts_with("https://"))
}

/// A `Set-Cookie` value for `name=value` on `path`, kept `max_age_secs`.
pub fn set(name: &str, value: &str, path: &str, max_age_secs: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path={path}; Max-Age={max_age_secs}; HttpOnly; SameSite=Strict{secure}")
}

/// A `Set-Cookie` value that removes cookie `name` from `path`.
pub fn clear(name: &str, path: &str, secure: bool) -> String {
    set(name, "", path, 0, secure)
}
