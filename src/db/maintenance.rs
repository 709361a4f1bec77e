//! Background upkeep of the database while the server runs: keeping the write-ahead log small.
//! (The top-rated prior is refreshed by a scheduled task: see `jobs::scheduler::code_schedules`.)

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;
use tokio::task::JoinHandle;

use super::connect::{configure, BUSY_TIMEOUT_MS};
use super::wal::{self, Checkpointer, LogStart};
use super::{Db, DbError};

/// The running upkeep tasks; [`Maintenance::stop`] ends them.
pub struct Maintenance {
    tasks: Vec<JoinHandle<()>>,
}

impl Maintenance {
    /// Starts the tasks on the current tokio runtime. A read-only database needs none of them.
    pub fn start(db: &Db) -> Self {
        if db.is_read_only() {
            return Self { tasks: Vec::new() };
        }
        Self { tasks: vec![tokio::spawn(bound_wal(db.clone()))] }
    }

    pub fn stop(self) {
        for task in self.tasks {
            task.abort();
        }
    }
}

/// Takes checkpoints off the writer and onto a connection of the checkpointer's own, and starts
/// the log again whenever it grows past the threshold anyway (see [`wal`]).
async fn bound_wal(db: Db) {
    let path = db.path().to_path_buf();
    let checkpointer = match open_checkpointer(&path) {
        Ok(conn) => Some(Arc::new(Mutex::new(conn))),
        Err(err) => {
            tracing::warn!(error = %err, "no checkpointer: the writer keeps checkpointing itself");
            None
        }
    };
    if checkpointer.is_some() {
        let no_checkpoints = db.writer.on_writer("wal.autocheckpoint", |conn| {
            conn.pragma_update(None, "wal_autocheckpoint", 0).map_err(DbError::from)
        });
        if let Err(err) = no_checkpoints.await {
            tracing::warn!(error = %err, "could not take checkpoints off the writer");
        }
    }
    let busy_timeout = Duration::from_millis(BUSY_TIMEOUT_MS.into());
    let mut ticks = tokio::time::interval(wal::CHECK_INTERVAL);
    let mut failed_restarts = 0;
    // The log's length at the last look, and since when it has not changed.
    let mut last_length = (0, tokio::time::Instant::now());
    loop {
        ticks.tick().await;
        let file_bytes = wal::wal_bytes(&path);
        if file_bytes <= wal::CHECKPOINT_THRESHOLD_BYTES {
            failed_restarts = 0;
            last_length = (0, tokio::time::Instant::now());
            continue;
        }
        // The bulk of the copy, and its sync, off the writer. Without a checkpointer, the file's
        // size is the best measure of the log's length there is.
        let log_bytes = match &checkpointer {
            Some(conn) => copy_log(conn.clone()).await.unwrap_or(file_bytes),
            None => file_bytes,
        };
        if log_bytes != last_length.0 {
            last_length = (log_bytes, tokio::time::Instant::now());
        }
        // Writes have stopped, and the file still has the size of the log before: cut it, waiting
        // for no reader (the next look tries again).
        if checkpointer.is_some() && last_length.1.elapsed() >= wal::QUIET_BEFORE_TRUNCATE {
            let truncate = move |conn: &mut Connection| {
                wal::checkpoint_and_start(conn, LogStart::Truncate, Duration::ZERO, busy_timeout)
            };
            match db.writer.on_writer("wal.truncate", truncate).await {
                Ok(truncated) => tracing::debug!(file_bytes, truncated, "tried to truncate the quiet write-ahead log"),
                Err(err) => tracing::warn!(error = %err, "could not truncate the write-ahead log"),
            }
            continue;
        }
        if log_bytes <= wal::RESTART_THRESHOLD_BYTES {
            failed_restarts = 0;
            continue;
        }
        // Then, rarely, the short step that starts the log again: it copies only what was written
        // during the copy above, and the writer waits for that.
        let patience = wal::restart_patience(failed_restarts);
        let restart =
            move |conn: &mut Connection| wal::checkpoint_and_start(conn, LogStart::Restart, patience, busy_timeout);
        match db.writer.on_writer("wal.restart", restart).await {
            Ok(true) => failed_restarts = 0,
            Ok(false) => failed_restarts += 1,
            Err(err) => tracing::warn!(error = %err, "could not start the write-ahead log again"),
        }
        tracing::debug!(log_bytes, failed_restarts, "tried to start the write-ahead log again");
    }
}

/// A `PASSIVE` checkpoint on the checkpointer's connection, on a blocking thread. Returns the
/// log's length, or `None` (said in the log) when the checkpoint failed.
async fn copy_log(conn: Arc<Mutex<Checkpointer>>) -> Option<u64> {
    let copied = tokio::task::spawn_blocking(move || {
        conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).copy_passive()
    });
    match copied.await {
        Ok(Ok(log_bytes)) => Some(log_bytes),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "could not checkpoint the write-ahead log");
            None
        }
        Err(err) => {
            tracing::warn!(error = %err, "the checkpoint failed");
            None
        }
    }
}

/// The checkpointer's connection: the pool's settings, without the statement recorder (a
/// checkpoint is upkeep, not a request's work).
fn open_checkpointer(path: &Path) -> Result<Checkpointer, DbError> {
    let mut conn = Connection::open(path)?;
    configure(&mut conn, false, false)?;
    Checkpointer::new(conn)
}
