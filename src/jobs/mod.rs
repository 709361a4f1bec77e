//! Background jobs (Celery's job): fang's task table and task trait, run by our own
//! supervised workers with an atomic claim, results, time limits, recovery and graceful shutdown.
//!
//! One file per concern: `queue` (fang's queue API over our writer), `worker` (one worker's
//! loop), `running` and `context` (what a running task can reach), `limits`, `tasks` (one file
//! per task type), `scheduler` and `schedule` (Celery Beat), and this file, which starts and stops
//! a process's workers with their heartbeat and upkeep.

pub mod config;
pub mod context;
pub mod control;
pub mod limits;
pub mod periodic;
pub mod queue;
pub mod running;
pub mod schedule;
pub mod scheduler;
pub mod submit;
pub mod tasks;
pub mod waiting;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::db::jobs::{now_ms, queue as store, workers};
use crate::db::{Db, DbError};
use context::StopReason;
use limits::TimeLimits;
use queue::JobQueue;
use running::Running;
use worker::WorkerShared;

pub use control::{cancel, retry, RetryOutcome};

/// How long finished tasks are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub succeeded_ms: i64,
    pub failed_ms: i64,
}

/// What the workers of a process need to know.
#[derive(Debug, Clone)]
pub struct JobSettings {
    pub workers: usize,
    pub limits: TimeLimits,
    pub retention: Retention,
    /// A worker that has not beaten its heartbeat for this long is presumed dead.
    pub lease: Duration,
    pub poll: Duration,
}

/// This process, as the worker rows name it.
#[derive(Debug, Clone)]
pub struct ProcessIdentity {
    pub host: String,
    pub pid: u32,
}

impl ProcessIdentity {
    pub fn current() -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|name| name.trim().to_string())
            .ok()
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "localhost".to_string());
        Self { host, pid: std::process::id() }
    }

    fn worker_id(&self, n: usize) -> String {
        format!("{}:{}:{n}", self.host, self.pid)
    }
}

/// The running workers of this process, with their heartbeat; [`Workers::shutdown`] stops them.
pub struct Workers {
    shared: WorkerShared,
    stopping: watch::Sender<bool>,
    supervisor: tokio::task::JoinHandle<()>,
    upkeep: tokio::task::JoinHandle<()>,
    identity: ProcessIdentity,
}

impl Workers {
    /// Starts `settings.workers` workers. They first recover the tasks of dead workers and
    /// register themselves; while the database is busy (another process holding the write lock)
    /// that is retried every second, and the server serves meanwhile.
    pub fn start(queue: JobQueue, running: Running, settings: &JobSettings) -> Self {
        let identity = ProcessIdentity::current();
        let db = queue.db().clone();
        let ids: Vec<String> = (0..settings.workers).map(|n| identity.worker_id(n)).collect();
        let (stopping, stopping_rx) = watch::channel(false);
        let shared = WorkerShared {
            queue,
            limits: Arc::new(settings.limits.clone()),
            running,
            retention: settings.retention,
            poll: settings.poll,
            stopping: stopping_rx,
        };
        let setup = set_up(db.clone(), identity.clone(), ids.clone(), settings.lease);
        let supervisor = tokio::spawn(retry_then(setup, shared.stopping.clone(), supervise(ids, shared.clone())));
        let upkeep = tokio::spawn(upkeep(db, identity.clone(), shared.running.clone(), settings.clone()));
        Self { shared, stopping, supervisor, upkeep, identity }
    }

    /// Stops claiming, lets running tasks finish within `grace`, then stops the rest and queues
    /// them to run again.
    pub async fn shutdown(self, grace: Duration) {
        let _ = self.stopping.send(true);
        self.shared.queue.wake_all();
        let mut supervisor = self.supervisor;
        if tokio::time::timeout(grace, &mut supervisor).await.is_err() {
            tracing::warn!(
                running = self.shared.running.count(),
                "tasks still running after the grace period; stopping them"
            );
            self.shared.running.stop_all(StopReason::Shutdown);
            let _ = tokio::time::timeout(Duration::from_secs(5), &mut supervisor).await;
        }
        self.upkeep.abort();
        let (host, pid) = (self.identity.host.clone(), self.identity.pid);
        let stopped = self
            .shared
            .queue
            .db()
            .write("jobs.workers_stopped", move |tx| workers::stopped(tx, &host, pid, now_ms()).map_err(DbError::from))
            .await;
        if let Err(err) = stopped {
            tracing::warn!(error = %err, "could not mark the workers stopped; their lease will run out");
        }
    }
}

/// Recovers the tasks of dead workers and registers this process's workers.
fn set_up(
    db: Db,
    identity: ProcessIdentity,
    ids: Vec<String>,
    lease: Duration,
) -> impl Fn() -> futures_util::future::BoxFuture<'static, Result<(), DbError>> + Send + 'static {
    move || {
        let (db, identity, ids) = (db.clone(), identity.clone(), ids.clone());
        Box::pin(async move {
            recover(&db, &identity, lease, true).await?;
            let (host, pid) = (identity.host.clone(), identity.pid);
            db.write("jobs.register_workers", move |tx| {
                let now = now_ms();
                ids.iter().try_for_each(|id| workers::register(tx, id, &host, pid, now)).map_err(DbError::from)
            })
            .await
        })
    }
}

/// Runs `setup` until it succeeds (every second, saying why once), then `then`; gives up when
/// `stopping` becomes true.
pub async fn retry_then<F, T>(setup: F, mut stopping: watch::Receiver<bool>, then: T)
where
    F: Fn() -> futures_util::future::BoxFuture<'static, Result<(), DbError>>,
    T: std::future::Future<Output = ()>,
{
    let mut warned = false;
    loop {
        match setup().await {
            Ok(()) => break,
            Err(err) if !warned => {
                tracing::warn!(error = %err, "background jobs wait for the database; retrying every second");
                warned = true;
            }
            Err(_) => {}
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stopping.changed() => return,
        }
    }
    if warned {
        tracing::info!("background jobs started");
    }
    then.await
}

/// Runs every worker, restarting any that ends before shutdown (a bug outside any task: a
/// task's own panic is caught by the worker).
async fn supervise(ids: Vec<String>, shared: WorkerShared) {
    tracing::info!(workers = ids.len(), "background workers started");
    let mut set = JoinSet::new();
    let mut by_task = std::collections::HashMap::new();
    for id in ids {
        let handle = set.spawn(worker::work(id.clone(), shared.clone()));
        by_task.insert(handle.id(), id);
    }
    while let Some(ended) = set.join_next_with_id().await {
        let (task, panicked) = match ended {
            Ok((task, ())) => (task, false),
            Err(err) => (err.id(), err.is_panic()),
        };
        let Some(id) = by_task.remove(&task) else { continue };
        if *shared.stopping.borrow() {
            continue;
        }
        tracing::error!(worker = %id, panicked, "a worker stopped unexpectedly; restarting it");
        let handle = set.spawn(worker::work(id.clone(), shared.clone()));
        by_task.insert(handle.id(), id);
    }
}

/// Heartbeats, recovery of other processes' dead workers, cancel requests made through other
/// processes, and retention.
async fn upkeep(db: Db, identity: ProcessIdentity, running: Running, settings: JobSettings) {
    const CANCEL_CHECK: Duration = Duration::from_millis(250);
    const PRUNE_EVERY: Duration = Duration::from_secs(600);
    let beat_every = settings.lease / 3;
    let (mut last_beat, mut last_prune) = (tokio::time::Instant::now(), tokio::time::Instant::now() - PRUNE_EVERY);
    loop {
        tokio::time::sleep(CANCEL_CHECK).await;
        if running.count() > 0 {
            let (host, pid) = (identity.host.clone(), identity.pid);
            let asked = db.write("jobs.cancel_requests", move |tx| {
                workers::cancel_requests(tx, &host, pid).map_err(DbError::from)
            });
            for id in asked.await.unwrap_or_default() {
                running.stop(&id, StopReason::Cancel);
            }
        }
        if last_beat.elapsed() >= beat_every {
            last_beat = tokio::time::Instant::now();
            let (host, pid) = (identity.host.clone(), identity.pid);
            let beat = db
                .write("jobs.heartbeat", move |tx| workers::heartbeat(tx, &host, pid, now_ms()).map_err(DbError::from));
            if let Err(err) = beat.await {
                tracing::warn!(error = %err, "the workers' heartbeat failed");
            }
            if let Err(err) = recover(&db, &identity, settings.lease, false).await {
                tracing::warn!(error = %err, "recovering the tasks of dead workers failed");
            }
        }
        if last_prune.elapsed() >= PRUNE_EVERY {
            last_prune = tokio::time::Instant::now();
            let now = now_ms();
            let (succeeded_before, failed_before) =
                (now - settings.retention.succeeded_ms, now - settings.retention.failed_ms);
            let pruned = db.write("jobs.prune", move |tx| {
                store::prune(tx, succeeded_before, failed_before).map_err(DbError::from)
            });
            match pruned.await {
                Ok(0) => {}
                Ok(count) => tracing::info!(count, "pruned finished tasks past their retention"),
                Err(err) => tracing::warn!(error = %err, "pruning finished tasks failed"),
            }
        }
    }
}

/// Recovers the running tasks of dead workers (see `db::jobs::workers` for the policy). At
/// start, workers of this host whose process is gone, or that carry this process's id (left by
/// an earlier process that had it), are dead at once; otherwise only an expired lease says so.
async fn recover(db: &Db, identity: &ProcessIdentity, lease: Duration, at_start: bool) -> Result<(), DbError> {
    let identity = identity.clone();
    let recovered = db
        .write("jobs.recover", move |tx| {
            let gone: Vec<(String, u32)> = match at_start {
                true => workers::live_processes(tx)?
                    .into_iter()
                    .filter(|(host, pid)| {
                        *host == identity.host
                            && (*pid == identity.pid || !std::path::Path::new(&format!("/proc/{pid}")).exists())
                    })
                    .collect(),
                false => Vec::new(),
            };
            let now = now_ms();
            workers::recover(tx, now, now - lease.as_millis() as i64, &gone).map_err(DbError::from)
        })
        .await?;
    for task in &recovered {
        tracing::warn!(task = %task.id, worker = %task.worker, requeued = task.requeued, "recovered a task whose worker died");
    }
    Ok(())
}
