//! The F-expression demo's counters (migration 0005): read-modify-write in the application
//! against one `UPDATE ... SET value = value + 1`.

use rusqlite::{params, Connection};

use super::{noted_execute, noted_row};
use crate::db::DbError;

/// Creates a counter at 0.
pub fn create(conn: &Connection, name: &str) -> Result<(), DbError> {
    noted_execute(conn, "INSERT INTO lab_counters (name, value) VALUES (?1, 0)", params![name])?;
    Ok(())
}

/// A counter's value, or `None` if there is no such counter.
pub fn value(conn: &Connection, name: &str) -> Result<Option<i64>, DbError> {
    noted_row(conn, "SELECT value FROM lab_counters WHERE name = ?1", params![name], |row| row.get(0))
}

/// The second half of a read-modify-write: stores a value computed from an earlier read, which
/// another writer may have changed since.
pub fn store(conn: &Connection, name: &str, value: i64) -> Result<(), DbError> {
    noted_execute(conn, "UPDATE lab_counters SET value = ?2 WHERE name = ?1", params![name, value])?;
    Ok(())
}

/// One statement that reads and writes under the write lock: no update can be lost.
pub fn increment(conn: &Connection, name: &str) -> Result<(), DbError> {
    noted_execute(conn, "UPDATE lab_counters SET value = value + 1 WHERE name = ?1", params![name])?;
    Ok(())
}

/// Removes a run's counters.
pub fn remove(conn: &Connection, names: &[&str]) -> Result<(), DbError> {
    for name in names {
        noted_execute(conn, "DELETE FROM lab_counters WHERE name = ?1", params![name])?;
    }
    Ok(())
}
