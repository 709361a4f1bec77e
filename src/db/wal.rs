//! Keeping the write-ahead log small.
//!
//! SQLite's automatic checkpoints copy the log into the database but reset it only when no reader
//! is still using it, and under constant reads that moment may never come on its own: the log then
//! grows without bound (102 MB in 30 s of mixed load was seen). A background task watches the
//! log's size and, past a threshold, runs a `TRUNCATE` checkpoint, retrying until it finds the
//! short gap between readers. `journal_size_limit` also trims the file whenever the log resets.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use super::DbError;

/// The log file is cut back to this size whenever it resets.
pub const JOURNAL_SIZE_LIMIT_BYTES: i64 = 16 << 20;

/// A log larger than this is checkpointed and truncated.
pub const CHECKPOINT_THRESHOLD_BYTES: u64 = 4 << 20;

/// How often the log's size is looked at.
pub const CHECK_INTERVAL: Duration = Duration::from_millis(250);

/// How long one checkpoint attempt waits for readers and the writer before trying again.
const ATTEMPT_BUSY_TIMEOUT: Duration = Duration::from_millis(10);
const ATTEMPTS: u32 = 50;

/// The path of the log beside a database file.
pub fn wal_path(db_path: &Path) -> PathBuf {
    let mut name = db_path.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// The log's size in bytes; 0 when there is none.
pub fn wal_bytes(db_path: &Path) -> u64 {
    std::fs::metadata(wal_path(db_path)).map_or(0, |metadata| metadata.len())
}

/// A connection for checkpoints only: it waits for locks briefly, so that an attempt that cannot
/// finish gives way to the requests instead of holding them up.
pub fn checkpoint_connection(db_path: &Path) -> Result<Connection, DbError> {
    let conn = Connection::open(db_path)?;
    conn.busy_timeout(ATTEMPT_BUSY_TIMEOUT)?;
    Ok(conn)
}

/// Copies the whole log into the database and truncates it, retrying while readers or the writer
/// are in the way. Returns whether it got through.
pub fn checkpoint_truncate(conn: &Connection) -> Result<bool, DbError> {
    for _ in 0..ATTEMPTS {
        match conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get::<_, i64>(0)) {
            Ok(0) => return Ok(true),
            // 1: readers or the writer were in the way; try again in a moment.
            Ok(_) => {}
            Err(err) => match DbError::from(err) {
                DbError::Busy(_) => {}
                other => return Err(other),
            },
        }
        std::thread::sleep(ATTEMPT_BUSY_TIMEOUT);
    }
    Ok(false)
}
