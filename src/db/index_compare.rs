//! The index lesson's SQL: one query shape, filtering ratings on an indexed column and on an
//! unindexed one, each run several times with SQLite's own counters read per run.
//!
//! Both queries aggregate (`count(*)`, `avg(rating)`), so each must visit every matching row:
//! there is no `LIMIT` at which either could stop early and flatter the scan.

use std::time::Duration;

use rusqlite::{params, Connection, StatementStatus};

use super::lab::{noted, noted_row, noted_rows};
use super::DbError;

/// Ratings of one user, found through the index `ratings_user_id`.
pub const INDEXED_SQL: &str = "SELECT count(*), avg(rating) FROM ratings WHERE user_id = ?1";

/// Ratings made in one second: `ratings.timestamp` has no index (see migrations/0001_schema.sql),
/// so SQLite reads the whole table to find them.
pub const UNINDEXED_SQL: &str = "SELECT count(*), avg(rating) FROM ratings WHERE timestamp = ?1";

/// One execution of a query, with the counters SQLite kept for that execution alone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Run {
    /// Wall time of the execution: binding, stepping to the one result row, and reset.
    pub elapsed: Duration,
    /// `SQLITE_STMTSTATUS_FULLSCAN_STEP`: steps forward through a table in a full scan.
    pub fullscan_steps: i64,
    /// `SQLITE_STMTSTATUS_VM_STEP`: virtual machine operations, a measure of all work done.
    pub vm_steps: i64,
}

/// What one query found: the aggregate it computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Answer {
    /// `count(*)`: ratings that matched.
    pub matched: i64,
    /// `avg(rating)` of those; `None` when none matched.
    pub mean: Option<f64>,
}

/// The timestamp of `user_id`'s first rating, which the comparison uses by default so that the
/// unindexed query matches at least one row. `None` when the user has no ratings.
pub fn first_rating_timestamp(conn: &Connection, user_id: i64) -> Result<Option<i64>, DbError> {
    let sql = "SELECT min(timestamp) FROM ratings WHERE user_id = ?1";
    Ok(noted_row(conn, sql, params![user_id], |row| row.get::<_, Option<i64>>(0))?.flatten())
}

/// Rows in `ratings`, from the `totals` row that triggers keep exact (counting would itself scan).
pub fn rating_rows(conn: &Connection) -> Result<i64, DbError> {
    Ok(noted_row(conn, "SELECT rating_count FROM totals WHERE id = 1", params![], |row| row.get(0))?.unwrap_or(0))
}

/// The detail lines of `EXPLAIN QUERY PLAN` for `sql` with `value` bound, in SQLite's order.
pub fn query_plan(conn: &Connection, sql: &str, value: i64) -> Result<Vec<String>, DbError> {
    noted_rows(conn, &format!("EXPLAIN QUERY PLAN {sql}"), params![value], |row| row.get::<_, String>(3))
}

/// Runs `sql` once with `value` bound, timing it and reading SQLite's counters for this run only.
pub fn run_once(conn: &Connection, sql: &str, value: i64) -> Result<(Run, Answer), DbError> {
    let ((answer, fullscan_steps, vm_steps), elapsed) = noted(conn, sql, params![value], |statement| {
        // The counters add up over a statement's life, and the cached statement is reused: zero
        // them so that each run reports its own work.
        statement.reset_status(StatementStatus::FullscanStep);
        statement.reset_status(StatementStatus::VmStep);
        let answer = statement.query_row([value], |row| Ok(Answer { matched: row.get(0)?, mean: row.get(1)? }))?;
        let counters =
            (statement.get_status(StatementStatus::FullscanStep), statement.get_status(StatementStatus::VmStep));
        Ok((answer, counters.0.into(), counters.1.into()))
    })?;
    Ok((Run { elapsed, fullscan_steps, vm_steps }, answer))
}

/// One query's runs, in the order they ran, and its answer (the same on every run).
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub runs: Vec<Run>,
    pub answer: Answer,
}

/// Runs the indexed and the unindexed query `runs` times each, alternating, so that neither gets
/// a cache the other warmed for it alone. Returns the indexed query's figures, then the other's.
pub fn compare(conn: &Connection, user_id: i64, timestamp: i64, runs: usize) -> Result<[Measured; 2], DbError> {
    let empty = || Measured { runs: Vec::with_capacity(runs), answer: Answer { matched: 0, mean: None } };
    let (mut indexed, mut unindexed) = (empty(), empty());
    for _ in 0..runs {
        for (measured, sql, value) in [(&mut indexed, INDEXED_SQL, user_id), (&mut unindexed, UNINDEXED_SQL, timestamp)]
        {
            let (run, answer) = run_once(conn, sql, value)?;
            measured.runs.push(run);
            measured.answer = answer;
        }
    }
    Ok([indexed, unindexed])
}
