//! The envelope every lab answer shares: the seed's `method`, `queries_count`, `queries` and
//! `data`, with the time taken, the repeated statements grouped, and the lesson.

use std::time::Duration;

use poem_openapi::types::{ParseFromJSON, ToJSON};
use poem_openapi::Object;
use serde::Serialize;

use crate::db::statements::{Recording, StatementGroup};

/// One statement, as SQLite ran it.
#[derive(Debug, Clone, Object, Serialize)]
pub struct QueryInfo {
    /// The SQL, with its bound values written in where the lab reported them.
    pub sql: String,
    /// Time inside SQLite, in milliseconds.
    #[oai(validator(minimum(value = "0")))]
    pub time_ms: f64,
    /// Rows an INSERT, UPDATE or DELETE changed in its own table; absent for reads.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub rows_changed: Option<i64>,
}

/// Statements that repeat: the same SQL (similar) or the same SQL and values (duplicate).
#[derive(Debug, Clone, Object, Serialize)]
pub struct QueryGroup {
    /// The SQL they share: with placeholders for similar groups, with values for duplicates.
    pub sql: String,
    /// How many statements the group holds (two or more).
    #[oai(validator(minimum(value = "2"), maximum(value = "9007199254740991")))]
    pub count: i64,
    /// Their total time inside SQLite, in milliseconds.
    #[oai(validator(minimum(value = "0")))]
    pub time_ms: f64,
}

/// A lab answer: what it ran, what that cost, what it teaches, and the data.
#[derive(Debug, Clone, Object, Serialize)]
pub struct LabReport<T: ParseFromJSON + ToJSON> {
    /// The technique, in the seed's words.
    pub method: String,
    /// Statements SQLite ran for this answer: every one, none counted twice, housekeeping
    /// (PRAGMAs, the read transaction) excluded.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub queries_count: i64,
    /// Each statement with its time, in the order they finished (the first thousand).
    pub queries: Vec<QueryInfo>,
    /// Their total time inside SQLite, in milliseconds.
    #[oai(validator(minimum(value = "0")))]
    pub queries_time_ms: f64,
    /// Wall-clock time of the whole answer, SQL and Rust, in milliseconds.
    #[oai(validator(minimum(value = "0")))]
    pub time_ms: f64,
    /// Statements with the same SQL: an N+1 shows as one group of N.
    pub similar_queries: Vec<QueryGroup>,
    /// Statements with the same SQL and the same values: work done more than once.
    pub duplicate_queries: Vec<QueryGroup>,
    /// The lesson these figures teach.
    pub explanation: String,
    pub data: T,
}

/// Said first when the server runs without the statement recorder, so no count misleads.
const RECORDER_OFF: &str = "The statement recorder is off (--statement-recorder false): no statement was \
    recorded, so queries_count is 0 whatever ran.";

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn group(group: StatementGroup) -> QueryGroup {
    QueryGroup { sql: group.sql, count: group.count as i64, time_ms: millis(group.elapsed) }
}

impl<T: ParseFromJSON + ToJSON> LabReport<T> {
    /// A report of `recording`, which took `elapsed` in all.
    pub fn new(method: &str, explanation: &str, recording: &Recording, elapsed: Duration, data: T) -> Self {
        let queries = recording
            .statements()
            .iter()
            .map(|statement| QueryInfo {
                sql: statement.bound_sql().unwrap_or_else(|| statement.sql.to_string()),
                time_ms: millis(statement.elapsed),
                rows_changed: statement.rows_changed.map(|rows| rows as i64),
            })
            .collect();
        Self {
            method: method.to_string(),
            queries_count: recording.count() as i64,
            queries,
            queries_time_ms: millis(recording.elapsed()),
            time_ms: millis(elapsed),
            similar_queries: recording.similar().into_iter().map(group).collect(),
            duplicate_queries: recording.duplicates().into_iter().map(group).collect(),
            explanation: if recording.is_off() {
                format!("{RECORDER_OFF} {explanation}")
            } else {
                explanation.to_string()
            },
            data,
        }
    }
}

/// A lab answer from what a unit of work returned and recorded, started at `started`.
pub fn recorded<T: ParseFromJSON + ToJSON>(
    result: Result<(T, Recording), crate::db::DbError>,
    started: std::time::Instant,
    method: &str,
    explanation: &str,
) -> Result<LabReport<T>, crate::api::error::AppError> {
    let (data, recording) = result?;
    Ok(LabReport::new(method, explanation, &recording, started.elapsed(), data))
}
