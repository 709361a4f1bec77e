//! Creating, renaming and deleting genres. Names are unique without regard to case, as the API
//! looks them up.

use rusqlite::{Connection, OptionalExtension, Transaction};

use super::{refuse_if_any, DbError};
use crate::model::admin::{rules, Change, Genre, GenreName};

/// A genre by name (any case), with its movie count.
pub fn genre(conn: &Connection, name: &str) -> Result<Option<Genre>, DbError> {
    Ok(conn
        .prepare_cached(
            "SELECT g.id, g.name, (SELECT count(*) FROM movie_genres mg WHERE mg.genre_id = g.id)
             FROM genres g WHERE g.name = ?1 COLLATE NOCASE",
        )?
        .query_row([name.trim()], |row| Ok(Genre { id: row.get(0)?, name: row.get(1)?, movie_count: row.get(2)? }))
        .optional()?)
}

fn existing(conn: &Connection, name: &str) -> Result<Genre, DbError> {
    genre(conn, name)?.ok_or_else(|| DbError::NotFound(format!("no genre is named '{name}'")))
}

/// 409 if another genre than `except_id` has this name (any case).
fn refuse_taken(conn: &Connection, name: &str, except_id: i64) -> Result<(), DbError> {
    match genre(conn, name)? {
        Some(other) if other.id != except_id => {
            Err(DbError::Conflict(format!("a genre named '{}' exists already (names ignore case)", other.name)))
        }
        _ => Ok(()),
    }
}

pub fn create_genre(tx: &Transaction, new: &GenreName) -> Result<Genre, DbError> {
    refuse_if_any(rules::genre_name(new))?;
    let name = new.name.trim();
    refuse_taken(tx, name, 0)?;
    tx.prepare_cached("INSERT INTO genres (name) VALUES (?1)")?.execute([name])?;
    existing(tx, name)
}

/// Renames a genre; every movie's genre list follows (a trigger).
pub fn rename_genre(tx: &Transaction, current: &str, new: &GenreName) -> Result<Change<Genre>, DbError> {
    let before = existing(tx, current)?;
    refuse_if_any(rules::genre_name(new))?;
    let name = new.name.trim();
    refuse_taken(tx, name, before.id)?;
    tx.prepare_cached("UPDATE genres SET name = ?2 WHERE id = ?1")?.execute((before.id, name))?;
    Ok(Change { after: Some(existing(tx, name)?), before: Some(before) })
}

/// Deletes a genre. One that movies use is a 409 that says how many, unless `detach` asks to
/// take it off those movies first.
pub fn delete_genre(tx: &Transaction, name: &str, detach: bool) -> Result<Change<Genre>, DbError> {
    let before = existing(tx, name)?;
    if before.movie_count > 0 && !detach {
        return Err(DbError::Conflict(format!(
            "genre '{}' is used by {} movies; delete it with ?detach=true to take it off them as well",
            before.name, before.movie_count
        )));
    }
    for sql in [
        "DELETE FROM movie_genres WHERE genre_id = ?1",
        "DELETE FROM genre_stats WHERE genre_id = ?1",
        "DELETE FROM genres WHERE id = ?1",
    ] {
        tx.prepare_cached(sql)?.execute([before.id])?;
    }
    Ok(Change { before: Some(before), after: None })
}

/// Up to `limit` of the movies that use genre `genre_id` (id and title, by title), for the
/// delete confirmation page.
pub fn movies_using(conn: &Connection, genre_id: i64, limit: i64) -> Result<Vec<(i64, String)>, DbError> {
    let mut statement = conn.prepare_cached(
        "SELECT m.movie_id, m.title FROM movie_genres mg JOIN movies m ON m.movie_id = mg.movie_id
         WHERE mg.genre_id = ?1 ORDER BY m.title LIMIT ?2",
    )?;
    let movies = statement.query_map([genre_id, limit], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(movies.collect::<Result<_, _>>()?)
}
