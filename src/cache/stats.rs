//! Hit and miss counters per key prefix (moka keeps none), and the stats the API reports.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

use poem_openapi::Object;
use serde::Serialize;

/// Prefixes counted separately at most; further ones are counted together as `other`, so
/// hostile keys cannot grow the table.
const MAX_PREFIXES: usize = 64;

#[derive(Default)]
pub struct Counters {
    by_prefix: RwLock<HashMap<String, Tally>>,
}

#[derive(Default)]
struct Tally {
    hits: AtomicU64,
    misses: AtomicU64,
}

impl Tally {
    fn add(&self, hit: bool) {
        let counter = if hit { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

impl Counters {
    /// Counts a lookup of `key` (the caller's key) under its first `:`-separated segment. The
    /// common path takes a shared read lock and bumps an atomic.
    pub fn record(&self, key: &str, hit: bool) {
        let prefix = key.split(':').next().unwrap_or_default();
        if let Some(tally) = self.by_prefix.read().unwrap_or_else(|poisoned| poisoned.into_inner()).get(prefix) {
            tally.add(hit);
            return;
        }
        let mut map = self.by_prefix.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        let name = if map.len() < MAX_PREFIXES || map.contains_key(prefix) { prefix } else { "other" };
        map.entry(name.to_string()).or_default().add(hit);
    }

    /// Per-prefix figures, sorted by prefix, and their totals.
    pub fn snapshot(&self) -> (Vec<PrefixStats>, u64, u64) {
        let map = self.by_prefix.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut prefixes: Vec<PrefixStats> = map
            .iter()
            .map(|(prefix, tally)| {
                let (hits, misses) = (tally.hits.load(Ordering::Relaxed), tally.misses.load(Ordering::Relaxed));
                PrefixStats { prefix: prefix.clone(), hits, misses, hit_ratio: ratio(hits, misses) }
            })
            .collect();
        prefixes.sort_by(|a, b| a.prefix.cmp(&b.prefix));
        let hits = prefixes.iter().map(|p| p.hits).sum();
        let misses = prefixes.iter().map(|p| p.misses).sum();
        (prefixes, hits, misses)
    }
}

pub fn ratio(hits: u64, misses: u64) -> f64 {
    match hits + misses {
        0 => 0.0,
        total => hits as f64 / total as f64,
    }
}

/// The cache's figures since the server started.
#[derive(Debug, Clone, Serialize, Object)]
pub struct CacheStats {
    /// `memory` (moka, in this process) or `redis`.
    pub backend: String,
    /// Lookups that found a current entry.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub hits: u64,
    /// Lookups that found nothing, an expired entry or one from an older data version.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub misses: u64,
    /// hits / (hits + misses); 0 before the first lookup.
    pub hit_ratio: f64,
    /// The same figures per key prefix (the first `:`-separated part of a key, e.g. `view`).
    pub prefixes: Vec<PrefixStats>,
    /// Entries held. In memory, this process's; on Redis, the keys in its database (DBSIZE),
    /// absent while Redis is down.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries: Option<u64>,
    /// Bytes held. In memory, keys and values as weighed against `max_bytes`; on Redis, the
    /// server's `used_memory`, absent while Redis is down.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// The in-memory bound (`--cache-max-bytes`); absent on Redis.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_bytes: Option<u64>,
    /// Entries the in-memory cache dropped to stay within `max_bytes`.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub evictions: u64,
    /// The current data version: every write bumps it, and entries from older versions are
    /// never served.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub data_version: u64,
    /// Redis's state; absent for the in-memory backend.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis: Option<RedisHealth>,
}

/// One key prefix's hits and misses.
#[derive(Debug, Clone, Serialize, Object)]
pub struct PrefixStats {
    /// The first `:`-separated part of the key (`other` once 64 prefixes are counted).
    pub prefix: String,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub hits: u64,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub misses: u64,
    /// hits / (hits + misses).
    pub hit_ratio: f64,
}

/// Whether Redis is in use, and since when.
#[derive(Debug, Clone, Serialize, Object)]
pub struct RedisHealth {
    /// `true` while calls go to Redis; `false` while the circuit breaker keeps them away.
    pub up: bool,
    /// When the current state began, in milliseconds since the Unix epoch.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub since_unix_ms: u64,
    /// The most recent Redis error, if any.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Writes not made because Redis was down or failed.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub skipped_writes: u64,
    /// How many times Redis became unreachable.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub outages: u64,
}
