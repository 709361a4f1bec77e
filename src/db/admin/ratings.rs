//! Changing and deleting ratings (creating one is `crate::db::ratings::create_rating`). The movie
//! figures, the histogram, the totals, the genres' figures and the score follow through the
//! triggers on `ratings`.

use rusqlite::{params, Transaction};

use super::{refuse_if_any, require_movie, DbError};
use crate::db::ratings::rating;
use crate::model::admin::{rules, Change, RatingChanges};
use crate::model::ratings::{NewRating, Rating};

fn existing(tx: &Transaction, rating_id: i64) -> Result<Rating, DbError> {
    rating(tx, rating_id)?.ok_or_else(|| DbError::NotFound(format!("no rating has id {rating_id}")))
}

/// Records a rating: 400 with every problem, 404 naming an unknown movie.
pub fn create_rating(tx: &Transaction, new: &NewRating) -> Result<Rating, DbError> {
    refuse_if_any(rules::new_rating(new))?;
    let timestamp = match new.timestamp.value() {
        Some(timestamp) => *timestamp,
        None => super::now(tx)?,
    };
    crate::db::ratings::create_rating(tx, new, timestamp)
}

pub fn update_rating(tx: &Transaction, rating_id: i64, changes: &RatingChanges) -> Result<Change<Rating>, DbError> {
    let before = existing(tx, rating_id)?;
    refuse_if_any(rules::rating_changes(changes))?;
    if let Some(movie_id) = changes.movie_id {
        require_movie(tx, movie_id)?;
    }
    tx.prepare_cached(
        "UPDATE ratings SET user_id = coalesce(?2, user_id), movie_id = coalesce(?3, movie_id),
         rating = coalesce(?4, rating), timestamp = coalesce(?5, timestamp) WHERE id = ?1",
    )?
    .execute(params![rating_id, changes.user_id, changes.movie_id, changes.rating, changes.timestamp])?;
    Ok(Change { before: Some(before), after: Some(existing(tx, rating_id)?) })
}

pub fn delete_rating(tx: &Transaction, rating_id: i64) -> Result<Change<Rating>, DbError> {
    let before = existing(tx, rating_id)?;
    crate::db::ratings::delete_rating(tx, rating_id)?;
    Ok(Change { before: Some(before), after: None })
}
