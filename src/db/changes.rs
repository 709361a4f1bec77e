//! Changes to the data by any connection, ours or another process's. `PRAGMA data_version` on
//! a connection of the watcher's own changes when any other connection commits; the
//! `data_generation` counter (bumped by triggers on the data tables) then says whether the
//! commit changed data or only bookkeeping such as the job tables.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::DbError;

pub struct ChangeWatcher {
    conn: Connection,
    last: i64,
    generation: i64,
}

impl ChangeWatcher {
    pub fn open(path: &Path) -> Result<Self, DbError> {
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        let last = data_version(&conn)?;
        let generation = generation(&conn)?;
        Ok(Self { conn, last, generation })
    }

    /// Whether the data changed since the last call (or since opening).
    pub fn changed(&mut self) -> Result<bool, DbError> {
        let now = data_version(&self.conn)?;
        if now == self.last {
            return Ok(false);
        }
        self.last = now;
        let generation = generation(&self.conn)?;
        let changed = generation != self.generation;
        self.generation = generation;
        Ok(changed)
    }
}

fn generation(conn: &Connection) -> Result<i64, DbError> {
    Ok(conn.query_row("SELECT generation FROM data_generation WHERE id = 1", [], |row| row.get(0))?)
}

fn data_version(conn: &Connection) -> Result<i64, DbError> {
    Ok(conn.query_row("PRAGMA data_version", [], |row| row.get(0))?)
}
