//! `movielens restore PATH`: checks a backup, then swaps it in for the live database.
//!
//! Every check runs before the live file is touched: the backup must pass
//! `PRAGMA integrity_check`, be a movielens database and carry no migration newer than this
//! binary's. The swap then copies the backup beside the live file, syncs it, takes the live
//! database's exclusive lock (refused while a server or worker has it open), ends its WAL, and
//! renames the copy over it: a crash leaves either the old database or the new one.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::db::migrations;

/// What was restored.
#[derive(Debug)]
pub struct Restored {
    pub schema_version: i64,
    pub movies: i64,
}

/// Why a file cannot be restored; the live database was not touched.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("{0} does not exist")]
    Missing(String),
    #[error("{0} is not a SQLite database ({1})")]
    NotSqlite(String, String),
    #[error("{0} fails SQLite's integrity check: {1}")]
    Corrupt(String, String),
    #[error("{0} is not a movielens database: it has no {1} table")]
    Foreign(String, &'static str),
    #[error(
        "{path} carries schema version {found}, newer than this binary knows ({known}); restore it with the \
         movielens that wrote it, or a later one"
    )]
    NewerSchema { path: String, found: i64, known: i64 },
    #[error("{0} is in use by another process (a running server or worker); stop it first, then restore")]
    InUse(String),
}

/// Checks `backup`, then swaps it in at `live`. A refusal leaves `live` as it was.
pub fn restore(backup: &Path, live: &Path) -> anyhow::Result<Restored> {
    let restored = check(backup)?;
    let partial = sidecar(live, ".restore-partial");
    let swapped = super::copy_pages(backup, &partial)
        .and_then(|()| super::sync_file(&partial))
        .and_then(|()| swap_in(&partial, live));
    if swapped.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    swapped.map(|()| restored)
}

/// The checks, on the backup alone (opened read-only).
pub fn check(backup: &Path) -> Result<Restored, Refused> {
    let shown = backup.display().to_string();
    if !backup.is_file() {
        return Err(Refused::Missing(shown));
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let not_sqlite = |err: rusqlite::Error| Refused::NotSqlite(shown.clone(), err.to_string());
    let conn = Connection::open_with_flags(backup, flags).map_err(not_sqlite)?;
    let problems = integrity_problems(&conn).map_err(|err| match err.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => Refused::NotSqlite(shown.clone(), err.to_string()),
        _ => Refused::Corrupt(shown.clone(), err.to_string()),
    })?;
    if !problems.is_empty() {
        return Err(Refused::Corrupt(shown, problems.join("; ")));
    }
    for table in ["schema_migrations", "movies"] {
        let exists: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1)",
                [table],
                |row| row.get(0),
            )
            .map_err(|err| Refused::Corrupt(shown.clone(), err.to_string()))?;
        if !exists {
            return Err(Refused::Foreign(shown, table));
        }
    }
    let found = migrations::recorded_version(&conn).map_err(|err| Refused::Corrupt(shown.clone(), err.to_string()))?;
    let known = migrations::latest_version();
    if found > known {
        return Err(Refused::NewerSchema { path: shown, found, known });
    }
    let movies = conn
        .query_row("SELECT count(*) FROM movies", [], |row| row.get(0))
        .map_err(|err| Refused::Corrupt(shown.clone(), err.to_string()))?;
    Ok(Restored { schema_version: found, movies })
}

/// The first problems `PRAGMA integrity_check` reports; empty when it says `ok`.
fn integrity_problems(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut statement = conn.prepare("PRAGMA integrity_check(10)")?;
    let rows: Vec<String> = statement.query_map([], |row| row.get(0))?.collect::<Result<_, _>>()?;
    Ok(rows.into_iter().filter(|row| row != "ok").collect())
}

/// Renames `partial` over `live` while holding `live`'s exclusive lock, its WAL ended first.
fn swap_in(partial: &Path, live: &Path) -> anyhow::Result<()> {
    let lock = match live.exists() {
        true => Some(lock_exclusively(live)?),
        false => None,
    };
    for leftover in [sidecar(live, "-wal"), sidecar(live, "-journal")] {
        if leftover.exists() {
            anyhow::bail!("{} is still there after the checkpoint; nothing was changed", leftover.display());
        }
    }
    std::fs::rename(partial, live).with_context(|| format!("renaming the restored copy to {}", live.display()))?;
    super::sync_parent(live)?;
    // The old file's shared-memory index would be rebuilt anyway; removing it leaves no doubt.
    let _ = std::fs::remove_file(sidecar(live, "-shm"));
    drop(lock);
    Ok(())
}

/// Opens `live` in exclusive locking mode and takes its lock, which SQLite grants only when no
/// other connection has the file open; then checkpoints and removes its WAL.
fn lock_exclusively(live: &Path) -> anyhow::Result<Connection> {
    let shown = live.display().to_string();
    let conn = Connection::open_with_flags(live, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .with_context(|| format!("opening {shown}"))?;
    conn.busy_timeout(std::time::Duration::from_millis(200))?;
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    let locked = conn.execute_batch("BEGIN EXCLUSIVE; COMMIT;");
    match locked {
        Ok(()) => {}
        Err(err) if matches!(err.sqlite_error_code(), Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)) => {
            return Err(Refused::InUse(shown).into());
        }
        Err(err) => return Err(err).with_context(|| format!("locking {shown}")),
    }
    // Ends WAL mode: the log is checkpointed into the old file and deleted, so no stale log can
    // be replayed onto the restored one. An in-memory journal leaves no file of its own either.
    conn.pragma_update(None, "journal_mode", "MEMORY").with_context(|| format!("checkpointing {shown}"))?;
    Ok(conn)
}

/// `<live>` with `suffix` appended to its file name.
fn sidecar(live: &Path, suffix: &str) -> PathBuf {
    let mut name = live.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
