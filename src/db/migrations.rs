//! Embedded, append-only SQL migrations, applied in order at start.
//!
//! Each file in `migrations/` runs once, in its own transaction, and is recorded in
//! `schema_migrations`. Never edit a file that has landed: add the next number instead.

use rusqlite::{params, Connection, OptionalExtension};

use super::DbError;

/// (version, name, SQL). Versions are the file-name prefixes and must stay increasing.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "0001_schema", include_str!("../../migrations/0001_schema.sql")),
    (2, "0002_rating_aggregates_and_tokens", include_str!("../../migrations/0002_rating_aggregates_and_tokens.sql")),
    (3, "0003_score_prior_and_id_high_water", include_str!("../../migrations/0003_score_prior_and_id_high_water.sql")),
    (4, "0004_genre_stats", include_str!("../../migrations/0004_genre_stats.sql")),
    (5, "0005_lab_counters", include_str!("../../migrations/0005_lab_counters.sql")),
    (6, "0006_rating_count_sum_index", include_str!("../../migrations/0006_rating_count_sum_index.sql")),
    (7, "0007_list_order_indexes", include_str!("../../migrations/0007_list_order_indexes.sql")),
    (8, "0008_jobs", include_str!("../../migrations/0008_jobs.sql")),
    (9, "0009_web_sessions", include_str!("../../migrations/0009_web_sessions.sql")),
    (10, "0010_job_queue_due_index", include_str!("../../migrations/0010_job_queue_due_index.sql")),
    (11, "0011_recommendations", include_str!("../../migrations/0011_recommendations.sql")),
    (12, "0012_audit_log", include_str!("../../migrations/0012_audit_log.sql")),
    (13, "0013_search_indexes", include_str!("../../migrations/0013_search_indexes.sql")),
    (14, "0014_neighbour_index", include_str!("../../migrations/0014_neighbour_index.sql")),
    (15, "0015_ratings_by_user_covering", include_str!("../../migrations/0015_ratings_by_user_covering.sql")),
];

/// The newest schema version this binary knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |&(version, _, _)| version)
}

/// The newest version recorded in the file, 0 for a file without `schema_migrations` (a new one).
/// Only reads, so it is safe on a file that must not be touched.
pub fn recorded_version(conn: &Connection) -> Result<i64, DbError> {
    let has_table: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations')",
        [],
        |row| row.get(0),
    )?;
    if !has_table {
        return Ok(0);
    }
    let newest: Option<i64> =
        conn.query_row("SELECT max(version) FROM schema_migrations", [], |row| row.get(0)).optional()?.flatten();
    Ok(newest.unwrap_or(0))
}

/// Refuses a file stamped by a newer binary: migrating it, or serving it, could corrupt data that
/// this binary does not understand.
pub fn refuse_newer(conn: &Connection) -> Result<i64, DbError> {
    let found = recorded_version(conn)?;
    if found > latest_version() {
        return Err(DbError::NewerSchema { found, known: latest_version() });
    }
    Ok(found)
}

/// Applies every migration the database has not seen yet.
pub fn apply(conn: &mut Connection) -> Result<(), DbError> {
    refuse_newer(conn)?;
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
