//! The server-rendered HTML pages for browsers, and the one sign-in they all share.
//!
//! Every page group (`/web/`, and later `/flower/`, `/silk/`, `/admin/`) is admin-only: a page
//! calls [`Sessions::require`] (or [`Sessions::require_form`] for a POST) and answers with the
//! shared response types in [`responses`]. Pages are rendered from embedded templates with HTML
//! escaping on, and served with strict security headers ([`headers`]).

pub mod admin;
pub mod assets;
pub mod cookies;
pub mod csrf;
pub mod flower;
pub mod headers;
pub mod login;
pub mod pages;
pub mod responses;
pub mod session;
pub mod silk;
pub mod templates;

use std::time::Duration;

use clap::Args;
use poem_openapi::Tags;

pub use session::{Refusal, Session, Sessions};

/// Swagger UI groups the pages under this tag.
#[derive(Tags)]
pub enum WebTags {
    /// The HTML pages for browsers: sign-in, sign-out and the admin pages. They answer HTML, not
    /// JSON, and use a session cookie (`movielens_session`, HttpOnly, SameSite=Strict) that
    /// `POST /login` sets when given the admin token. Every form carries a CSRF token (`csrf`).
    #[oai(rename = "Web pages")]
    WebPages,
}

/// How long a sign-in lasts.
#[derive(Debug, Clone, Copy, Args)]
pub struct SessionConfig {
    /// Hours a web sign-in lasts at most, however active (fractions allowed, e.g. 0.5).
    #[arg(long, env = "MOVIELENS_SESSION_HOURS", default_value_t = 12.0, value_parser = positive_hours)]
    pub session_hours: f64,

    /// Minutes without a page view after which a web sign-in ends (fractions allowed).
    #[arg(long, env = "MOVIELENS_SESSION_IDLE_MINUTES", default_value_t = 60.0, value_parser = positive_minutes)]
    pub session_idle_minutes: f64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self { session_hours: 12.0, session_idle_minutes: 60.0 }
    }
}

impl SessionConfig {
    pub fn lifetime(&self) -> Duration {
        Duration::from_secs_f64(self.session_hours * 3600.0)
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.session_idle_minutes * 60.0)
    }
}

/// A positive number of hours, at most a year.
fn positive_hours(value: &str) -> Result<f64, String> {
    positive_at_most(value, 24.0 * 366.0)
}

/// A positive number of minutes, at most a year.
fn positive_minutes(value: &str) -> Result<f64, String> {
    positive_at_most(value, 60.0 * 24.0 * 366.0)
}

fn positive_at_most(value: &str, max: f64) -> Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(number) if number.is_finite() && number > 0.0 && number <= max => Ok(number),
        _ => Err(format!("expected a positive number up to {max}, found '{value}'")),
    }
}

/// Paths served as HTML pages: they get the pages' security headers.
pub const PAGE_PREFIXES: &[&str] = &["/login", "/logout", "/web/", "/flower", "/silk", "/admin"];

/// Where a sign-in goes when it was not sent from a page (or `next` is not a local path).
pub const DEFAULT_NEXT: &str = "/flower/";

/// `next` if it is a path on this site, else [`DEFAULT_NEXT`]: one leading `/` (not `//`, which a
/// browser reads as another host), no backslash (some browsers read `/\` as `//`), printable
/// ASCII only (it goes into a `Location` header), at most 2048 bytes.
pub fn local_path(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && next.len() <= 2048
        && next.bytes().all(|byte| byte.is_ascii_graphic());
    if local {
        next
    } else {
        DEFAULT_NEXT
    }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_paths_on_this_site_are_followed_after_sign_in() {
        for good in ["/flower/", "/web/session?x=1", "/silk/a%2Fb"] {
            assert_eq!(local_path(good), good);
        }
        for bad in ["//evil.example", "https://evil.example", "/\\evil.example", "evil", "", "/a b", "/\u{e9}"] {
            assert_eq!(local_path(bad), "/flower/", "{bad}");
        }
    }
}
