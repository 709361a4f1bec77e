//! For the `db` modules' unit tests: a migrated database in a temporary file, and SQLite's plan
//! for a statement.

use rusqlite::{Connection, Params};

/// A database file with every migration applied; the directory goes when the tuple is dropped.
pub fn migrated_db() -> (Connection, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = Connection::open(dir.path().join("test.db")).unwrap();
    crate::db::migrations::apply(&mut conn).unwrap();
    (conn, dir)
}

/// `EXPLAIN QUERY PLAN` of `sql` with `params`, one line per step.
pub fn query_plan(conn: &Connection, sql: &str, params: impl Params) -> Vec<String> {
    let mut explain = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    explain.query_map(params, |row| row.get(3)).unwrap().map(Result::unwrap).collect()
}
