//! The backend chosen at construction, behind one set of operations on full keys.

use std::time::Duration;

use bytes::Bytes;

use super::memory::MemoryStore;
use super::redis::RedisStore;

pub enum Backend {
    Memory(MemoryStore),
    Redis(RedisStore),
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Memory(_) => "memory",
            Backend::Redis(_) => "redis",
        }
    }

    pub async fn fetch(&self, key: &str) -> (Option<Bytes>, u64) {
        match self {
            Backend::Memory(store) => store.fetch(key).await,
            Backend::Redis(store) => store.fetch(key).await,
        }
    }

    pub async fn store(&self, key: String, envelope: Bytes, ttl: Duration) {
        match self {
            Backend::Memory(store) => store.store(key, envelope, ttl).await,
            Backend::Redis(store) => store.store(key, envelope, ttl).await,
        }
    }

    pub async fn delete(&self, key: &str) -> bool {
        match self {
            Backend::Memory(store) => store.delete(key).await,
            Backend::Redis(store) => store.delete(key).await,
        }
    }

    pub async fn delete_prefix(&self, prefix: &str) -> u64 {
        match self {
            Backend::Memory(store) => store.delete_prefix(prefix).await,
            Backend::Redis(store) => store.delete_prefix(prefix).await,
        }
    }

    pub async fn incr(&self, key: &str, delta: i64) -> Option<i64> {
        match self {
            Backend::Memory(store) => Some(store.incr(key, delta).await),
            Backend::Redis(store) => store.incr(key, delta).await,
        }
    }

    pub async fn data_version(&self) -> u64 {
        match self {
            Backend::Memory(store) => store.data_version(),
            Backend::Redis(store) => store.data_version().await,
        }
    }

    pub async fn bump_data_version(&self) -> u64 {
        match self {
            Backend::Memory(store) => store.bump_data_version(),
            Backend::Redis(store) => store.bump_data_version().await,
        }
    }
}
