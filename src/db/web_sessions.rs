//! The sign-in sessions of the HTML pages (migration 0009). Rows are keyed by the hash of the
//! cookie's id; the id itself is never stored.

use rusqlite::{params, Connection, OptionalExtension};

use super::DbError;

/// One stored session. Times are unix seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub id_hash: String,
    pub csrf_secret: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_seen_at: i64,
}

/// Stores a new session, first removing those that have ended (at `now`, with `idle_secs` of
/// idle time allowed), so the table holds only live sessions and a few that ended since.
pub fn insert(conn: &Connection, session: &StoredSession, idle_secs: i64) -> Result<(), DbError> {
    prune(conn, session.created_at, idle_secs)?;
    conn.execute(
        "INSERT INTO web_sessions (id_hash, csrf_secret, created_at, expires_at, last_seen_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![session.id_hash, session.csrf_secret, session.created_at, session.expires_at, session.last_seen_at],
    )?;
    Ok(())
}

/// The session stored under `id_hash`, ended or not.
pub fn find(conn: &Connection, id_hash: &str) -> Result<Option<StoredSession>, DbError> {
    let found = conn
        .query_row(
            "SELECT id_hash, csrf_secret, created_at, expires_at, last_seen_at FROM web_sessions WHERE id_hash = ?1",
            [id_hash],
            |row| {
                Ok(StoredSession {
                    id_hash: row.get(0)?,
                    csrf_secret: row.get(1)?,
                    created_at: row.get(2)?,
                    expires_at: row.get(3)?,
                    last_seen_at: row.get(4)?,
                })
            },
        )
        .optional()?;
    Ok(found)
}

/// Records activity on a session.
pub fn touch(conn: &Connection, id_hash: &str, now: i64) -> Result<(), DbError> {
    conn.execute("UPDATE web_sessions SET last_seen_at = ?2 WHERE id_hash = ?1", params![id_hash, now])?;
    Ok(())
}

/// Removes one session (sign-out, or one found ended); true if it was there.
pub fn delete(conn: &Connection, id_hash: &str) -> Result<bool, DbError> {
    Ok(conn.execute("DELETE FROM web_sessions WHERE id_hash = ?1", [id_hash])? > 0)
}

/// Removes every session past its absolute end or idle for longer than `idle_secs`.
pub fn prune(conn: &Connection, now: i64, idle_secs: i64) -> Result<usize, DbError> {
    let removed = conn.execute(
        "DELETE FROM web_sessions WHERE expires_at <= ?1 OR last_seen_at <= ?1 - ?2",
        params![now, idle_secs],
    )?;
    Ok(removed)
}
