//! Profiling: the request inspector (django-silk's job), the debug headers (the debug toolbar's
//! job, for an API), span flamegraphs (for a whole run, a time window or one request) and the
//! Prometheus metrics.
//!
//! Every request is timed and its statements and cache calls counted ([`middleware`]). The
//! counts go out as `Server-Timing` and `X-Query-Count` ([`headers`]); a sampled share of
//! requests is recorded ([`record`], masked) through a bounded queue ([`queue`]) into a SQLite
//! file of its own (`crate::db::inspector`), shown at `/silk/` and `/api/profiling/requests`.

pub mod config;
mod debug_block;
pub mod flame;
pub mod headers;
pub mod metrics;
pub mod middleware;
pub mod queue;
mod rate_cap;
pub mod record;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use crate::db::inspector;
use crate::db::inspector::Retention;
use crate::model::inspector::InspectorSummary;
pub use config::InspectorConfig;
use queue::{QueueCounts, RecordQueue};
use rate_cap::RateCap;
use record::{Masking, RequestRecord};

/// The request inspector: cheap to clone, shared by the middleware, the JSON and the pages.
#[derive(Clone)]
pub struct Inspector(Arc<Inner>);

struct Inner {
    config: InspectorConfig,
    masking: Masking,
    rate_cap: RateCap,
    /// `None` when recording is off (`--no-inspector`, or a detached inspector).
    store: Option<Store>,
}

struct Store {
    path: PathBuf,
    queue: RecordQueue,
    /// The pages' and the JSON's reads; the writer has its own connection.
    reader: Mutex<Connection>,
}

impl Inspector {
    /// Opens the inspector's file beside `database` (or where `--inspector-db` says) and starts
    /// its writer thread; with `--no-inspector`, an inspector that records nothing.
    pub fn open(config: &InspectorConfig, database: &Path) -> anyhow::Result<Self> {
        if config.no_inspector {
            return Ok(Self::off(config));
        }
        let masking = Masking::new(&config.inspector_sensitive_keys);
        let path = config.path_beside(database);
        let open = |path: &Path| {
            inspector::open(path).map_err(|err| anyhow::anyhow!("opening the inspector file {}: {err}", path.display()))
        };
        let (writer, reader) = (open(&path)?, open(&path)?);
        let retention = Retention { max_requests: config.inspector_max_requests, max_age: config.max_age() };
        let queue = RecordQueue::start(writer, config.inspector_queue as usize, retention)?;
        let store = Store { path, queue, reader: Mutex::new(reader) };
        let rate_cap = RateCap::new(config.inspector_max_per_second);
        Ok(Self(Arc::new(Inner { config: config.clone(), masking, rate_cap, store: Some(store) })))
    }

    /// An inspector that records nothing and adds no headers (for building the spec).
    pub fn detached() -> Self {
        Self::off(&InspectorConfig { debug_headers: false, ..InspectorConfig::default() })
    }

    /// An inspector that records nothing (the debug headers stay as configured).
    pub fn off(config: &InspectorConfig) -> Self {
        let config = InspectorConfig { no_inspector: true, ..config.clone() };
        let masking = Masking::new(&config.inspector_sensitive_keys);
        let rate_cap = RateCap::new(config.inspector_max_per_second);
        Self(Arc::new(Inner { config, masking, rate_cap, store: None }))
    }

    pub fn is_enabled(&self) -> bool {
        self.0.store.is_some()
    }

    pub fn config(&self) -> &InspectorConfig {
        &self.0.config
    }

    pub fn masking(&self) -> &Masking {
        &self.0.masking
    }

    /// Whether to record a request to `path`: recording is on, the path is not ignored, the
    /// request falls in the sample, and this second's rate cap is not reached.
    pub fn should_record(&self, path: &str) -> bool {
        let config = &self.0.config;
        self.0.store.is_some()
            && !config
                .inspector_ignore_paths
                .iter()
                .any(|prefix| !prefix.is_empty() && path.starts_with(prefix.as_str()))
            && (config.inspector_sample_percent >= 100.0 || fastrand::f64() * 100.0 < config.inspector_sample_percent)
            && self.0.rate_cap.admit()
    }

    /// Queues a record for writing; dropped and counted if the queue is full.
    pub fn push(&self, record: RequestRecord) {
        if let Some(store) = &self.0.store {
            store.queue.push(record);
        }
    }

    /// Runs `read` on the inspector's read connection, off the async threads. `None` when
    /// recording is off.
    pub async fn read<T: Send + 'static>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> anyhow::Result<Option<T>> {
        if self.0.store.is_none() {
            return Ok(None);
        }
        let inspector = self.clone();
        let result = tokio::task::spawn_blocking(move || {
            let store = inspector.0.store.as_ref().expect("checked above");
            let conn = store.reader.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            read(&conn)
        })
        .await?;
        Ok(Some(result?))
    }

    /// The summary: totals, the top routes, the queue's counts and the retention.
    pub async fn summary(&self) -> anyhow::Result<InspectorSummary> {
        let figures = self
            .read(|conn| {
                let totals = inspector::queries::totals(conn)?;
                let slowest = inspector::queries::top_routes(conn, "mean_ms", 10)?;
                let most_queries = inspector::queries::top_routes(conn, "mean_queries", 10)?;
                let most_db_time = inspector::queries::top_routes(conn, "total_db_ms", 10)?;
                Ok((totals, slowest, most_queries, most_db_time))
            })
            .await?;
        let ((stored, mean_ms, mean_queries), slowest, most_queries, most_db_time) = figures.unwrap_or_default();
        let config = &self.0.config;
        let counts = self.0.store.as_ref().map(|store| &store.queue.counts);
        let count = |pick: fn(&QueueCounts) -> &std::sync::atomic::AtomicU64| {
            counts.map_or(0, |counts| QueueCounts::get(pick(counts)))
        };
        Ok(InspectorSummary {
            enabled: self.is_enabled(),
            stored,
            recorded: count(|counts| &counts.queued),
            dropped: count(|counts| &counts.dropped),
            over_rate_cap: self.0.rate_cap.over(),
            write_failures: count(|counts| &counts.write_failures),
            mean_ms,
            mean_queries,
            slowest_routes: slowest,
            most_queries,
            most_db_time,
            max_requests: i64::try_from(config.inspector_max_requests).unwrap_or(i64::MAX),
            max_age_hours: config.inspector_max_age_hours,
            sample_percent: config.inspector_sample_percent,
            max_per_second: i64::try_from(config.inspector_max_per_second).unwrap_or(i64::MAX),
            file_bytes: self.file_bytes(),
        })
    }

    /// The inspector file's size with its write-ahead log.
    fn file_bytes(&self) -> i64 {
        let Some(store) = &self.0.store else { return 0 };
        let size = |path: PathBuf| std::fs::metadata(path).map_or(0, |meta| meta.len());
        let wal = PathBuf::from(format!("{}-wal", store.path.display()));
        i64::try_from(size(store.path.clone()) + size(wal)).unwrap_or(i64::MAX)
    }
}
