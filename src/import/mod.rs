//! Loading MovieLens data into the database: from a folder, a zip, a download, or the generator.
//!
//! An import is one transaction: it either loads every file or leaves the database as it was.
//! References to movies that movies.csv does not define (in ratings, tags or links) are errors,
//! like any other malformed row; nothing is skipped silently.

pub mod cancel;
pub mod download;
pub mod generate;
mod load;
pub use load::load;
pub use load::year_from_title;
pub mod progress;
mod record_limit;
mod records;
pub mod source;
mod synthetic;

use std::fmt;
use std::time::Duration;

use crate::db::{statements, Db, DbError};
use source::{DataFile, DatasetSource};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A row or header that is not MovieLens data; names the file and its 1-based line.
    #[error("{file}, line {line}: {problem}")]
    Invalid { file: &'static str, line: u64, problem: String },
    /// A file that is missing or cannot be read.
    #[error("{file}: {problem}")]
    File { file: String, problem: String },
    #[error("the database already holds {movies} movies and {ratings} ratings; pass --replace to replace them")]
    NotEmpty { movies: i64, ratings: i64 },
    #[error("downloading {url} failed: {problem}")]
    Download { url: String, problem: String },
    #[error(transparent)]
    Generate(#[from] generate::GenerateError),
    #[error("database error: {0}")]
    Db(#[from] DbError),
    #[error("interrupted: the import was rolled back and the database is as it was")]
    Interrupted,
}

impl ImportError {
    pub(crate) fn invalid(file: DataFile, line: u64, problem: String) -> Self {
        Self::Invalid { file: file.name(), line, problem }
    }

    pub(crate) fn file(file: impl Into<String>, problem: impl fmt::Display) -> Self {
        Self::File { file: file.into(), problem: problem.to_string() }
    }
}

impl From<rusqlite::Error> for ImportError {
    fn from(err: rusqlite::Error) -> Self {
        Self::Db(DbError::Sqlite(err))
    }
}

#[derive(Clone, Default)]
pub struct ImportOptions {
    /// Delete the data already in the database, in the same transaction, before loading.
    pub replace: bool,
    /// Draw a progress bar on stderr (only shown when stderr is a terminal).
    pub progress: bool,
    /// Stops the load (which then rolls back) when requested, e.g. by a shutdown signal.
    pub cancel: cancel::Cancel,
    /// Counts the bytes read, for progress reported elsewhere than a terminal.
    pub bytes: progress::ByteCount,
}

/// What an import loaded, and how long it took.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportSummary {
    pub source: String,
    pub movies: u64,
    pub genres: u64,
    pub movie_genres: u64,
    pub links: u64,
    pub ratings: u64,
    pub tags: u64,
    pub elapsed: Duration,
}

impl ImportSummary {
    pub fn total_rows(&self) -> u64 {
        self.movies + self.genres + self.movie_genres + self.links + self.ratings + self.tags
    }

    pub fn rows_per_second(&self) -> f64 {
        self.total_rows() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Imported {} in {:.2} s", self.source, self.elapsed.as_secs_f64())?;
        for (table, rows) in [
            ("movies", self.movies),
            ("genres", self.genres),
            ("movie_genres", self.movie_genres),
            ("links", self.links),
            ("ratings", self.ratings),
            ("tags", self.tags),
        ] {
            writeln!(f, "  {table:<13}{rows:>12}")?;
        }
        write!(f, "  {:<13}{:>12} rows, {:.0} rows/s", "total", self.total_rows(), self.rows_per_second())
    }
}

/// Loads `source` into the database in one transaction.
pub fn import(db: &Db, source: &mut dyn DatasetSource, options: ImportOptions) -> Result<ImportSummary, ImportError> {
    let _loading = options.cancel.loading();
    // Millions of inserts that no one inspects one by one: the recorder's hooks would only slow them.
    db.with_conn(|conn| statements::unrecorded(conn, |conn| load::load(conn, source, options)))
}

/// Whether the database holds any movies (a fresh database holds none).
pub fn has_movies(conn: &rusqlite::Connection) -> Result<bool, DbError> {
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM movies)", [], |row| row.get(0))?)
}
