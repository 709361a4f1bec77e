//! Creating, editing and deleting movies. A movie's genre list (`movies.genres`), the genres'
//! figures and the rating aggregates follow through the triggers on the tables written here.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::{refuse_if_any, DbError};
use crate::db::movies::split_genres;
use crate::import::year_from_title;
use crate::model::admin::{rules, Change, FieldError, Movie, MovieChanges, NewMovie};

/// One movie as the admin writes answer it.
pub fn movie(conn: &Connection, movie_id: i64) -> Result<Option<Movie>, DbError> {
    Ok(conn
        .prepare_cached("SELECT movie_id, title, year, genres FROM movies WHERE movie_id = ?1")?
        .query_row([movie_id], |row| {
            Ok(Movie { id: row.get(0)?, title: row.get(1)?, year: row.get(2)?, genres: split_genres(row.get(3)?) })
        })
        .optional()?)
}

fn existing(conn: &Connection, movie_id: i64) -> Result<Movie, DbError> {
    movie(conn, movie_id)?.ok_or_else(|| DbError::NotFound(format!("no movie has id {movie_id}")))
}

/// What deleting a movie takes with it, for a confirmation page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeleteImpact {
    pub ratings: i64,
    pub tags: i64,
    pub link: bool,
}

pub fn delete_impact(conn: &Connection, movie_id: i64) -> Result<DeleteImpact, DbError> {
    let count =
        |sql: &str| -> rusqlite::Result<i64> { conn.prepare_cached(sql)?.query_row([movie_id], |row| row.get(0)) };
    Ok(DeleteImpact {
        ratings: count("SELECT coalesce((SELECT rating_count FROM movie_stats WHERE movie_id = ?1), 0)")?,
        tags: count("SELECT count(*) FROM tags WHERE movie_id = ?1")?,
        link: count("SELECT count(*) FROM links WHERE movie_id = ?1")? > 0,
    })
}

/// The ids of genre names (any case); each unknown name is a problem of `field[index]`.
fn genre_ids(
    conn: &Connection,
    field: &str,
    names: &[String],
    problems: &mut Vec<FieldError>,
) -> Result<Vec<i64>, DbError> {
    let mut lookup = conn.prepare_cached("SELECT id FROM genres WHERE name = ?1 COLLATE NOCASE")?;
    let mut ids = Vec::with_capacity(names.len());
    for (index, name) in names.iter().enumerate() {
        match lookup.query_row([name.trim()], |row| row.get(0)).optional()? {
            Some(id) => ids.push(id),
            None => problems.push(FieldError::new(
                format!("{field}[{index}]"),
                format!("unknown genre '{}'; create it first (POST /api/genres) or see GET /api/genres", name.trim()),
            )),
        }
    }
    Ok(ids)
}

/// The id a new movie takes: above every id movies ever had (deleted ones included).
fn next_movie_id(conn: &Connection) -> Result<i64, DbError> {
    Ok(conn
        .prepare_cached(
            "SELECT max(coalesce((SELECT max(movie_id) FROM movies), 0),
                        coalesce((SELECT last_id FROM id_high_water WHERE table_name = 'movies'), 0)) + 1",
        )?
        .query_row([], |row| row.get(0))?)
}

fn add_genres(tx: &Transaction, movie_id: i64, genre_ids: &[i64]) -> Result<(), DbError> {
    let mut insert =
        tx.prepare_cached("INSERT INTO movie_genres (movie_id, genre_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING")?;
    for genre_id in genre_ids {
        insert.execute([movie_id, *genre_id])?;
    }
    Ok(())
}

fn remove_genres(tx: &Transaction, movie_id: i64, genre_ids: &[i64]) -> Result<(), DbError> {
    let mut delete = tx.prepare_cached("DELETE FROM movie_genres WHERE movie_id = ?1 AND genre_id = ?2")?;
    for genre_id in genre_ids {
        delete.execute([movie_id, *genre_id])?;
    }
    Ok(())
}

/// Creates a movie: 400 with every problem, 409 if the given id is taken.
pub fn create_movie(tx: &Transaction, new: &NewMovie) -> Result<Movie, DbError> {
    let mut problems = rules::new_movie(new);
    let genre_ids = genre_ids(tx, "genres", &new.genres, &mut problems)?;
    refuse_if_any(problems)?;
    let movie_id = match new.movie_id {
        Some(id) if super::super::movies::exists(tx, id)? => {
            return Err(DbError::Conflict(format!("a movie with id {id} exists already")));
        }
        Some(id) => id,
        None => match next_movie_id(tx)? {
            id if id > rules::MAX_ID => {
                return Err(DbError::Conflict(format!(
                    "no movie id above {} is left below 2^53; give movie_id",
                    rules::MAX_ID - 1
                )));
            }
            id => id,
        },
    };
    let title = new.title.trim();
    tx.prepare_cached("INSERT INTO movies (movie_id, title, year) VALUES (?1, ?2, ?3)")?.execute(params![
        movie_id,
        title,
        year_from_title(title)
    ])?;
    add_genres(tx, movie_id, &genre_ids)?;
    existing(tx, movie_id)
}

/// Changes a movie's title (its year follows) or genres: 404 for an unknown movie, 400 with
/// every problem.
pub fn update_movie(tx: &Transaction, movie_id: i64, changes: &MovieChanges) -> Result<Change<Movie>, DbError> {
    let before = existing(tx, movie_id)?;
    let mut problems = rules::movie_changes(changes);
    let mut resolve = |field: &str, names: &Option<Vec<String>>| match names {
        Some(names) => genre_ids(tx, field, names, &mut problems).map(Some),
        None => Ok(None),
    };
    let (replace, add, remove) = (
        resolve("genres", &changes.genres)?,
        resolve("add_genres", &changes.add_genres)?,
        resolve("remove_genres", &changes.remove_genres)?,
    );
    refuse_if_any(problems)?;
    if let Some(title) = &changes.title {
        let title = title.trim();
        tx.prepare_cached("UPDATE movies SET title = ?2, year = ?3 WHERE movie_id = ?1")?.execute(params![
            movie_id,
            title,
            year_from_title(title)
        ])?;
    }
    if let Some(wanted) = replace {
        let current: Vec<i64> = tx
            .prepare_cached("SELECT genre_id FROM movie_genres WHERE movie_id = ?1")?
            .query_map([movie_id], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        let dropped: Vec<i64> = current.iter().copied().filter(|id| !wanted.contains(id)).collect();
        remove_genres(tx, movie_id, &dropped)?;
        add_genres(tx, movie_id, &wanted)?;
    }
    remove_genres(tx, movie_id, &remove.unwrap_or_default())?;
    add_genres(tx, movie_id, &add.unwrap_or_default())?;
    Ok(Change { before: Some(before), after: Some(existing(tx, movie_id)?) })
}

/// What a movie's delete runs, in order, each with the movie's id as `?1`.
const DELETE_STATEMENTS: &[&str] = &[
    "DELETE FROM ratings WHERE movie_id = ?1",
    "DELETE FROM tags WHERE movie_id = ?1",
    "DELETE FROM links WHERE movie_id = ?1",
    "DELETE FROM movie_genres WHERE movie_id = ?1",
    "DELETE FROM movie_rating_histogram WHERE movie_id = ?1",
    "DELETE FROM movie_stats WHERE movie_id = ?1",
    // Every model's similar-movie lists: its own (by each model's key), and its place in
    // others' (by migration 0014's index; those keep their other neighbours, and a gap in
    // the ranks reads fine).
    "DELETE FROM recommendation_neighbours
     WHERE model_id IN (SELECT id FROM recommendation_models) AND movie_id = ?1",
    "DELETE FROM recommendation_neighbours WHERE neighbour_id = ?1",
    "DELETE FROM movies WHERE movie_id = ?1",
];

/// Deletes a movie with its ratings, tags, link, genre rows and similar-movie rows. The ratings go first, through
/// their triggers, so that the totals, the genres' figures and every other aggregate lose them.
pub fn delete_movie(tx: &Transaction, movie_id: i64) -> Result<Change<Movie>, DbError> {
    let before = existing(tx, movie_id)?;
    for sql in DELETE_STATEMENTS {
        tx.prepare_cached(sql)?.execute([movie_id])?;
    }
    Ok(Change { before: Some(before), after: None })
}

#[cfg(test)]
mod tests {
    use crate::db::test_support::{migrated_db, query_plan};

    /// A delete must not read a whole table: on the 25M set `recommendation_neighbours` holds
    /// millions of rows, and `ratings` tens of millions.
    #[test]
    fn every_statement_of_a_movie_delete_finds_its_rows_through_an_index() {
        let (conn, _dir) = migrated_db();
        for sql in super::DELETE_STATEMENTS {
            let plan = query_plan(&conn, sql, [1]);
            let scans: Vec<_> = plan.iter().filter(|step| step.starts_with("SCAN ")).collect();
            // The models are a handful of rows; scanning them picks each model's key.
            assert!(scans.iter().all(|step| step.contains("recommendation_models")), "{sql}: {plan:?}");
        }
    }
}
