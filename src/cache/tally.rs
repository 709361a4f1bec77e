//! The cache calls of the request being served: hits, misses, the time spent in the cache, and
//! the first calls one by one, for the request inspector and the debug headers.
//!
//! Kept per request in a task-local, like the statement recorder's recordings, so that counting
//! needs no lock and no request sees another's calls. Outside a request nothing is kept.

use std::cell::RefCell;
use std::future::Future;
use std::time::{Duration, Instant};

/// Calls kept one by one per request; beyond this only the counts and time grow.
pub const MAX_KEPT_CALLS: usize = 100;

/// One cache call.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheCall {
    /// The caller's key (without the instance's prefix and version).
    pub key: String,
    /// `get` for a lookup, `set` for a store.
    pub operation: &'static str,
    /// Whether a lookup found a current entry; `None` for a store.
    pub hit: Option<bool>,
    pub elapsed: Duration,
}

/// What one request asked of the cache.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CacheTally {
    pub hits: u64,
    pub misses: u64,
    /// Time spent in cache calls (lookups and stores), not waiting for another request's load.
    pub elapsed: Duration,
    /// The first [`MAX_KEPT_CALLS`] calls, in order.
    pub calls: Vec<CacheCall>,
}

tokio::task_local! {
    static TALLY: RefCell<CacheTally>;
}

/// Runs a request's future and returns, with its output, the cache calls it made.
pub async fn in_request<F: Future>(request: F) -> (F::Output, CacheTally) {
    TALLY
        .scope(RefCell::new(CacheTally::default()), async {
            let output = request.await;
            (output, TALLY.with(|tally| tally.take()))
        })
        .await
}

/// Counts a lookup of `key` that began at `started`.
pub fn lookup(key: &str, hit: bool, started: Instant) {
    note(key, "get", Some(hit), started.elapsed());
}

/// Counts a store of `key` that began at `started`.
pub fn store(key: &str, started: Instant) {
    note(key, "set", None, started.elapsed());
}

fn note(key: &str, operation: &'static str, hit: Option<bool>, elapsed: Duration) {
    let _ = TALLY.try_with(|tally| {
        let mut tally = tally.borrow_mut();
        match hit {
            Some(true) => tally.hits += 1,
            Some(false) => tally.misses += 1,
            None => {}
        }
        tally.elapsed += elapsed;
        if tally.calls.len() < MAX_KEPT_CALLS {
            tally.calls.push(CacheCall { key: key.to_string(), operation, hit, elapsed });
        }
    });
}
