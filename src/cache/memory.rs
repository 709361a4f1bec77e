//! The in-process backend: a moka cache bounded by the bytes of its keys and values, with a TTL
//! per entry, and the data version in an atomic.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use moka::future::Cache as Moka;
use moka::notification::RemovalCause;
use moka::ops::compute::Op;
use moka::Expiry;

/// A stored envelope (or counter) and how long it lives.
#[derive(Clone)]
struct Stored {
    bytes: Bytes,
    /// `None` keeps the entry's current expiry on update (counters), or never expires on insert.
    ttl: Option<Duration>,
}

/// Bytes per entry beyond its key and value (moka's node, the `Arc`s): counted so that a flood of
/// tiny entries cannot exceed the bound by much either.
const ENTRY_OVERHEAD: usize = 96;

struct PerEntryTtl;

impl Expiry<String, Stored> for PerEntryTtl {
    fn expire_after_create(&self, _key: &String, value: &Stored, _created_at: Instant) -> Option<Duration> {
        value.ttl
    }

    fn expire_after_update(
        &self,
        _key: &String,
        value: &Stored,
        _updated_at: Instant,
        duration_until_expiry: Option<Duration>,
    ) -> Option<Duration> {
        value.ttl.or(duration_until_expiry)
    }
}

pub struct MemoryStore {
    entries: Moka<String, Stored>,
    data_version: AtomicU64,
    evictions: Arc<AtomicU64>,
    max_bytes: u64,
}

impl MemoryStore {
    pub fn new(max_bytes: u64) -> Self {
        let evictions = Arc::new(AtomicU64::new(0));
        let counted = evictions.clone();
        let entries = Moka::builder()
            .max_capacity(max_bytes)
            .weigher(|key: &String, value: &Stored| {
                u32::try_from(key.len() + value.bytes.len() + ENTRY_OVERHEAD).unwrap_or(u32::MAX)
            })
            .expire_after(PerEntryTtl)
            .eviction_listener(move |_key, _value, cause| {
                if cause == RemovalCause::Size {
                    counted.fetch_add(1, Ordering::Relaxed);
                }
            })
            .build();
        Self { entries, data_version: AtomicU64::new(0), evictions, max_bytes }
    }

    /// The entry's envelope and the current data version (read first: a write that lands in
    /// between makes the entry look older, never newer).
    pub async fn fetch(&self, key: &str) -> (Option<Bytes>, u64) {
        let data_version = self.data_version.load(Ordering::Acquire);
        (self.entries.get(key).await.map(|stored| stored.bytes), data_version)
    }

    pub async fn store(&self, key: String, envelope: Bytes, ttl: Duration) {
        self.entries.insert(key, Stored { bytes: envelope, ttl: Some(ttl) }).await;
    }

    pub async fn delete(&self, key: &str) -> bool {
        self.entries.remove(key).await.is_some()
    }

    pub async fn delete_prefix(&self, prefix: &str) -> u64 {
        let doomed: Vec<Arc<String>> =
            self.entries.iter().filter(|(key, _)| key.starts_with(prefix)).map(|(key, _)| key).collect();
        let mut deleted = 0;
        for key in doomed {
            deleted += u64::from(self.entries.remove(key.as_str()).await.is_some());
        }
        deleted
    }

    /// Adds `delta` to a counter (a missing one starts at 0); a counter keeps its expiry.
    pub async fn incr(&self, key: &str, delta: i64) -> i64 {
        let computed = self
            .entries
            .entry_by_ref(key)
            .and_compute_with(|current| async move {
                let value = current.map_or(0, |entry| counter_value(&entry.into_value().bytes)).wrapping_add(delta);
                Op::Put(Stored { bytes: Bytes::copy_from_slice(&value.to_be_bytes()), ttl: None })
            })
            .await;
        computed.into_entry().map_or(delta, |entry| counter_value(&entry.into_value().bytes))
    }

    pub fn clear(&self) {
        self.entries.invalidate_all();
    }

    pub fn data_version(&self) -> u64 {
        self.data_version.load(Ordering::Acquire)
    }

    pub fn bump_data_version(&self) -> u64 {
        self.data_version.fetch_add(1, Ordering::AcqRel) + 1
    }

    pub fn entry_count(&self) -> u64 {
        self.entries.entry_count()
    }

    pub fn weighted_size(&self) -> u64 {
        self.entries.weighted_size()
    }

    pub fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Runs moka's pending evictions and expirations now (tests check the bound after it).
    pub async fn run_pending_tasks(&self) {
        self.entries.run_pending_tasks().await;
    }
}

/// A counter is 8 bytes, big-endian; anything else (a cached value under that key) counts as 0.
fn counter_value(bytes: &Bytes) -> i64 {
    bytes.as_ref().try_into().map_or(0, i64::from_be_bytes)
}
