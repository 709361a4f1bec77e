//! Creating, changing and deleting tags. Tag text is stored trimmed.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::{refuse_if_any, require_movie, DbError};
use crate::db::ratings::next_id;
use crate::model::admin::{rules, Change, NewTag, TagChanges};
use crate::model::ratings::Tag;

pub fn tag(conn: &Connection, tag_id: i64) -> Result<Option<Tag>, DbError> {
    Ok(conn
        .prepare_cached(
            "SELECT t.id, t.user_id, t.movie_id, m.title, t.tag, t.timestamp
             FROM tags t JOIN movies m ON m.movie_id = t.movie_id WHERE t.id = ?1",
        )?
        .query_row([tag_id], |row| {
            Ok(Tag {
                id: row.get(0)?,
                user_id: row.get(1)?,
                movie_id: row.get(2)?,
                movie_title: row.get(3)?,
                tag: row.get(4)?,
                timestamp: row.get(5)?,
            })
        })
        .optional()?)
}

fn existing(conn: &Connection, tag_id: i64) -> Result<Tag, DbError> {
    tag(conn, tag_id)?.ok_or_else(|| DbError::NotFound(format!("no tag has id {tag_id}")))
}

/// Records a tag: 400 with every problem, 404 naming an unknown movie.
pub fn create_tag(tx: &Transaction, new: &NewTag) -> Result<Tag, DbError> {
    refuse_if_any(rules::new_tag(new))?;
    require_movie(tx, new.movie_id)?;
    let timestamp = match new.timestamp {
        Some(timestamp) => timestamp,
        None => super::now(tx)?,
    };
    let id = next_id(tx, "tags")?;
    tx.prepare_cached("INSERT INTO tags (id, user_id, movie_id, tag, timestamp) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![id, new.user_id, new.movie_id, new.tag.trim(), timestamp])?;
    existing(tx, id)
}

pub fn update_tag(tx: &Transaction, tag_id: i64, changes: &TagChanges) -> Result<Change<Tag>, DbError> {
    let before = existing(tx, tag_id)?;
    refuse_if_any(rules::tag_changes(changes))?;
    if let Some(movie_id) = changes.movie_id {
        require_movie(tx, movie_id)?;
    }
    tx.prepare_cached(
        "UPDATE tags SET user_id = coalesce(?2, user_id), movie_id = coalesce(?3, movie_id),
         tag = coalesce(?4, tag), timestamp = coalesce(?5, timestamp) WHERE id = ?1",
    )?
    .execute(params![
        tag_id,
        changes.user_id,
        changes.movie_id,
        changes.tag.as_deref().map(str::trim),
        changes.timestamp
    ])?;
    Ok(Change { before: Some(before), after: Some(existing(tx, tag_id)?) })
}

pub fn delete_tag(tx: &Transaction, tag_id: i64) -> Result<Change<Tag>, DbError> {
    let before = existing(tx, tag_id)?;
    tx.prepare_cached("DELETE FROM tags WHERE id = ?1")?.execute([tag_id])?;
    Ok(Change { before: Some(before), after: None })
}
