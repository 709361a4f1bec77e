//! Embedded, append-only SQL migrations, applied in order at start.
//!
//! Each file in `migrations/` runs once, in its own transaction, and is recorded in
//! `schema_migrations`. Never edit a file that has landed: add the next number instead.

use rusqlite::{params, Connection};

use super::DbError;

/// (version, name, SQL). Versions are the file-name prefixes and must stay increasing.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "0001_schema", include_str!("../../migrations/0001_schema.sql")),
    (2, "0002_rating_aggregates_and_tokens", include_str!("../../migrations/0002_rating_aggregates_and_tokens.sql")),
    (3, "0003_score_prior_and_id_high_water", include_str!("../../migrations/0003_score_prior_and_id_high_water.sql")),
];

/// Applies every migration the database has not seen yet.
pub fn apply(conn: &mut Connection) -> Result<(), DbError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            applied_at INTEGER NOT NULL DEFAULT (unixepoch())
        )",
    )?;
    for &(version, name, sql) in MIGRATIONS {
        // IMMEDIATE takes the write lock first, so two processes starting together apply each
        // migration once: the second waits, then sees it recorded.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let applied: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)", [version], |row| {
                row.get(0)
            })?;
        if !applied {
            tx.execute_batch(sql)?;
            tx.execute("INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)", params![version, name])?;
            tracing::info!(migration = name, "applied migration");
        }
        tx.commit()?;
    }
    Ok(())
}
