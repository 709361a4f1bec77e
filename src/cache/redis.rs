//! The Redis backend: a `ConnectionManager` with short timeouts behind a circuit breaker, and the
//! data version in a shared Redis counter (`<prefix>:data_version`).
//!
//! When Redis is down or slow every call still returns: reads are misses, writes are skipped.
//! Bumps made meanwhile are counted locally and pushed (plus one, since the outage may have
//! hidden others) before Redis is used again, so no instance trusts entries from before a write.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, FromRedisValue};

use super::breaker::{Breaker, Health, Permit};
use super::{CacheConfig, CacheError};

pub struct RedisStore {
    connection: ConnectionManager,
    breaker: Breaker,
    timeout: Duration,
    counter_key: String,
    /// The highest shared data version seen; with `pending_bumps`, the view while Redis is down.
    last_seen: AtomicU64,
    /// Bumps not yet applied to the shared counter.
    pending_bumps: AtomicU64,
    skipped_writes: AtomicU64,
    /// Held while pending bumps are pushed: a read that sees bumps pending waits for them.
    push_lock: tokio::sync::Mutex<()>,
}

/// Why a call got no value.
enum Failure {
    /// Redis is unreachable, slow or broken: counts toward opening the breaker.
    Down(String),
    /// Redis answered with an error for this command (a counter that is not an integer, say).
    Refused(String),
}

/// SCAN's batch size, and so the most keys one UNLINK removes.
const SCAN_BATCH: usize = 500;

impl RedisStore {
    /// Never fails because Redis is down: the store then starts with its breaker open.
    pub async fn connect(url: &str, config: &CacheConfig) -> Result<Self, CacheError> {
        let client = redis::Client::open(url).map_err(|err| CacheError::BadUrl(err.to_string()))?;
        let timeout = config.redis_timeout;
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(0);
        let connection = ConnectionManager::new_lazy_with_config(client, manager_config)
            .map_err(|err| CacheError::BadUrl(err.to_string()))?;
        let store = Self {
            connection,
            breaker: Breaker::new(config.breaker_failures, config.breaker_cooldown),
            timeout,
            counter_key: format!("{}:data_version", config.key_prefix),
            last_seen: AtomicU64::new(0),
            pending_bumps: AtomicU64::new(0),
            skipped_writes: AtomicU64::new(0),
            push_lock: tokio::sync::Mutex::new(()),
        };
        match store.run::<Option<u64>>(redis::cmd("GET").arg(&store.counter_key)).await {
            Ok(version) => store.last_seen.store(version.unwrap_or(0), Ordering::Release),
            Err(Failure::Down(err) | Failure::Refused(err)) => store.breaker.start_open(&err),
        }
        Ok(store)
    }

    /// The entry's envelope and the shared data version, in one round trip (MGET).
    pub async fn fetch(&self, key: &str) -> (Option<Bytes>, u64) {
        let read = redis::cmd("MGET").arg(&self.counter_key).arg(key).clone();
        match self.call::<(Option<u64>, Option<Bytes>)>(&read, false).await {
            Some((version, envelope)) => (envelope, self.saw(version.unwrap_or(0))),
            None => (None, self.local_view()),
        }
    }

    pub async fn store(&self, key: String, envelope: Bytes, ttl: Duration) {
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let write = redis::cmd("SET").arg(key).arg(envelope.as_ref()).arg("PX").arg(millis).clone();
        if self.call::<()>(&write, false).await.is_none() {
            self.skipped_writes.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub async fn delete(&self, key: &str) -> bool {
        self.call::<u64>(redis::cmd("UNLINK").arg(key), false).await.is_some_and(|count| count > 0)
    }

    /// Deletes every key starting with `prefix` (but never the data-version counter), in SCAN
    /// batches, never with KEYS; stops at the first failure.
    pub async fn delete_prefix(&self, prefix: &str) -> u64 {
        let pattern = format!("{}*", escape_glob(prefix));
        let (mut cursor, mut deleted) = (0u64, 0u64);
        loop {
            let scan = redis::cmd("SCAN").arg(cursor).arg("MATCH").arg(&pattern).arg("COUNT").arg(SCAN_BATCH).clone();
            let Some((next, keys)) = self.call::<(u64, Vec<Vec<u8>>)>(&scan, false).await else {
                return deleted;
            };
            let doomed: Vec<&Vec<u8>> =
                keys.iter().filter(|key| key.as_slice() != self.counter_key.as_bytes()).collect();
            if !doomed.is_empty() {
                let Some(count) = self.call::<u64>(redis::cmd("UNLINK").arg(doomed), false).await else {
                    return deleted;
                };
                deleted += count;
            }
            if next == 0 {
                return deleted;
            }
            cursor = next;
        }
    }

    pub async fn incr(&self, key: &str, delta: i64) -> Option<i64> {
        self.call::<i64>(redis::cmd("INCRBY").arg(key).arg(delta), false).await
    }

    pub async fn data_version(&self) -> u64 {
        match self.call::<Option<u64>>(redis::cmd("GET").arg(&self.counter_key), false).await {
            Some(version) => self.saw(version.unwrap_or(0)),
            None => self.local_view(),
        }
    }

    /// Bumps the shared counter; if that fails the bump is kept locally and the breaker opens
    /// at once, so no read trusts the counter until the bump has been pushed.
    pub async fn bump_data_version(&self) -> u64 {
        match self.call::<u64>(redis::cmd("INCR").arg(&self.counter_key), true).await {
            Some(version) => self.saw(version),
            None => {
                self.pending_bumps.fetch_add(1, Ordering::AcqRel);
                self.local_view()
            }
        }
    }

    pub fn health(&self) -> Health {
        self.breaker.health()
    }

    pub fn skipped_writes(&self) -> u64 {
        self.skipped_writes.load(Ordering::Relaxed)
    }

    /// Keys in the database and the server's memory use; `None` while Redis is down.
    pub async fn size(&self) -> (Option<u64>, Option<u64>) {
        let Some(keys) = self.call::<u64>(&redis::cmd("DBSIZE"), false).await else {
            return (None, None);
        };
        let info = self.call::<String>(redis::cmd("INFO").arg("memory"), false).await;
        let used = info.and_then(|info| {
            info.lines().find_map(|line| line.strip_prefix("used_memory:")).and_then(|bytes| bytes.trim().parse().ok())
        });
        (Some(keys), used)
    }

    fn saw(&self, version: u64) -> u64 {
        self.last_seen.fetch_max(version, Ordering::AcqRel);
        version
    }

    fn local_view(&self) -> u64 {
        self.last_seen.load(Ordering::Acquire) + self.pending_bumps.load(Ordering::Acquire)
    }

    /// Runs `cmd` if the breaker allows; `None` if Redis is down or the call failed.
    async fn call<T: FromRedisValue>(&self, cmd: &Cmd, trip: bool) -> Option<T> {
        match self.breaker.permit() {
            Permit::Refused => return None,
            Permit::Probe(probe) => match self.push_bumps(1).await {
                Ok(()) => probe.succeeded(),
                Err(err) => {
                    probe.failed(&err);
                    return None;
                }
            },
            Permit::Go if self.pending_bumps.load(Ordering::Acquire) > 0 => {
                if let Err(err) = self.push_bumps(0).await {
                    self.breaker.failed(&err, true);
                    return None;
                }
            }
            Permit::Go => {}
        }
        match self.run(cmd).await {
            Ok(value) => {
                self.breaker.succeeded();
                Some(value)
            }
            // A bump that did not happen must keep every reader off the shared counter.
            Err(Failure::Down(err)) | Err(Failure::Refused(err)) if trip => {
                self.breaker.failed(&err, true);
                None
            }
            Err(Failure::Down(err)) => {
                self.breaker.failed(&err, false);
                None
            }
            Err(Failure::Refused(err)) => {
                tracing::debug!(error = %err, "cache: Redis refused a command");
                None
            }
        }
    }

    /// Applies the pending bumps (plus `extra`) to the shared counter. They stay pending until
    /// Redis has applied them, so concurrent calls wait on the lock instead of reading past them.
    /// Tried twice: the first call after an outage may only set off the reconnection.
    async fn push_bumps(&self, extra: u64) -> Result<(), String> {
        let _pushing = self.push_lock.lock().await;
        let pending = self.pending_bumps.load(Ordering::Acquire);
        if pending + extra == 0 {
            return Ok(());
        }
        let bump = redis::cmd("INCRBY").arg(&self.counter_key).arg(pending + extra).clone();
        let outcome = match self.run::<u64>(&bump).await {
            Err(_) => self.run::<u64>(&bump).await,
            done => done,
        };
        match outcome {
            Ok(version) => {
                self.pending_bumps.fetch_sub(pending, Ordering::AcqRel);
                self.saw(version);
                Ok(())
            }
            Err(Failure::Down(err) | Failure::Refused(err)) => Err(err),
        }
    }

    async fn run<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T, Failure> {
        use redis::{ErrorKind, ServerErrorKind};
        let mut connection = self.connection.clone();
        match tokio::time::timeout(self.timeout, cmd.query_async::<T>(&mut connection)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => match err.kind() {
                ErrorKind::Server(ServerErrorKind::ResponseError | ServerErrorKind::ExecAbort)
                | ErrorKind::Extension
                | ErrorKind::UnexpectedReturnType => Err(Failure::Refused(err.to_string())),
                _ => Err(Failure::Down(err.to_string())),
            },
            Err(_) => Err(Failure::Down(format!("no answer within {} ms", self.timeout.as_millis()))),
        }
    }
}

/// `text` with Redis glob characters escaped, so a prefix matches only itself.
pub fn escape_glob(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        if matches!(character, '*' | '?' | '[' | ']' | '\\' | '^') {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}
