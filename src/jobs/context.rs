//! What a running task can reach: the database, its cancellation and time limits, its progress
//! and the slot for its result.
//!
//! fang's task trait gives `run` only the queue, so the worker sets this context as a tokio
//! task-local around each run; tasks get it with [`TaskContext::current`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use uuid::Uuid;

use super::Retention;
use crate::db::{jobs::queue, Db, DbError};

tokio::task_local! {
    static CONTEXT: TaskContext;
}

/// Shared between the worker and the running task. Cheap to clone.
#[derive(Clone)]
pub struct TaskContext {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    task_id: Uuid,
    attempt: i64,
    retention: Retention,
    /// Set on a cancel, a hard time limit or a shutdown: the task should stop now.
    stop: AtomicBool,
    stop_reason: Mutex<Option<StopReason>>,
    /// Set at the soft time limit: the task should wrap up.
    wrap_up: AtomicBool,
    changed: Notify,
    result: Mutex<Option<serde_json::Value>>,
    /// The latest progress, also when it could not be stored (an import holds the write lock).
    progress: Mutex<Option<(i64, i64)>>,
}

impl TaskContext {
    pub fn new(db: Db, task_id: Uuid, attempt: i64, retention: Retention) -> Self {
        let inner = Inner {
            db,
            task_id,
            attempt,
            retention,
            stop: AtomicBool::new(false),
            stop_reason: Mutex::new(None),
            wrap_up: AtomicBool::new(false),
            changed: Notify::new(),
            result: Mutex::new(None),
            progress: Mutex::new(None),
        };
        Self { inner: Arc::new(inner) }
    }

    /// The context of the task running on this tokio task. Panics outside a task run, where it
    /// is a programming error (a task run directly, not by a worker).
    pub fn current() -> Self {
        CONTEXT.with(Clone::clone)
    }

    /// Runs `future` with this context as the current one.
    pub async fn scope<F: std::future::Future>(self, future: F) -> F::Output {
        CONTEXT.scope(self, future).await
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub fn task_id(&self) -> Uuid {
        self.inner.task_id
    }

    pub fn attempt(&self) -> i64 {
        self.inner.attempt
    }

    /// How long finished tasks are kept, as configured.
    pub fn retention(&self) -> Retention {
        self.inner.retention
    }

    /// Asks the task to stop. The first reason given is the one that counts.
    pub fn request_stop(&self, reason: StopReason) {
        self.inner.stop_reason.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get_or_insert(reason);
        self.inner.stop.store(true, Ordering::SeqCst);
        self.inner.changed.notify_waiters();
    }

    /// Why the task was asked to stop, if it was.
    pub fn stop_reason(&self) -> Option<StopReason> {
        *self.inner.stop_reason.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Resolves once the task is asked to stop.
    pub async fn stop_requested(&self) {
        loop {
            let changed = self.inner.changed.notified();
            if self.should_stop() {
                return;
            }
            changed.await;
        }
    }

    /// Tells the task it passed its soft time limit.
    pub fn request_wrap_up(&self) {
        self.inner.wrap_up.store(true, Ordering::SeqCst);
        self.inner.changed.notify_waiters();
    }

    /// Whether the task must stop. Long loops check this between steps.
    pub fn should_stop(&self) -> bool {
        self.inner.stop.load(Ordering::SeqCst)
    }

    /// Whether the soft time limit has passed: finish quickly with what there is.
    pub fn should_wrap_up(&self) -> bool {
        self.inner.wrap_up.load(Ordering::SeqCst)
    }

    /// A handle for blocking code (on `spawn_blocking`) to poll.
    pub fn stop_flag(&self) -> StopFlag {
        StopFlag(self.clone())
    }

    /// Waits `duration`, returning early (`false`) when the task is told to stop or wrap up.
    /// This is the `simulate_seconds` delay of the demo tasks: it gives way like real work would.
    pub async fn pause(&self, duration: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + duration;
        loop {
            let changed = self.inner.changed.notified();
            if self.should_stop() || self.should_wrap_up() {
                return false;
            }
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => return true,
                () = changed => {}
            }
        }
    }

    /// Keeps `value` as the task's result (the last one set wins).
    pub fn set_result(&self, value: serde_json::Value) {
        *self.inner.result.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(value);
    }

    /// The latest progress recorded, if any.
    pub fn latest_progress(&self) -> Option<(i64, i64)> {
        *self.inner.progress.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn take_result(&self) -> Option<serde_json::Value> {
        self.inner.result.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take()
    }

    /// Records progress (`done` of `total`), shown by the task API and the monitor. It is kept
    /// in memory too, where this process's API reads it while the database is busy.
    pub async fn progress(&self, done: i64, total: i64) -> Result<(), DbError> {
        *self.inner.progress.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some((done, total));
        let id = self.inner.task_id;
        self.inner
            .db
            .write("jobs.progress", move |tx| queue::set_progress(tx, &id, done, total).map_err(DbError::from))
            .await
    }
}

/// Why a running task is told to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// An admin cancelled it: it ends `cancelled`.
    Cancel,
    /// Its hard time limit passed: it ends `timed_out`.
    TimeLimit,
    /// The process shuts down: it is queued again.
    Shutdown,
}

/// The stop and wrap-up signals for blocking code.
#[derive(Clone)]
pub struct StopFlag(TaskContext);

impl StopFlag {
    pub fn should_stop(&self) -> bool {
        self.0.should_stop()
    }
}
