//! The admin writes, one file per model, as plain functions over a write transaction: they check
//! the body against [`crate::model::admin::rules`] (every field's problem at once), check that
//! what it names exists (404) and is not taken (409), and write. The aggregates follow through
//! the triggers on the tables they change. The callers (the API, the admin pages) record each
//! change in the audit log ([`audit`]) in the same transaction.

pub mod audit;
pub mod genres;
pub mod links;
pub mod lists;
pub mod movies;
pub mod ratings;
pub mod search;
pub mod tags;

use rusqlite::Connection;

use super::DbError;
use crate::model::admin::FieldError;

/// A 400 with every problem found, or nothing.
pub fn refuse_if_any(problems: Vec<FieldError>) -> Result<(), DbError> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(DbError::InvalidFields(problems))
    }
}

/// A 404 unless movie `movie_id` exists.
pub fn require_movie(conn: &Connection, movie_id: i64) -> Result<(), DbError> {
    if super::movies::exists(conn, movie_id)? {
        Ok(())
    } else {
        Err(DbError::NotFound(format!("no movie has id {movie_id}")))
    }
}

/// The current time in seconds since the Unix epoch, as SQLite sees it.
pub fn now(conn: &Connection) -> Result<i64, DbError> {
    Ok(conn.prepare_cached("SELECT unixepoch()")?.query_row([], |row| row.get(0))?)
}
