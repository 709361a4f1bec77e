//! Commits to the database file by any connection, ours or another process's, seen through
//! `PRAGMA data_version` on a connection of the watcher's own (the value changes when a
//! connection other than the one asking commits).

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::DbError;

pub struct ChangeWatcher {
    conn: Connection,
    last: i64,
}

impl ChangeWatcher {
    pub fn open(path: &Path) -> Result<Self, DbError> {
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        let last = data_version(&conn)?;
        Ok(Self { conn, last })
    }

    /// Whether anything was committed since the last call (or since opening).
    pub fn changed(&mut self) -> Result<bool, DbError> {
        let now = data_version(&self.conn)?;
        let changed = now != self.last;
        self.last = now;
        Ok(changed)
    }
}

fn data_version(conn: &Connection) -> Result<i64, DbError> {
    Ok(conn.query_row("PRAGMA data_version", [], |row| row.get(0))?)
}
