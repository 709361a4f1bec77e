//! What the read pool has done: the connections it opened and closed, the checkouts that reused
//! one, and the age of each connection open now.
//!
//! r2d2 counts open and idle connections but not how old they are or how often they were reused,
//! so the pool's connections carry a registration: [`TrackedConnection`] derefs to the
//! `rusqlite::Connection` it wraps and leaves the registry when it is closed.

use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::model::pool::{OpenConnection, PoolStats, WriterConnection};

/// An open connection's entry in the registry.
#[derive(Debug, Clone, Copy)]
struct Entry {
    opened_at: Instant,
    checkouts: u64,
}

/// Counters and the registry of open connections, shared by the pool's manager (which opens
/// connections) and `Db` (which checks them out), and the max age both apply.
#[derive(Debug)]
pub struct PoolTracker {
    /// `--db-conn-max-age`; zero: a connection serves one unit of work.
    max_age: Duration,
    opened: AtomicU64,
    closed: AtomicU64,
    checkouts: AtomicU64,
    reused: AtomicU64,
    open: Mutex<BTreeMap<u64, Entry>>,
}

impl PoolTracker {
    pub fn new(max_age: Duration) -> Self {
        let (opened, closed, checkouts, reused) = Default::default();
        Self { max_age, opened, closed, checkouts, reused, open: Mutex::default() }
    }

    /// The max age, zero for a connection per unit of work.
    pub fn max_age(&self) -> Duration {
        self.max_age
    }

    /// Whether `conn` is too old to be handed to another unit of work. With a max age of 0 a
    /// connection serves just one, which the manager sees to as it is handed back.
    pub fn expired(&self, conn: &TrackedConnection) -> bool {
        !self.max_age.is_zero() && conn.age() >= self.max_age
    }

    fn open(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Entry>> {
        // The map is consistent after every statement that changes it; a panic elsewhere leaves it usable.
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a connection the pool just opened.
    pub fn track(self: &Arc<Self>, conn: Connection) -> TrackedConnection {
        let id = self.opened.fetch_add(1, Ordering::Relaxed) + 1;
        let opened_at = Instant::now();
        self.open().insert(id, Entry { opened_at, checkouts: 0 });
        TrackedConnection { conn, id, opened_at, tracker: Arc::clone(self) }
    }

    /// Counts a unit of work taking `conn`, and whether an earlier one had used it.
    pub fn checked_out(&self, conn: &TrackedConnection) {
        self.checkouts.fetch_add(1, Ordering::Relaxed);
        if let Some(entry) = self.open().get_mut(&conn.id) {
            if entry.checkouts > 0 {
                self.reused.fetch_add(1, Ordering::Relaxed);
            }
            entry.checkouts += 1;
        }
    }

    /// The figures, with what only the pool and `Db` know: the pool's size and its open and idle
    /// counts (from r2d2), and when the writer's connection opened.
    pub fn stats(&self, max_size: u32, state: r2d2::State, writer_opened_at: Option<Instant>) -> PoolStats {
        let now = Instant::now();
        let age = |opened_at: Instant| now.saturating_duration_since(opened_at).as_secs_f64();
        let connections = self
            .open()
            .iter()
            .map(|(id, entry)| OpenConnection {
                id: count(*id),
                age_secs: age(entry.opened_at),
                checkouts: count(entry.checkouts),
            })
            .collect();
        PoolStats {
            max_size: max_size.into(),
            open: state.connections.into(),
            idle: state.idle_connections.into(),
            max_age_secs: count(self.max_age.as_secs()),
            connections,
            checkouts: count(self.checkouts.load(Ordering::Relaxed)),
            opened: count(self.opened.load(Ordering::Relaxed)),
            closed: count(self.closed.load(Ordering::Relaxed)),
            reused: count(self.reused.load(Ordering::Relaxed)),
            writer: WriterConnection { open: writer_opened_at.is_some(), age_secs: writer_opened_at.map(age) },
        }
    }
}

/// A counter as the API's integers, which JSON clients read as doubles: capped at 2^53 - 1.
fn count(value: u64) -> i64 {
    value.min((1 << 53) - 1) as i64
}

/// A pooled connection: the `rusqlite::Connection`, registered while it is open.
#[derive(Debug)]
pub struct TrackedConnection {
    conn: Connection,
    id: u64,
    opened_at: Instant,
    tracker: Arc<PoolTracker>,
}

impl TrackedConnection {
    /// Time since it was opened.
    pub fn age(&self) -> Duration {
        self.opened_at.elapsed()
    }
}

impl Deref for TrackedConnection {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl DerefMut for TrackedConnection {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

impl Drop for TrackedConnection {
    fn drop(&mut self) {
        // The connection itself closes right after, when its field is dropped.
        self.tracker.open().remove(&self.id);
        self.tracker.closed.fetch_add(1, Ordering::Relaxed);
    }
}
