//! Creating, changing and deleting a movie's link (its IMDb and TMDB ids); a movie has at most
//! one, named by the movie's id.

use rusqlite::{params, Connection, Transaction};

use super::{refuse_if_any, require_movie, DbError};
use crate::db::catalogue::link;
use crate::model::admin::{rules, Change, LinkChanges, NewLink};
use crate::model::movies::Links;

fn existing(conn: &Connection, movie_id: i64) -> Result<Links, DbError> {
    link(conn, movie_id)?.ok_or_else(|| DbError::NotFound(format!("movie {movie_id} has no link")))
}

/// Creates a movie's link: 400 with every problem, 404 naming an unknown movie, 409 if the movie
/// has a link already.
pub fn create_link(tx: &Transaction, new: &NewLink) -> Result<Links, DbError> {
    refuse_if_any(rules::new_link(new))?;
    require_movie(tx, new.movie_id)?;
    if link(tx, new.movie_id)?.is_some() {
        return Err(DbError::Conflict(format!(
            "movie {} has a link already; change it with PATCH /api/links/{}",
            new.movie_id, new.movie_id
        )));
    }
    tx.prepare_cached("INSERT INTO links (movie_id, imdb_id, tmdb_id) VALUES (?1, ?2, ?3)")?.execute(params![
        new.movie_id,
        rules::imdb_digits(&new.imdb_id),
        new.tmdb_id
    ])?;
    existing(tx, new.movie_id)
}

pub fn update_link(tx: &Transaction, movie_id: i64, changes: &LinkChanges) -> Result<Change<Links>, DbError> {
    let before = existing(tx, movie_id)?;
    refuse_if_any(rules::link_changes(changes))?;
    let imdb_id = changes.imdb_id.as_deref().map_or_else(|| before.imdb_id.clone(), rules::imdb_digits);
    let tmdb_id = if changes.tmdb_id.is_undefined() { before.tmdb_id } else { changes.tmdb_id.value().copied() };
    tx.prepare_cached("UPDATE links SET imdb_id = ?2, tmdb_id = ?3 WHERE movie_id = ?1")?
        .execute(params![movie_id, imdb_id, tmdb_id])?;
    Ok(Change { before: Some(before), after: Some(existing(tx, movie_id)?) })
}

pub fn delete_link(tx: &Transaction, movie_id: i64) -> Result<Change<Links>, DbError> {
    let before = existing(tx, movie_id)?;
    tx.prepare_cached("DELETE FROM links WHERE movie_id = ?1")?.execute([movie_id])?;
    Ok(Change { before: Some(before), after: None })
}
