//! The cache: one [`Cache`] type for the whole app, over moka in this process (the default) or a
//! Redis (or Valkey, Dragonfly) shared by several instances (`--cache-url`).
//!
//! - **Keys** are `<prefix>:<version>:<key>` (Django's `KEY_PREFIX` and `VERSION`). The first
//!   `:`-separated part of the caller's key (`view`, `manual`, ...) names its row in the stats.
//! - **Values** are envelopes in one format on both backends (see [`format`]): a format byte, the
//!   data version the value was computed under, and JSON or a whole HTTP response.
//! - **Never stale:** every write bumps the data version before its response is sent. A read
//!   accepts an entry only if its stamp equals the current data version, and a value is stamped
//!   with the version current when the read that produced it began. On Redis the version is a
//!   shared counter read in the same round trip as the entry, so a write on one instance is seen
//!   by the next read on any other.
//! - **Degrades, never fails:** with Redis down or slow, reads are misses and writes are skipped;
//!   a circuit breaker keeps calls from waiting out the timeout, and Redis is used again when it
//!   answers, without a restart.

mod backend;
mod breaker;
mod flight;
pub mod format;
mod memory;
mod ops;
mod redis;
mod stats;
pub mod tally;

use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use poem_openapi::Enum;
use serde::Serialize;

pub use format::CachedResponse;
pub use stats::{CacheStats, PrefixStats, RedisHealth};

use backend::Backend;
use flight::Flights;
use stats::Counters;

/// Where the cache lives and how its keys are made.
#[derive(Debug, Clone, Args)]
pub struct CacheConfig {
    /// Redis URL for a cache shared by several instances, e.g. `redis://127.0.0.1:6379/1`.
    /// Unset: an in-process cache.
    #[arg(long = "cache-url", env = "MOVIELENS_CACHE_URL", value_parser = parse_redis_url)]
    pub url: Option<String>,

    /// Bytes the in-process cache may hold, keys and values counted.
    #[arg(long = "cache-max-bytes", env = "MOVIELENS_CACHE_MAX_BYTES", default_value_t = 64 << 20, value_name = "BYTES",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_bytes: u64,

    /// The first part of every key (Django's KEY_PREFIX): instances that share a Redis and a
    /// database use the same one. No `:` or spaces.
    #[arg(long = "cache-key-prefix", env = "MOVIELENS_CACHE_KEY_PREFIX", default_value = "movielens",
          value_parser = parse_key_prefix)]
    pub key_prefix: String,

    /// The second part of every key (Django's VERSION): a new one leaves every old entry behind.
    #[arg(long = "cache-key-version", env = "MOVIELENS_CACHE_KEY_VERSION", default_value_t = 1)]
    pub key_version: u32,

    /// Milliseconds to wait for Redis to connect or answer before a call counts as a miss.
    #[arg(long = "cache-timeout-ms", env = "MOVIELENS_CACHE_TIMEOUT_MS", default_value = "250", value_name = "MS",
          value_parser = parse_millis)]
    pub redis_timeout: Duration,

    /// Milliseconds calls stay away from Redis after it failed, before one call probes it again.
    #[arg(long = "cache-retry-ms", env = "MOVIELENS_CACHE_RETRY_MS", default_value = "1000", value_name = "MS",
          value_parser = parse_millis)]
    pub breaker_cooldown: Duration,

    /// Whether the data pages (genres, movie lists and details, top-rated) go through the per-view
    /// cache; the caching lessons always do. Off, to measure the pages uncached.
    #[arg(long = "cache-pages", env = "MOVIELENS_CACHE_PAGES", default_value_t = true, action = clap::ArgAction::Set)]
    pub pages: bool,

    /// Consecutive Redis failures that open the circuit breaker.
    #[arg(skip = 3u32)]
    pub breaker_failures: u32,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            url: None,
            max_bytes: 64 << 20,
            key_prefix: "movielens".to_string(),
            key_version: 1,
            redis_timeout: Duration::from_millis(250),
            breaker_cooldown: Duration::from_millis(1000),
            pages: true,
            breaker_failures: 3,
        }
    }
}

fn parse_redis_url(value: &str) -> Result<String, String> {
    ::redis::Client::open(value).map_err(|err| format!("not a Redis URL such as redis://127.0.0.1:6379/1: {err}"))?;
    Ok(value.to_string())
}

fn parse_key_prefix(value: &str) -> Result<String, String> {
    if value.is_empty() || value.contains(|c: char| c == ':' || c.is_whitespace() || c.is_control()) {
        return Err("a key prefix is a non-empty word without ':' or spaces".to_string());
    }
    Ok(value.to_string())
}

fn parse_millis(value: &str) -> Result<Duration, String> {
    match value.parse::<u64>() {
        Ok(millis) if millis > 0 => Ok(Duration::from_millis(millis)),
        _ => Err(format!("'{value}' is not a positive number of milliseconds")),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("the cache URL is not usable: {0}")]
    BadUrl(String),
}

/// Whether a value came from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Enum)]
#[oai(rename_all = "UPPERCASE")]
#[serde(rename_all = "UPPERCASE")]
pub enum CacheStatus {
    /// Served from the cache.
    Hit,
    /// Computed (by this call, or by a concurrent one it waited for).
    Miss,
}

impl CacheStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Hit => "HIT",
            CacheStatus::Miss => "MISS",
        }
    }
}

/// A value from [`Cache::get_or_set`], and whether it was a hit.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded<T> {
    pub value: T,
    pub status: CacheStatus,
}

/// What a read found (`None`: a miss), and the data version it saw: pass that version to
/// [`Cache::set_stamped`] when storing a value computed after the miss.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched<T> {
    pub value: Option<T>,
    pub data_version: u64,
}

/// The app's cache; cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct Cache(Arc<Inner>);

struct Inner {
    backend: Backend,
    /// `<prefix>:<version>:`, put before every caller's key.
    key_start: String,
    /// `<prefix>:`, which `clear` removes on Redis (every key version, never other prefixes).
    prefix_start: String,
    /// `--cache-pages`.
    pages: bool,
    flights: Flights,
    counters: Counters,
}

impl Cache {
    /// Builds the configured backend. Fails only on an unusable URL; a Redis that is down is
    /// not an error (the cache starts degraded and probes it).
    pub async fn new(config: &CacheConfig) -> Result<Self, CacheError> {
        let backend = match &config.url {
            None => Backend::Memory(memory::MemoryStore::new(config.max_bytes)),
            Some(url) => Backend::Redis(redis::RedisStore::connect(url, config).await?),
        };
        Ok(Self::with_backend(backend, config))
    }

    /// The in-process cache of `config`, whatever its URL says; needs no runtime (the OpenAPI
    /// document is built without one).
    pub fn in_process(config: &CacheConfig) -> Self {
        Self::with_backend(Backend::Memory(memory::MemoryStore::new(config.max_bytes)), config)
    }

    fn with_backend(backend: Backend, config: &CacheConfig) -> Self {
        Self(Arc::new(Inner {
            backend,
            key_start: format!("{}:{}:", config.key_prefix, config.key_version),
            prefix_start: format!("{}:", config.key_prefix),
            pages: config.pages,
            flights: Flights::default(),
            counters: Counters::default(),
        }))
    }

    /// Whether the data pages are cached (`--cache-pages`).
    pub fn caches_pages(&self) -> bool {
        self.0.pages
    }

    /// `memory` or `redis`.
    pub fn backend(&self) -> &'static str {
        self.0.backend.name()
    }

    /// The full key for the caller's `key`.
    pub fn full_key(&self, key: &str) -> String {
        format!("{}{key}", self.0.key_start)
    }

    /// The current data version (on Redis, the shared counter; while Redis is down, this
    /// instance's view of it, which still moves with every local bump).
    pub async fn data_version(&self) -> u64 {
        self.0.backend.data_version().await
    }

    /// Makes every entry computed before now unreachable; call it in every write, before the
    /// write's response is sent. Returns the new version.
    pub async fn bump_data_version(&self) -> u64 {
        self.0.backend.bump_data_version().await
    }

    /// Removes every entry under our key prefix (all key versions); other prefixes' keys in a
    /// shared Redis, and the data version, are left alone.
    pub async fn clear(&self) {
        match &self.0.backend {
            Backend::Memory(store) => store.clear(),
            Backend::Redis(store) => {
                store.delete_prefix(&self.0.prefix_start).await;
            }
        }
    }

    /// Runs the in-memory cache's pending evictions and expirations (no-op on Redis).
    pub async fn run_pending_tasks(&self) {
        if let Backend::Memory(store) = &self.0.backend {
            store.run_pending_tasks().await;
        }
    }

    /// Hits and misses per key prefix since start, without asking the backend anything.
    pub fn hit_counts(&self) -> Vec<PrefixStats> {
        self.0.counters.snapshot().0
    }

    pub async fn stats(&self) -> CacheStats {
        // moka counts entries and bytes as its pending housekeeping runs: run it, so the figures
        // include the latest inserts.
        self.run_pending_tasks().await;
        let (prefixes, hits, misses) = self.0.counters.snapshot();
        let data_version = self.data_version().await;
        let (entries, bytes, max_bytes, evictions, redis) = match &self.0.backend {
            Backend::Memory(store) => (
                Some(store.entry_count()),
                Some(store.weighted_size()),
                Some(store.max_bytes()),
                store.evictions(),
                None,
            ),
            Backend::Redis(store) => {
                let (entries, bytes) = store.size().await;
                let health = store.health();
                let redis = RedisHealth {
                    up: health.up,
                    since_unix_ms: health.since_unix_ms,
                    last_error: health.last_error,
                    skipped_writes: store.skipped_writes(),
                    outages: health.outages,
                };
                (entries, bytes, None, 0, Some(redis))
            }
        };
        CacheStats {
            backend: self.backend().to_string(),
            hits,
            misses,
            hit_ratio: stats::ratio(hits, misses),
            prefixes,
            entries,
            bytes,
            max_bytes,
            evictions,
            data_version,
            redis,
        }
    }
}
