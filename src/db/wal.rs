//! Keeping the write-ahead log small, without making writes wait for it.
//!
//! A checkpoint copies the log into the database file and syncs it; the log starts again from
//! the beginning once it is all copied and no reader still uses it. Three things go wrong under
//! mixed load:
//! - SQLite's automatic checkpoint runs inside the commit that takes the log past
//!   `wal_autocheckpoint` pages, on the writer's thread: every write queued behind it waits for
//!   the copy and the sync (a 35 ms tail at the default 1,000 pages, 20 ms at 256, and 100 ms
//!   stalls at 2,800 queued tasks a second). So the writer never checkpoints: a checkpointer with
//!   a connection of its own runs a `PASSIVE` checkpoint whenever the log passes
//!   [`CHECKPOINT_THRESHOLD_BYTES`]. It takes no lock a writer needs, so writes go on meanwhile.
//! - The log starts again only when a write begins with all of it copied and no reader on it.
//!   With writes arriving all the time, a checkpoint on another connection never catches up with
//!   the last of them, and under constant reads the moment with no reader may never come, so the
//!   log grows without bound (102 MB in 30 s of mixed load was seen). Past
//!   [`RESTART_THRESHOLD_BYTES`], right after the checkpointer's copy, a `RESTART` checkpoint runs
//!   on the writer's own connection, between two writes: it copies only what was written during
//!   the checkpointer's copy, and at first does not wait for readers (new ones read the database
//!   file; if an old one is still on the log, the next round tries again; see
//!   [`restart_patience`]). Writes wait in the writer's queue meanwhile, not in SQLite's busy loop.
//! - The log's length is the frame count the checkpointer's copy reports, not the file's size: the
//!   file keeps its size when the log starts again (below), so after the first restart its size
//!   says nothing about how much is written in it.
//! - Truncating the log file, and growing it again, took 20 to 35 ms each time, stalling writes
//!   behind the file system's journal: the file keeps its size up to
//!   [`JOURNAL_SIZE_LIMIT_BYTES`] and is written over from the start.
//! - Once writes stop, the file would keep the size of the longest log since the last restart (an
//!   import or a model build leaves tens of megabytes). When the log's length has not changed for
//!   [`QUIET_BEFORE_TRUNCATE`], the writer truncates it: nothing is being written to wait for it.
//! - A process that runs no checkpointer (a command-line import) keeps SQLite's automatic one.
//!
//! `journal_size_limit` trims the file to [`JOURNAL_SIZE_LIMIT_BYTES`] whenever the log starts
//! again; below that, the file's size is that of the longest log since it was last truncated.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use super::DbError;

/// The log file is cut back to this size whenever it starts again (its space is reused below it).
pub const JOURNAL_SIZE_LIMIT_BYTES: i64 = 32 << 20;

/// A log larger than this is copied into the database by the checkpointer: small, so each copy
/// is short and the log keeps starting again.
pub const CHECKPOINT_THRESHOLD_BYTES: u64 = 1 << 20;

/// A log longer than this has not been starting again on its own: it is started again.
/// Large, so that the writer waits for this rarely.
pub const RESTART_THRESHOLD_BYTES: u64 = 16 << 20;

/// How often the log's size is looked at (a `stat` of the file).
pub const CHECK_INTERVAL: Duration = Duration::from_millis(50);

/// How long the log must go unwritten before its file is truncated.
pub const QUIET_BEFORE_TRUNCATE: Duration = Duration::from_secs(2);

/// How much longer each round of starting the log again waits for readers than the round before.
const RESTART_PATIENCE_STEP: Duration = Duration::from_millis(25);

/// The longest the writer waits for readers in one round.
const RESTART_PATIENCE_MAX: Duration = Duration::from_millis(200);

/// How long to wait for readers that still use the log, after `failed_rounds` rounds in a row
/// that found one. At first not at all, since the writes queued behind the wait wait as long, and
/// the next round tries again; but under constant reads some reader is always on the log, so each
/// further round waits a little longer (reads take a few milliseconds, unless the machine is so
/// busy that their threads wait for a core).
pub fn restart_patience(failed_rounds: u32) -> Duration {
    (RESTART_PATIENCE_STEP * failed_rounds).min(RESTART_PATIENCE_MAX)
}

const WAL_HEADER_BYTES: u64 = 32;
const WAL_FRAME_HEADER_BYTES: u64 = 24;

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

/// The checkpointer's own connection, and the size of one frame of the log.
pub struct Checkpointer {
    conn: Connection,
    frame_bytes: u64,
}

impl Checkpointer {
    pub fn new(conn: Connection) -> Result<Self, DbError> {
        let page_size: i64 = conn.pragma_query_value(None, "page_size", |row| row.get(0))?;
        // Each frame is a 24-byte header and one page.
        Ok(Self { conn, frame_bytes: WAL_FRAME_HEADER_BYTES + page_size.unsigned_abs() })
    }

    /// Copies what it can of the log into the database, waiting for no one. Returns the log's
    /// length in bytes.
    pub fn copy_passive(&self) -> Result<u64, DbError> {
        let frames: i64 = self.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get(1))?;
        Ok(u64::try_from(frames).map_or(0, |frames| WAL_HEADER_BYTES + frames * self.frame_bytes))
    }
}

/// How the writer starts the log again.
#[derive(Clone, Copy, Debug)]
pub enum LogStart {
    /// Written over from the start: under load, where growing the file again would stall writes.
    Restart,
    /// Cut to nothing: once writes have stopped.
    Truncate,
}

/// On the writer's connection: copies the rest of the log into the database and starts it again,
/// once no reader still uses it, waiting for them up to `patience`. Returns whether it got
/// through; if not, the next round tries again.
pub fn checkpoint_and_start(
    conn: &Connection,
    how: LogStart,
    patience: Duration,
    restore_busy_timeout: Duration,
) -> Result<bool, DbError> {
    let sql = match how {
        LogStart::Restart => "PRAGMA wal_checkpoint(RESTART)",
        LogStart::Truncate => "PRAGMA wal_checkpoint(TRUNCATE)",
    };
    conn.busy_timeout(patience)?;
    let outcome = conn.query_row(sql, [], |row| row.get::<_, i64>(0));
    conn.busy_timeout(restore_busy_timeout)?;
    match outcome {
        Ok(busy) => Ok(busy == 0),
        Err(err) => match DbError::from(err) {
            DbError::Busy(_) => Ok(false),
            other => Err(other),
        },
    }
}
