//! The index lesson's answer: the same query on an indexed and on an unindexed column, measured.

use poem_openapi::Object;
use serde::Serialize;

/// One execution of a query. SQLite's counters are zeroed before each run, so each run's
/// figures are its own work, not a running total.
#[derive(Debug, Clone, Object, Serialize)]
pub struct QueryRun {
    /// Wall time of this execution (bind, step to the result, reset), in milliseconds.
    #[oai(validator(minimum(value = "0")))]
    pub time_ms: f64,
    /// SQLite's `SQLITE_STMTSTATUS_FULLSCAN_STEP` for this run: steps from one row to the next in
    /// a full table scan. 0 when an index led straight to the matching rows; for a scan of the
    /// whole table, its row count less one (reaching the first row is not a step).
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub fullscan_steps: i64,
    /// SQLite's `SQLITE_STMTSTATUS_VM_STEP` for this run: virtual machine operations, a measure of
    /// all the work the statement did.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub vm_steps: i64,
}

/// One side of the comparison.
#[derive(Debug, Clone, Object, Serialize)]
pub struct MeasuredQuery {
    /// The SQL as prepared; `?1` is `value`.
    pub sql: String,
    /// The column the WHERE clause filters on.
    pub column: String,
    /// The value bound to `?1`.
    #[oai(validator(minimum(value = "-9007199254740991"), maximum(value = "9007199254740991")))]
    pub value: i64,
    /// The detail lines of `EXPLAIN QUERY PLAN`: `SEARCH ... USING INDEX ...` when an index finds
    /// the rows, `SCAN ratings` when SQLite must read every row.
    pub plan: Vec<String>,
    /// `count(*)`: ratings that matched.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub matched_rows: i64,
    /// `avg(rating)` of the matched ratings; absent when none matched.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(validator(minimum(value = "0.5"), maximum(value = "5")))]
    pub mean_rating: Option<f64>,
    /// Every run, in the order it ran.
    pub runs: Vec<QueryRun>,
    /// The median of the runs' `time_ms` (the mean of the two middle ones for an even count), in
    /// milliseconds: unlike the mean, one run slowed by a cold cache or a busy core barely moves it.
    #[oai(validator(minimum(value = "0")))]
    pub median_ms: f64,
}

/// The same aggregate over `ratings`, filtered on the indexed `user_id` and on the unindexed
/// `timestamp`, each run several times.
#[derive(Debug, Clone, Object, Serialize)]
pub struct IndexComparison {
    /// The user whose ratings the indexed query aggregates.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub user_id: i64,
    /// The second (Unix time) whose ratings the unindexed query aggregates.
    #[oai(validator(minimum(value = "-9007199254740991"), maximum(value = "9007199254740991")))]
    pub timestamp: i64,
    /// Whether `timestamp` was chosen here (the user's first rating, so that both queries match
    /// rows) rather than given in the request.
    pub timestamp_is_default: bool,
    /// Rows in `ratings`: what a full scan steps over.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub table_rows: i64,
    /// Runs of each query. They alternate (indexed, unindexed, indexed, ...) so that neither
    /// query alone profits from a cache the other warmed.
    #[oai(validator(minimum(value = "1"), maximum(value = "25")))]
    pub runs: i64,
    /// `WHERE user_id = ?1`, answered through the index `ratings_user_id`.
    pub indexed: MeasuredQuery,
    /// `WHERE timestamp = ?1`, answered by reading the whole table.
    pub unindexed: MeasuredQuery,
    /// `unindexed.median_ms / indexed.median_ms`: how many times slower the scan was, measured.
    #[oai(validator(minimum(value = "0")))]
    pub speedup: f64,
}
