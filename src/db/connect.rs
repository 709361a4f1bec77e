//! Opening the file: the checks made before anything is written (a newer schema, a file or folder
//! that cannot be written), the settings of every connection, and the pool's connection manager.

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use r2d2::ManageConnection;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};

use super::pool_stats::{PoolTracker, TrackedConnection};
use super::{migrations, statements, DbError};

/// Milliseconds a statement waits for a lock held by another writer before giving up with SQLITE_BUSY.
pub const BUSY_TIMEOUT_MS: u32 = 5_000;

/// How much of the database file each connection may map into memory. Address space only: the
/// pages are shared with the OS page cache, not copied per connection.
const MMAP_BYTES: i64 = 1 << 30;

/// Prepared statements kept per connection (rusqlite's default is 16).
const STATEMENT_CACHE_CAPACITY: usize = 128;

/// Settings applied to every connection as it is opened. WAL lets readers run beside the single
/// writer; `synchronous = NORMAL` is durable in WAL mode except for the last commits on power loss.
/// A read-only connection skips the two settings that write the file's header.
pub fn configure(conn: &mut Connection, read_only: bool, record: bool) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS.into()))?;
    if !read_only {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
    }
    // Read pages through a memory map rather than a read() per page missing from the cache.
    conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // A checkpoint that resets the log also truncates the file to this size (see `wal`).
    conn.pragma_update(None, "journal_size_limit", super::wal::JOURNAL_SIZE_LIMIT_BYTES)?;
    super::functions::register(conn)?;
    if record {
        statements::record_on(conn);
    }
    // Room for every statement the API prepares, so mixed traffic does not evict and re-prepare.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    Ok(())
}

/// The pool's connection manager. A connection handed back past `max_age` is closed; with a
/// `max_age` of 0 (`--db-conn-max-age 0`, Django's `CONN_MAX_AGE = 0`) every one is, so each unit
/// of work gets a fresh one. The pool's connections are registered with a [`PoolTracker`].
#[derive(Debug)]
pub struct Manager {
    inner: SqliteConnectionManager,
    tracker: Arc<PoolTracker>,
}

/// How the pool's connections open the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ReadWrite,
    ReadOnly,
    /// Read-only where SQLite cannot create the `-shm` file a WAL database needs (a read-only
    /// disk): SQLite's `immutable` mode, which assumes that nothing else changes the file.
    Immutable,
}

impl Manager {
    /// `record` installs the statement recorder's hooks on every connection (see `--statement-recorder`).
    pub fn new(path: &Path, access: Access, max_age: Duration, record: bool) -> Self {
        let read_only = access != Access::ReadWrite;
        let read_only_flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let manager = match access {
            Access::ReadWrite => SqliteConnectionManager::file(path),
            Access::ReadOnly => SqliteConnectionManager::file(path).with_flags(read_only_flags),
            Access::Immutable => SqliteConnectionManager::file(immutable_uri(path))
                .with_flags(read_only_flags | OpenFlags::SQLITE_OPEN_URI),
        };
        let inner = manager.with_init(move |conn| configure(conn, read_only, record));
        Self { inner, tracker: Arc::new(PoolTracker::new(max_age)) }
    }

    /// A connection with every setting but outside the pool and its figures: the writer's, and
    /// the probes made before the pool starts.
    pub fn connect_unpooled(&self) -> rusqlite::Result<Connection> {
        self.inner.connect()
    }

    /// The registry of the pool's connections.
    pub fn tracker(&self) -> Arc<PoolTracker> {
        Arc::clone(&self.tracker)
    }
}

/// `file:<path>?immutable=1`, with the characters a URI reserves percent-encoded.
fn immutable_uri(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut uri = String::from("file:");
    for byte in absolute.as_os_str().as_encoded_bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => uri.push(char::from(*byte)),
            other => uri.push_str(&format!("%{other:02X}")),
        }
    }
    uri.push_str("?immutable=1");
    uri
}

impl ManageConnection for Manager {
    type Connection = TrackedConnection;
    type Error = rusqlite::Error;

    fn connect(&self) -> Result<TrackedConnection, rusqlite::Error> {
        self.inner.connect().map(|conn| self.tracker.track(conn))
    }

    fn is_valid(&self, conn: &mut TrackedConnection) -> Result<(), rusqlite::Error> {
        self.inner.is_valid(conn)
    }

    fn has_broken(&self, conn: &mut TrackedConnection) -> bool {
        // r2d2 drops a connection reported broken instead of keeping it for the next user. Its
        // own max lifetime is enforced only by a sweep every 30 s; this closes an old connection
        // as it is handed back, as Django does with CONN_MAX_AGE at the end of a request.
        self.tracker.max_age().is_zero() || self.tracker.expired(conn)
    }
}

/// Reads the schema version of an existing file without writing to it, and refuses a newer one.
/// A file that does not exist yet is version 0.
pub fn probe_schema(path: &Path) -> Result<i64, DbError> {
    if !path.exists() {
        return Ok(0);
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    migrations::refuse_newer(&conn)
}

/// Why SQLite could not write to `path`, if it could not: the file itself, the `-wal` and `-shm`
/// files beside it, or the folder, where SQLite must be able to create those two.
pub fn unwritable_reason(path: &Path) -> Option<String> {
    let sidecar = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        std::path::PathBuf::from(name)
    };
    for file in [path.to_path_buf(), sidecar("-wal"), sidecar("-shm")] {
        // Opening for writing neither truncates nor changes the file.
        if file.exists() {
            if let Err(err) = OpenOptions::new().write(true).open(&file) {
                return Some(format!("{} cannot be opened for writing: {err}", file.display()));
            }
        }
    }
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    // A file created and removed at once: the test SQLite's own -wal and -shm files will face.
    if let Err(err) = tempfile::Builder::new().prefix(".movielens-write-check-").tempfile_in(&folder) {
        return Some(format!("no file can be created in its folder {}: {err}", folder.display()));
    }
    None
}
