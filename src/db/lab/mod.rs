//! The query lab's SQL: the same movies loaded the slow way and the fast way, so the statement
//! recorder can show the difference. Each function states how many statements it runs.
//!
//! Statements report their bound values and their measured time to the recorder ([`noted_rows`]),
//! so the lab can show each one as SQLite ran it, to the microsecond, and find duplicates.

pub mod counters;
pub mod orm;
pub mod q_filters;

use std::time::{Duration, Instant};

use rusqlite::{Connection, Row, StatementStatus, ToSql};

use super::{bound_values, statements, DbError};

/// Runs `sql` with `params`, maps every row, and reports its values and time to the recorder.
pub fn noted_rows<T>(
    conn: &Connection,
    sql: &str,
    params: &[&dyn ToSql],
    row: impl FnMut(&Row) -> rusqlite::Result<T>,
) -> Result<Vec<T>, DbError> {
    Ok(noted(conn, sql, params, |statement| statement.query_map(params, row)?.collect::<Result<Vec<T>, _>>())?.0)
}

/// Runs a statement that returns no rows, and reports its values and time to the recorder.
pub fn noted_execute(conn: &Connection, sql: &str, params: &[&dyn ToSql]) -> Result<usize, DbError> {
    Ok(noted(conn, sql, params, |statement| statement.execute(params))?.0)
}

/// Runs `run` on `sql` prepared (cached), which binds `params`, and reports them and the time
/// `run` took to the recorder; returns `run`'s result and that time.
///
/// The values are kept as they are and written into the SQL only when a report shows them.
pub fn noted<T>(
    conn: &Connection,
    sql: &str,
    params: &[&dyn ToSql],
    run: impl FnOnce(&mut rusqlite::Statement) -> rusqlite::Result<T>,
) -> Result<(T, Duration), DbError> {
    let mut statement = conn.prepare_cached(sql)?;
    statement.reset_status(StatementStatus::RePrepare);
    let started = Instant::now();
    let result = run(&mut statement)?;
    let elapsed = started.elapsed();
    if statements::is_recording() {
        let reprepared = statement.reset_status(StatementStatus::RePrepare) > 0;
        statements::note_run(sql, Some(bound_values::values_of(params)), elapsed, reprepared);
    }
    Ok((result, elapsed))
}

/// [`noted_rows`] for a statement that returns at most one row.
pub fn noted_row<T>(
    conn: &Connection,
    sql: &str,
    params: &[&dyn ToSql],
    row: impl FnMut(&Row) -> rusqlite::Result<T>,
) -> Result<Option<T>, DbError> {
    Ok(noted_rows(conn, sql, params, row)?.into_iter().next())
}

/// A list of ids as one bound value, for `IN (SELECT value FROM json_each(?))`: one SQL text for
/// any number of ids, so the statement cache holds one statement, not one per list length.
pub fn id_list(ids: &[i64]) -> String {
    serde_json::to_string(ids).expect("integers serialize")
}
