//! The data set in figures.

use poem_openapi::Object;
use serde::Serialize;

/// Rows in each table.
#[derive(Debug, Clone, Object, Serialize)]
pub struct TableCounts {
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub movies: i64,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub genres: i64,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub movie_genres: i64,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub ratings: i64,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub tags: i64,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub links: i64,
}

/// Where the data came from: the latest completed load.
#[derive(Debug, Clone, Object, Serialize)]
pub struct DataSource {
    /// `demo` (the built-in synthetic data), `directory`, `zip` or `download`.
    pub kind: String,
    /// The path, the data set and its URL, or the demo data's seed and size.
    pub source: String,
    /// When the load finished, in seconds since the Unix epoch.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub imported_at: i64,
    /// How long the load took, in whole seconds.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub duration_seconds: i64,
}

/// The data set in figures.
#[derive(Debug, Clone, Object, Serialize)]
pub struct Stats {
    pub tables: TableCounts,
    /// The latest load; absent before any.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<DataSource>,
    /// How many loads the database has seen.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub imports: i64,
    /// The size of the write-ahead log file, in bytes. A background checkpoint keeps it small.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub wal_bytes: i64,
}
