//! The SQLite layer: a pool of connections, embedded migrations, and the one helper every
//! statement passes through (`Db::run` from async code, `Db::with_conn` from blocking code).

pub mod catalogue;
pub mod maintenance;
pub mod migrations;
pub mod movies;
pub mod ratings;
pub mod scores;
pub mod statements;
pub mod wal;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use r2d2::ManageConnection;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, ErrorCode, Transaction};
use tokio::sync::Semaphore;

use crate::config::DbConfig;
use writer::Writer;

pub type Pool = r2d2::Pool<SqliteConnectionManager>;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::Error),
    /// Another writer held the lock for longer than the busy timeout.
    #[error("the database is busy with other writes: {0}")]
    Busy(rusqlite::Error),
    #[error(transparent)]
    Sqlite(rusqlite::Error),
    #[error("database task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("the database handle is closed")]
    Closed,
    #[error("the database write failed without an answer")]
    WriterFailed,
    #[error("could not start the database writer thread: {0}")]
    WriterThread(std::io::Error),
}

impl From<rusqlite::Error> for DbError {
    fn from(err: rusqlite::Error) -> Self {
        match err.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => DbError::Busy(err),
            _ => DbError::Sqlite(err),
        }
    }
}

/// Milliseconds a statement waits for a lock held by another writer before giving up with SQLITE_BUSY.
const BUSY_TIMEOUT_MS: u32 = 5_000;

/// How much of the database file each connection may map into memory. Address space only: the
/// pages are shared with the OS page cache, not copied per connection.
const MMAP_BYTES: i64 = 1 << 30;

/// Prepared statements kept per connection (rusqlite's default is 16).
const STATEMENT_CACHE_CAPACITY: usize = 128;

/// Settings applied to every connection as it is opened. WAL lets readers run beside the single
/// writer; `synchronous = NORMAL` is durable in WAL mode except for the last commits on power loss.
fn configure(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS.into()))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Read pages through a memory map rather than a read() per page missing from the cache.
    conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // A checkpoint that resets the log also truncates the file to this size (see `wal`).
    conn.pragma_update(None, "journal_size_limit", wal::JOURNAL_SIZE_LIMIT_BYTES)?;
    // SQLite's lower() folds ASCII only; title search must also match 'MISÉRABLES' to 'Misérables'.
    conn.create_scalar_function(
        "unicode_lower",
        1,
        rusqlite::functions::FunctionFlags::SQLITE_UTF8 | rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC,
        |context| Ok(context.get::<Option<String>>(0)?.map(|text| text.to_lowercase())),
    )?;
    statements::record_on(conn);
    // Room for every statement the API prepares, so mixed traffic does not evict and re-prepare.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    Ok(())
}

/// A handle to the database: cheap to clone, shared by every request, job and command.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    writer: Writer,
    path: Arc<PathBuf>,
    /// One permit per pooled connection: requests beyond that wait here, cheaply, instead of
    /// each holding a blocking thread that sleeps in the pool.
    permits: Arc<Semaphore>,
}

impl Db {
    /// Opens (creating if needed) the database file and applies any pending migrations.
    pub fn open(config: &DbConfig) -> Result<Self, DbError> {
        let manager = SqliteConnectionManager::file(&config.path).with_init(configure);
        // Migrate on a connection of our own first: a bad path fails here at once, with SQLite's
        // reason, instead of in the pool's retry loop.
        let mut first = manager.connect()?;
        migrations::apply(&mut first)?;
        // The migrating connection becomes the writer's.
        let writer = Writer::start(first).map_err(DbError::WriterThread)?;
        let pool_size = config.pool_size.max(1);
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            // Connections open on demand; a fresh start costs one connection, not the whole pool.
            .min_idle(Some(0))
            .max_lifetime(Some(config.conn_max_age()))
            // A SQLite connection to a local file does not go stale between uses; skip the probe.
            .test_on_check_out(false)
            .build_unchecked(manager);
        Ok(Self {
            pool,
            writer,
            path: Arc::new(config.path.clone()),
            permits: Arc::new(Semaphore::new(pool_size as usize)),
        })
    }

    /// A handle that never connects, for building the OpenAPI document without a database.
    pub fn detached() -> Self {
        let manager = SqliteConnectionManager::file("movielens-detached.db");
        let pool = r2d2::Pool::builder().min_idle(Some(0)).build_unchecked(manager);
        Self { pool, writer: Writer::closed(), path: Arc::new(PathBuf::new()), permits: Arc::new(Semaphore::new(1)) }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` on a pooled connection on the calling thread. For blocking contexts only
    /// (commands, jobs, `spawn_blocking`); async code uses [`Db::run`].
    pub fn with_conn<T, E>(&self, work: impl FnOnce(&mut Connection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<DbError>,
    {
        let mut conn = self.pool.get().map_err(DbError::from)?;
        work(&mut conn)
    }

    /// Runs `work` on a pooled connection on tokio's blocking threads, so that SQLite never
    /// stalls the async workers. Each call is a `db` tracing span with its statement count.
    pub async fn run<T, E>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let db = self.clone();
        let span = tracing::debug_span!("db", operation, statements = tracing::field::Empty);
        let permit = self.permits.clone().acquire_owned().await.map_err(|_| DbError::Closed)?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _entered = span.enter();
            let (result, counted) = statements::count(|| db.with_conn(work));
            span.record("statements", counted.statements);
            result
        })
        .await
        .map_err(DbError::from)?
    }

    /// Runs `work` in one read transaction on a pooled connection, so that all of its statements
    /// see the same snapshot of the data: a write that commits in between is seen by none of them.
    pub async fn read<T, E>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&Transaction) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.run(operation, move |conn| {
            let tx = conn.transaction().map_err(DbError::from)?;
            let value = work(&tx)?;
            // Nothing was written: ending the transaction only releases the snapshot.
            tx.finish().map_err(DbError::from)?;
            Ok(value)
        })
        .await
    }

    /// Runs `work` in an `IMMEDIATE` transaction on the one writer connection (see [`writer`]).
    pub async fn write<T, E>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&Transaction) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.writer.write(operation, work).await
    }
}
