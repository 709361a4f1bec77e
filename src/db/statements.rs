//! Counts and times every SQL statement a connection runs, through SQLite's profile hook.
//!
//! The hook is installed on every pooled connection, so no statement escapes it. Totals are kept
//! per thread: `Db::run` executes its closure on one blocking thread, which makes the totals of
//! a `count` call exactly the statements of that unit of work.

use std::cell::Cell;
use std::time::Duration;

use rusqlite::Connection;

/// What the statements of one unit of work cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatementTotals {
    pub statements: u64,
    pub elapsed: Duration,
}

thread_local! {
    static TOTALS: Cell<StatementTotals> = const { Cell::new(StatementTotals { statements: 0, elapsed: Duration::ZERO }) };
}

fn on_statement(sql: &str, elapsed: Duration) {
    TOTALS.with(|totals| {
        let mut now = totals.get();
        now.statements += 1;
        now.elapsed += elapsed;
        totals.set(now);
    });
    tracing::trace!(target: "movielens::sql", elapsed_us = elapsed.as_micros() as u64, sql);
}

/// Installs the hook on a connection.
pub fn record_on(conn: &mut Connection) {
    conn.profile(Some(on_statement));
}

/// Runs `work` and returns the statements it ran on this thread, with their total time.
pub fn count<T>(work: impl FnOnce() -> T) -> (T, StatementTotals) {
    let before = TOTALS.with(Cell::get);
    let result = work();
    let after = TOTALS.with(Cell::get);
    let totals = StatementTotals {
        statements: after.statements - before.statements,
        elapsed: after.elapsed.saturating_sub(before.elapsed),
    };
    (result, totals)
}
