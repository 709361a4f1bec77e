//! The cache's operations on the caller's keys: typed JSON values, whole HTTP responses, and
//! single-flight loading for both.

use std::future::Future;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tracing::Instrument;

use super::flight::{self, Role};
use super::format::{self, CachedResponse, Format};
use super::tally;
use super::{Cache, CacheStatus, Fetched, Loaded};

fn encode_json<T: Serialize + ?Sized>(value: &T) -> Option<Bytes> {
    serde_json::to_vec(value).ok().map(Bytes::from)
}

fn decode_json<T: DeserializeOwned>(payload: &Bytes) -> Option<T> {
    serde_json::from_slice(payload).ok()
}

/// The span of one call to the backend: `operation` is `get` or `set`, `prefix` the key's first
/// `:`-separated part (the rest can hold user input, and is not recorded).
fn call_span(operation: &'static str, key: &str) -> tracing::Span {
    tracing::debug_span!("cache", operation, prefix = key.split(':').next().unwrap_or_default())
}

/// How a kind of value becomes a payload, and back.
type Codec<T> = (fn(&T) -> Option<Bytes>, fn(&Bytes) -> Option<T>);

impl Cache {
    /// The value under `key` if it is current, else `None` (counted as a hit or a miss).
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.fetch(key).await.value
    }

    /// Like [`Cache::get`], with the data version the read saw, for [`Cache::set_stamped`].
    pub async fn fetch<T: DeserializeOwned>(&self, key: &str) -> Fetched<T> {
        self.fetch_with(key, Format::Json, decode_json).await
    }

    /// Stores `value` for `ttl`, stamped with the data version current now. For a value read from
    /// the database, use [`Cache::get_or_set`] or [`Cache::fetch`] and [`Cache::set_stamped`]
    /// instead: a write between that read and this call would go unnoticed.
    pub async fn set<T: Serialize + ?Sized>(&self, key: &str, value: &T, ttl: Duration) {
        let data_version = self.data_version().await;
        self.set_stamped(key, value, ttl, data_version).await;
    }

    /// Stores `value` for `ttl`, stamped with `data_version`, the version seen when the read
    /// that produced `value` began (from [`Cache::fetch`] or [`Cache::data_version`]).
    pub async fn set_stamped<T: Serialize + ?Sized>(&self, key: &str, value: &T, ttl: Duration, data_version: u64) {
        self.store_with(key, value, ttl, data_version, Format::Json, encode_json).await;
    }

    /// The value under `key`, or `load`'s result, stored for `ttl`. Concurrent misses on one key
    /// in this instance run `load` once; the others wait for it. A failed (or cancelled) load is
    /// not stored, and its waiters try again.
    pub async fn get_or_set<T, E, F, Fut>(&self, key: &str, ttl: Duration, load: F) -> Result<Loaded<T>, E>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.load_with(key, ttl, load, Format::Json, (encode_json, decode_json)).await
    }

    /// A cached whole response under `key`, and the data version the read saw.
    pub async fn fetch_response(&self, key: &str) -> Fetched<CachedResponse> {
        self.fetch_with(key, Format::Response, CachedResponse::decode).await
    }

    /// Stores a whole response, stamped as for [`Cache::set_stamped`].
    pub async fn set_response(&self, key: &str, value: &CachedResponse, ttl: Duration, data_version: u64) {
        self.store_with(key, value, ttl, data_version, Format::Response, CachedResponse::encode).await;
    }

    /// [`Cache::get_or_set`] for whole responses; `load` returns `Err` for a response that must
    /// not be cached (an error, a private one), which is then handed back as it is.
    pub async fn get_or_set_response<E, F, Fut>(
        &self,
        key: &str,
        ttl: Duration,
        load: F,
    ) -> Result<Loaded<CachedResponse>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<CachedResponse, E>>,
    {
        self.load_with(key, ttl, load, Format::Response, (CachedResponse::encode, CachedResponse::decode)).await
    }

    /// Removes `key`; `true` if it was there.
    pub async fn delete(&self, key: &str) -> bool {
        self.0.backend.delete(&self.full_key(key)).await
    }

    /// Removes every key that starts with `prefix` (e.g. `view:/api/genres`); returns how many.
    /// On Redis this walks SCAN batches, never KEYS.
    pub async fn delete_prefix(&self, prefix: &str) -> u64 {
        self.0.backend.delete_prefix(&self.full_key(prefix)).await
    }

    /// Adds `delta` to the counter under `key` (a missing one starts at 0) and returns the new
    /// value; `None` while Redis is down. Counters are plain integers, not data-versioned.
    pub async fn incr(&self, key: &str, delta: i64) -> Option<i64> {
        self.0.backend.incr(&self.full_key(key), delta).await
    }

    async fn fetch_with<T>(&self, key: &str, format: Format, decode: fn(&Bytes) -> Option<T>) -> Fetched<T> {
        let full_key = self.full_key(key);
        let started = Instant::now();
        let (envelope, data_version) = self.0.backend.fetch(&full_key).instrument(call_span("get", key)).await;
        let value = envelope.and_then(|envelope| format::open(&envelope, format, data_version));
        let value = value.and_then(|payload| decode(&payload));
        self.0.counters.record(key, value.is_some());
        tally::lookup(key, value.is_some(), started);
        Fetched { value, data_version }
    }

    async fn store_with<T: ?Sized>(
        &self,
        key: &str,
        value: &T,
        ttl: Duration,
        data_version: u64,
        format: Format,
        encode: fn(&T) -> Option<Bytes>,
    ) {
        if let Some(payload) = encode(value) {
            let started = Instant::now();
            let envelope = format::seal(format, data_version, &payload);
            self.0.backend.store(self.full_key(key), envelope, ttl).instrument(call_span("set", key)).await;
            tally::store(key, started);
        }
    }

    async fn load_with<T, E, F, Fut>(
        &self,
        key: &str,
        ttl: Duration,
        load: F,
        format: Format,
        codec: Codec<T>,
    ) -> Result<Loaded<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let full_key = self.full_key(key);
        let mut load = Some(load);
        let mut counted = false;
        loop {
            let started = Instant::now();
            let (envelope, data_version) = self.0.backend.fetch(&full_key).instrument(call_span("get", key)).await;
            let found = envelope.and_then(|envelope| format::open(&envelope, format, data_version));
            if let Some(value) = found.and_then(|payload| (codec.1)(&payload)) {
                if !counted {
                    self.0.counters.record(key, true);
                    tally::lookup(key, true, started);
                }
                return Ok(Loaded { value, status: CacheStatus::Hit });
            }
            if !counted {
                self.0.counters.record(key, false);
                tally::lookup(key, false, started);
                counted = true;
            }
            match self.0.flights.join(&full_key, data_version) {
                Role::Leader(lead) => {
                    let load = load.take().expect("a call leads at most once: leading returns");
                    let value = load().await?;
                    if let Some(payload) = (codec.0)(&value) {
                        // Waiters and newcomers get the value now; the flight stays open until it
                        // is stored, so no newcomer misses and computes it again.
                        lead.publish(payload.clone());
                        let started = Instant::now();
                        let envelope = format::seal(format, data_version, &payload);
                        self.0.backend.store(full_key, envelope, ttl).instrument(call_span("set", key)).await;
                        tally::store(key, started);
                    }
                    return Ok(Loaded { value, status: CacheStatus::Miss });
                }
                Role::Waiter(receiver) => {
                    if let Some(value) = flight::wait(receiver).await.and_then(|payload| (codec.1)(&payload)) {
                        return Ok(Loaded { value, status: CacheStatus::Miss });
                    }
                }
            }
        }
    }
}
