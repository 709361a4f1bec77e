//! The debug headers on every response: `Server-Timing` (database, cache, the app's own time
//! and the total, shown by browsers' devtools and by curl) and `X-Query-Count`.

use std::time::Duration;

use poem::http::{HeaderName, HeaderValue};
use poem::Response;

use crate::cache::tally::CacheTally;
use crate::db::statements::Recording;

pub const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");
pub const QUERY_COUNT: HeaderName = HeaderName::from_static("x-query-count");

/// A request's time split: database, cache, the rest of the app, and the total.
#[derive(Debug, Clone, Copy)]
pub struct Phases {
    pub db: Duration,
    pub cache: Duration,
    pub app: Duration,
    pub total: Duration,
}

impl Phases {
    /// The app's share is what the database and the cache did not take. Statements may run on
    /// several threads at once, so it is never less than zero.
    pub fn of(recording: &Recording, cache: &CacheTally, total: Duration) -> Self {
        let (db, cache) = (recording.elapsed(), cache.elapsed);
        Self { db, cache, app: total.saturating_sub(db).saturating_sub(cache), total }
    }
}

fn ms(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64() * 1e3)
}

/// The `Server-Timing` value, e.g.
/// `db;dur=1.250;desc="3 queries", cache;dur=0.010;desc="1 hit, 0 misses", app;dur=0.400, total;dur=1.660`.
pub fn server_timing(phases: &Phases, queries: u64, cache: &CacheTally) -> String {
    let plural = |count: u64, one: &str, many: &str| format!("{count} {}", if count == 1 { one } else { many });
    format!(
        "db;dur={};desc=\"{}\", cache;dur={};desc=\"{}, {}\", app;dur={}, total;dur={}",
        ms(phases.db),
        plural(queries, "query", "queries"),
        ms(phases.cache),
        plural(cache.hits, "hit", "hits"),
        plural(cache.misses, "miss", "misses"),
        ms(phases.app),
        ms(phases.total),
    )
}

/// Adds both headers to `response`.
pub fn add(response: &mut Response, phases: &Phases, recording: &Recording, cache: &CacheTally) {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&server_timing(phases, recording.count(), cache)) {
        headers.insert(SERVER_TIMING, value);
    }
    headers.insert(QUERY_COUNT, HeaderValue::from(recording.count()));
}
