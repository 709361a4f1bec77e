//! The SQLite layer: a pool of connections, embedded migrations, and the one helper every
//! statement passes through (`Db::run` from async code, `Db::with_conn` from blocking code).

pub mod admin;
pub mod aggregates;
pub mod backup;
pub mod bound_values;
pub mod catalogue;
pub mod changes;
mod connect;
pub mod filter;
mod functions;
pub mod index_compare;
pub mod inspector;
pub mod jobs;
pub mod lab;
pub mod maintenance;
pub mod migrations;
pub mod movie_order;
pub mod movies;
pub mod pool_stats;
pub mod profiles;
pub mod ratings;
pub mod recommendations;
pub mod scores;
pub mod statements;
#[cfg(test)]
mod test_support;
pub mod wal;
pub mod web_sessions;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, Transaction};
use tokio::sync::Semaphore;

use crate::config::DbConfig;
use crate::model::pool::PoolStats;
use connect::{Access, Manager};
use pool_stats::PoolTracker;
use statements::Recording;
use writer::Writer;

pub type Pool = r2d2::Pool<Manager>;

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
    #[error(
        "its schema is at version {found}, newer than this binary's newest ({known}): a newer movielens \
         wrote it. Use that version or a later one; the file was left untouched"
    )]
    NewerSchema { found: i64, known: i64 },
    #[error(
        "its schema is at version {found} and this binary needs version {known}; --read-only cannot \
         migrate it: start once without --read-only (with write access) to migrate it"
    )]
    NeedsMigration { found: i64, known: i64 },
    #[error(
        "it cannot be written: {reason}. Make it writable, or serve it without writes with \
         `movielens serve --read-only`"
    )]
    ReadOnly { reason: String },
    #[error("the file does not exist, and --read-only cannot create it")]
    Missing,
    #[error("this server serves a read-only database (--read-only) and takes no writes")]
    WritesRefused,
    /// A write's body broke the rules: every field's problem (a 400).
    #[error("{} fields are invalid", .0.len())]
    InvalidFields(Vec<crate::model::admin::FieldError>),
    /// A record a write names does not exist (a 404 that names it).
    #[error("{0}")]
    NotFound(String),
    /// A write would break a uniqueness rule (a 409).
    #[error("{0}")]
    Conflict(String),
    #[error("the database write failed without an answer")]
    WriterFailed,
    /// The write succeeded but the transaction it shared with others was not committed.
    #[error("the database write was not committed: {0}")]
    NotCommitted(String),
    /// The request asked for something the data cannot answer: an unknown genre, a malformed id.
    /// The second field says more, for example which parameter.
    #[error("{0}")]
    Invalid(String, Option<String>),
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

/// Runs `work` in a read transaction, which is the recorder's housekeeping, not `work`'s.
fn in_read_transaction<T, E>(conn: &mut Connection, work: impl FnOnce(&Transaction) -> Result<T, E>) -> Result<T, E>
where
    E: From<DbError>,
{
    let tx = statements::housekeeping(|| conn.transaction()).map_err(DbError::from)?;
    let value = work(&tx);
    // Nothing was written: ending the transaction only releases the snapshot.
    statements::housekeeping(|| tx.finish()).map_err(DbError::from)?;
    value
}

/// Puts a unit of work's statement count and SQL on its span, and counts them for `/metrics`.
/// The SQL is the first statement's (with the count of the others): it is already held as
/// text, so only a span that is being recorded pays for the copy.
pub(crate) fn note_on_span(span: &tracing::Span, recording: &Recording) {
    crate::profiling::metrics::record_db(recording.count(), recording.elapsed());
    if span.is_disabled() {
        return;
    }
    span.record("statements", recording.count());
    if let Some(first) = recording.statements().first() {
        match recording.count() {
            1 => span.record("sql", &*first.sql),
            count => {
                span.record("sql", tracing::field::display(format_args!("{} (and {} more)", first.sql, count - 1)))
            }
        };
    }
}

/// A handle to the database: cheap to clone, shared by every request, job and command.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    writer: Writer,
    path: Arc<PathBuf>,
    /// Opened with `--read-only`: every connection is read-only and writes are refused.
    read_only: bool,
    /// One permit per pooled connection: requests beyond that wait here, cheaply, instead of
    /// each holding a blocking thread that sleeps in the pool.
    permits: Arc<Semaphore>,
    /// Background tasks' share of the pool: they take one of these before a pooled connection,
    /// so that however many workers run, requests always find a connection free.
    background_permits: Arc<Semaphore>,
    /// Whether this handle is a background task's (see [`Db::for_background`]).
    background: bool,
    /// The pool's connections and checkouts, for [`Db::pool_stats`].
    tracker: Arc<PoolTracker>,
    /// When the writer's connection was opened; `None` without one (`--read-only`).
    writer_opened_at: Option<Instant>,
    /// Whether connections carry the statement recorder's hooks (`--statement-recorder`).
    records_statements: bool,
}

impl Db {
    /// Opens (creating if needed) the database file and applies any pending migrations. Refuses,
    /// before writing anything, a file with a newer schema or one SQLite could not write.
    pub fn open(config: &DbConfig) -> Result<Self, DbError> {
        match connect::probe_schema(&config.path) {
            Ok(_) => {}
            Err(err @ DbError::NewerSchema { .. }) => return Err(err),
            // A WAL file that cannot even be read here is most often a folder SQLite cannot write.
            Err(err) => {
                return Err(connect::unwritable_reason(&config.path).map_or(err, |reason| DbError::ReadOnly { reason }))
            }
        }
        if let Some(reason) = connect::unwritable_reason(&config.path) {
            return Err(DbError::ReadOnly { reason });
        }
        let manager = Manager::new(&config.path, Access::ReadWrite, config.conn_max_age(), config.statement_recorder);
        // Migrate on a connection of our own first: a bad path fails here at once, with SQLite's
        // reason, instead of in the pool's retry loop.
        let mut first = manager.connect_unpooled()?;
        let writer_opened_at = Instant::now();
        if first.is_readonly(rusqlite::DatabaseName::Main)? {
            let reason = "SQLite could open it only read-only".to_string();
            return Err(DbError::ReadOnly { reason });
        }
        migrations::apply(&mut first)?;
        // The migrating connection becomes the writer's.
        let writer = Writer::start(first).map_err(DbError::WriterThread)?;
        Ok(Self::with_pool(config, manager, writer, Some(writer_opened_at)))
    }

    /// Opens an existing database read-only (`serve --read-only`): no migration, no write ever.
    /// Refuses a schema this binary does not know, newer or older.
    pub fn open_read_only(config: &DbConfig) -> Result<Self, DbError> {
        if !config.path.exists() {
            return Err(DbError::Missing);
        }
        let max_age = config.conn_max_age();
        let mut manager = Manager::new(&config.path, Access::ReadOnly, max_age, config.statement_recorder);
        let mut first = manager
            .connect_unpooled()
            .map_err(DbError::from)
            .and_then(|conn| migrations::refuse_newer(&conn).map(|_| conn));
        if let Err(DbError::Sqlite(err)) = &first {
            if err.sqlite_error_code() == Some(rusqlite::ErrorCode::CannotOpen) {
                // A WAL database where no -shm file can be created: a read-only disk.
                tracing::warn!("SQLite cannot create the -shm file beside the database; opening it immutable");
                manager = Manager::new(&config.path, Access::Immutable, max_age, config.statement_recorder);
                first = manager.connect_unpooled().map_err(DbError::from);
            }
        }
        let first = first?;
        let (found, known) = (migrations::refuse_newer(&first)?, migrations::latest_version());
        if found < known {
            return Err(DbError::NeedsMigration { found, known });
        }
        Ok(Self::with_pool(config, manager, Writer::closed(), None))
    }

    /// The handle over `manager`'s pool; read-only when there is no writer (`writer_opened_at`).
    fn with_pool(config: &DbConfig, manager: Manager, writer: Writer, writer_opened_at: Option<Instant>) -> Self {
        let read_only = writer_opened_at.is_none();
        let tracker = manager.tracker();
        let pool_size = config.pool_size.max(1);
        // 0 means a connection per unit of work (see `Manager`), not a lifetime r2d2 would refuse.
        let max_lifetime = Some(config.conn_max_age()).filter(|age| !age.is_zero());
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            // Connections open on demand; a fresh start costs one connection, not the whole pool.
            .min_idle(Some(0))
            .max_lifetime(max_lifetime)
            // A SQLite connection to a local file does not go stale between uses; skip the probe.
            .test_on_check_out(false)
            .build_unchecked(manager);
        let path = Arc::new(config.path.clone());
        let permits = Arc::new(Semaphore::new(pool_size as usize));
        let background_permits = Arc::new(Semaphore::new((pool_size as usize / 2).max(1)));
        let records_statements = config.statement_recorder;
        Self {
            pool,
            writer,
            path,
            read_only,
            permits,
            background_permits,
            background: false,
            tracker,
            writer_opened_at,
            records_statements,
        }
    }

    /// Whether statements are recorded (`--statement-recorder`, on unless turned off).
    pub fn records_statements(&self) -> bool {
        self.records_statements
    }

    /// Whether the database was opened read-only, so that writes must be refused.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// A handle that never connects, for building the OpenAPI document without a database.
    pub fn detached() -> Self {
        // It never connects, so the max age is any that reuses connections.
        let max_age = Duration::from_secs(600);
        let manager = Manager::new(std::path::Path::new("movielens-detached.db"), Access::ReadWrite, max_age, true);
        let tracker = manager.tracker();
        let pool = r2d2::Pool::builder().min_idle(Some(0)).build_unchecked(manager);
        let path = Arc::new(PathBuf::new());
        let permits = Arc::new(Semaphore::new(1));
        let background_permits = Arc::new(Semaphore::new(1));
        let writer = Writer::closed();
        Self {
            pool,
            writer,
            path,
            read_only: false,
            permits,
            background_permits,
            background: false,
            tracker,
            writer_opened_at: None,
            records_statements: true,
        }
    }

    /// This handle for background tasks: their reads use at most half the pool (at least one
    /// connection), so requests are never left waiting behind a queue of heavy tasks.
    pub fn for_background(&self) -> Self {
        Self { background: true, ..self.clone() }
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
        // r2d2 sweeps out old idle connections only every 30 s. As Django checks CONN_MAX_AGE
        // when a request starts, one past its age is not used: dropped here, it is closed.
        while self.tracker.expired(&conn) {
            drop(conn);
            conn = self.pool.get().map_err(DbError::from)?;
        }
        self.tracker.checked_out(&conn);
        work(&mut conn)
    }

    /// The read pool now: its size, open and idle connections with their ages, the max age, and
    /// how many checkouts reused a connection rather than opening one; and the writer's connection.
    pub fn pool_stats(&self) -> PoolStats {
        self.tracker.stats(self.pool.max_size(), self.pool.state(), self.writer_opened_at)
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
        let (result, recording) = self.run_recorded(operation, work).await?;
        statements::add_to_request(recording);
        result
    }

    /// [`Db::run`], returning with the result what SQLite ran for it. The statements are not
    /// added to the request's recording: the caller does that.
    async fn run_recorded<T, E>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<(Result<T, E>, Recording), DbError>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let db = self.clone();
        let span =
            tracing::debug_span!("db", operation, statements = tracing::field::Empty, sql = tracing::field::Empty);
        let background = match self.background {
            true => Some(self.background_permits.clone().acquire_owned().await.map_err(|_| DbError::Closed)?),
            false => None,
        };
        let permit = self.permits.clone().acquire_owned().await.map_err(|_| DbError::Closed)?;
        let recorded = tokio::task::spawn_blocking(move || {
            let _permits = (permit, background);
            let _entered = span.enter();
            if !db.records_statements {
                let result = db.with_conn(work);
                note_on_span(&span, &Recording::off());
                return (result, Recording::off());
            }
            let (result, recording) = statements::record(|| db.with_conn(work));
            note_on_span(&span, &recording);
            (result, recording)
        })
        .await?;
        Ok(recorded)
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
        self.run(operation, move |conn| in_read_transaction(conn, work)).await
    }

    /// [`Db::read`], returning with the result what SQLite ran for it: for pages that show their
    /// own statements. They also count for the request, as every unit of work's do.
    pub async fn read_recorded<T, E>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&Transaction) -> Result<T, E> + Send + 'static,
    ) -> Result<(T, Recording), E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (result, recording) = self.run_recorded(operation, move |conn| in_read_transaction(conn, work)).await?;
        statements::add_to_request(recording.clone());
        Ok((result?, recording))
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
        if self.read_only {
            return Err(DbError::WritesRefused.into());
        }
        self.writer.write(operation, work).await
    }
}
