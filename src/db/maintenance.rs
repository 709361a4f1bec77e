//! Background upkeep of the database while the server runs: keeping the write-ahead log small.
//! (The top-rated prior is refreshed by a scheduled task: see `jobs::scheduler::code_schedules`.)

use std::time::Duration;

use tokio::task::JoinHandle;

use super::connect::BUSY_TIMEOUT_MS;
use super::{wal, Db, DbError};

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

/// Keeps the writer's checkpoints small, and truncates the log whenever it grows past the
/// threshold anyway (see [`wal`]).
async fn bound_wal(db: Db) {
    let small_checkpoints = db.writer.on_writer("wal.autocheckpoint", |conn| {
        conn.pragma_update(None, "wal_autocheckpoint", wal::WRITER_AUTOCHECKPOINT_PAGES).map_err(DbError::from)
    });
    if let Err(err) = small_checkpoints.await {
        tracing::warn!(error = %err, "could not set the writer's checkpoint interval");
    }
    let path = db.path().to_path_buf();
    let busy_timeout = Duration::from_millis(BUSY_TIMEOUT_MS.into());
    let mut ticks = tokio::time::interval(wal::CHECK_INTERVAL);
    loop {
        ticks.tick().await;
        if wal::wal_bytes(&path) <= wal::TRUNCATE_THRESHOLD_BYTES {
            continue;
        }
        match db.writer.on_writer("wal.truncate", move |conn| wal::checkpoint_truncate(conn, busy_timeout)).await {
            Ok(truncated) => tracing::debug!(truncated, "checkpointed the write-ahead log"),
            Err(err) => tracing::warn!(error = %err, "could not truncate the write-ahead log"),
        }
    }
}
