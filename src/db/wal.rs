//! Keeping the write-ahead log small.
//!
//! SQLite's automatic checkpoint copies the log into the database after a commit that takes it
//! past `wal_autocheckpoint` pages, and the log starts again from the beginning once it is all
//! copied and no reader still uses it. Two things go wrong under mixed load:
//! - at SQLite's default of 1,000 pages, each checkpoint copies and syncs 4 MB inside a write,
//!   which showed as a 35 ms tail on rating writes; the writer checkpoints every
//!   [`WRITER_AUTOCHECKPOINT_PAGES`] instead (a 20 ms tail);
//! - under constant reads, the moment with no reader on the log may never come, and the log
//!   then grows without bound (102 MB in 30 s of mixed load was seen). A background task looks at
//!   the log's size and, past [`TRUNCATE_THRESHOLD_BYTES`], runs a `TRUNCATE` checkpoint on the
//!   writer's own connection, between two writes: it waits briefly only for readers that started
//!   before it copied the log (new ones read the database file), and writes wait in the writer's
//!   queue meanwhile, not in SQLite's busy loop.
//!
//! `journal_size_limit` trims the file whenever the log starts again, so its size on disk is the
//! log's length.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use super::DbError;

/// The log file is cut back to this size whenever it starts again.
pub const JOURNAL_SIZE_LIMIT_BYTES: i64 = 4 << 20;

/// Pages (of 4 KiB) after which the writer's commit checkpoints: small, so each one is short.
pub const WRITER_AUTOCHECKPOINT_PAGES: i64 = 256;

/// A log file larger than this has not been starting again on its own: it is truncated.
pub const TRUNCATE_THRESHOLD_BYTES: u64 = 8 << 20;

/// How often the log's size is looked at.
pub const CHECK_INTERVAL: Duration = Duration::from_millis(250);

/// How long the truncating step waits for readers that still use the log. Reads take a few
/// milliseconds; a longer wait would only hold up the writes queued behind it.
const TRUNCATE_BUSY_TIMEOUT: Duration = Duration::from_millis(20);

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

/// On the writer's connection: copies the log into the database and truncates it, waiting
/// briefly for readers. Returns whether it got through; if not, the next round tries again.
pub fn checkpoint_truncate(conn: &Connection, restore_busy_timeout: Duration) -> Result<bool, DbError> {
    conn.busy_timeout(TRUNCATE_BUSY_TIMEOUT)?;
    let outcome = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get::<_, i64>(0));
    conn.busy_timeout(restore_busy_timeout)?;
    match outcome {
        Ok(busy) => Ok(busy == 0),
        Err(err) => match DbError::from(err) {
            DbError::Busy(_) => Ok(false),
            other => Err(other),
        },
    }
}
