//! What the request inspector shows: recorded requests, their statements, and the summary by
//! route. The JSON under `/api/profiling/requests...` and the `/silk/` pages both use these.

use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};

/// One recorded request, as listed.
#[derive(Debug, Clone, Object, Serialize)]
pub struct RecordedRequest {
    /// The inspector's id for this record (for its detail).
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub id: i64,
    /// The request's `X-Request-Id`.
    pub request_id: String,
    pub method: String,
    pub path: String,
    /// The query string, with sensitive values masked.
    pub query: String,
    /// The documented path template (`/api/movies/{id}`), or the path for anything else.
    pub route: String,
    #[oai(validator(minimum(value = "100"), maximum(value = "599")))]
    pub status: i64,
    /// When the request arrived (RFC 3339, UTC).
    pub started_at: String,
    /// Wall-clock time to the response, in milliseconds.
    #[oai(validator(minimum(value = "0")))]
    pub duration_ms: f64,
    /// The response body's size, when it was all there as the response left the app.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_bytes: Option<i64>,
    /// SQL statements run.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub queries: i64,
    /// Their total time inside SQLite, in milliseconds.
    #[oai(validator(minimum(value = "0")))]
    pub query_time_ms: f64,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub cache_hits: i64,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub cache_misses: i64,
    /// Time spent in cache calls, in milliseconds.
    #[oai(validator(minimum(value = "0")))]
    pub cache_time_ms: f64,
}

/// One statement of a recorded request.
#[derive(Debug, Clone, Object, Serialize)]
pub struct RecordedStatement {
    /// Its position in the request, from 0 (for `EXPLAIN QUERY PLAN`).
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub index: i64,
    /// The SQL as prepared, with `?` placeholders.
    pub sql: String,
    /// Time inside SQLite, in milliseconds.
    #[oai(validator(minimum(value = "0")))]
    pub time_ms: f64,
    /// Rows an INSERT, UPDATE or DELETE changed in its own table; absent for reads.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows_changed: Option<i64>,
}

/// Statements that repeat within a request.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct RecordedGroup {
    /// The SQL they share, as prepared.
    pub sql: String,
    #[oai(validator(minimum(value = "2"), maximum(value = "9007199254740991")))]
    pub count: i64,
    /// Their total time, in milliseconds.
    #[oai(validator(minimum(value = "0")))]
    pub time_ms: f64,
}

/// A request header as recorded (credentials and sensitive ones masked).
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct RecordedHeader {
    pub name: String,
    pub value: String,
}

/// One recorded request with everything kept of it.
#[derive(Debug, Clone, Object, Serialize)]
pub struct RequestDetail {
    pub request: RecordedRequest,
    /// The first 200 statements in the order they finished.
    pub statements: Vec<RecordedStatement>,
    /// Statements with the same SQL: an N+1 shows as one group of N.
    pub similar_queries: Vec<RecordedGroup>,
    /// Statements with the same SQL and the same values: work done twice.
    pub duplicate_queries: Vec<RecordedGroup>,
    pub request_headers: Vec<RecordedHeader>,
    /// The request body (masked, cut), when bodies are recorded.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body: Option<String>,
    /// The response body (masked, cut), when bodies are recorded.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_body: Option<String>,
}

/// A page of recorded requests.
#[derive(Debug, Clone, Object, Serialize)]
pub struct RequestPage {
    /// Requests matching the filters.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub count: i64,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub offset: i64,
    pub requests: Vec<RecordedRequest>,
}

/// How the request list is sorted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum RequestSort {
    #[default]
    Newest,
    Oldest,
    Slowest,
    MostQueries,
    MostDbTime,
}

impl RequestSort {
    pub const ALL: [RequestSort; 5] = [Self::Newest, Self::Oldest, Self::Slowest, Self::MostQueries, Self::MostDbTime];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Newest => "newest",
            Self::Oldest => "oldest",
            Self::Slowest => "slowest",
            Self::MostQueries => "most_queries",
            Self::MostDbTime => "most_db_time",
        }
    }
}

/// The list's filters.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    /// Part of the path.
    pub path: Option<String>,
    pub status: Option<i64>,
    pub min_ms: Option<f64>,
    pub min_queries: Option<i64>,
    pub sort: RequestSort,
    pub limit: i64,
    pub offset: i64,
}

/// One route's figures over the stored requests.
#[derive(Debug, Clone, Object, Serialize)]
pub struct RouteFigures {
    pub method: String,
    pub route: String,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub requests: i64,
    #[oai(validator(minimum(value = "0")))]
    pub mean_ms: f64,
    #[oai(validator(minimum(value = "0")))]
    pub max_ms: f64,
    #[oai(validator(minimum(value = "0")))]
    pub mean_queries: f64,
    /// Time inside SQLite over all its requests, in milliseconds.
    #[oai(validator(minimum(value = "0")))]
    pub total_db_ms: f64,
}

/// The inspector's summary.
#[derive(Debug, Clone, Object, Serialize)]
pub struct InspectorSummary {
    /// Whether requests are being recorded (not with `--no-inspector`).
    pub enabled: bool,
    /// Requests stored now.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub stored: i64,
    /// Requests queued for recording since the server started.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub recorded: i64,
    /// Requests dropped since the server started because the write queue was full.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub dropped: i64,
    /// Requests not recorded since the server started because the rate cap was reached.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub over_rate_cap: i64,
    /// Requests lost because their batch could not be written.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub write_failures: i64,
    /// Mean wall-clock time of the stored requests, in milliseconds.
    #[oai(validator(minimum(value = "0")))]
    pub mean_ms: f64,
    /// Mean statements per stored request.
    #[oai(validator(minimum(value = "0")))]
    pub mean_queries: f64,
    /// Routes by mean time, slowest first (ten).
    pub slowest_routes: Vec<RouteFigures>,
    /// Routes by mean statements, most first (ten).
    pub most_queries: Vec<RouteFigures>,
    /// Routes by total time inside SQLite, most first (ten).
    pub most_db_time: Vec<RouteFigures>,
    /// The retention: requests kept at most.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub max_requests: i64,
    /// The retention: hours kept at most.
    #[oai(validator(minimum(value = "0")))]
    pub max_age_hours: f64,
    /// The share of requests recorded, in percent.
    #[oai(validator(minimum(value = "0"), maximum(value = "100")))]
    pub sample_percent: f64,
    /// Requests recorded per second at most (0: no cap).
    #[oai(validator(minimum(value = "0"), maximum(value = "1000000")))]
    pub max_per_second: i64,
    /// The inspector file's size with its write-ahead log, in bytes.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub file_bytes: i64,
}

/// One step of a query plan.
#[derive(Debug, Clone, Object, Serialize)]
pub struct PlanStep {
    #[oai(validator(minimum(value = "-9007199254740991"), maximum(value = "9007199254740991")))]
    pub id: i64,
    #[oai(validator(minimum(value = "-9007199254740991"), maximum(value = "9007199254740991")))]
    pub parent: i64,
    /// SQLite's description: `SCAN movies`, `SEARCH ratings USING INDEX ...`.
    pub detail: String,
}

/// A recorded statement's `EXPLAIN QUERY PLAN`, run now against the database.
#[derive(Debug, Clone, Object, Serialize)]
pub struct QueryPlan {
    pub sql: String,
    pub plan: Vec<PlanStep>,
}
