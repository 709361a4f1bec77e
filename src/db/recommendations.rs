//! The recommendation model's tables: reading the ratings for a build, writing a model under a
//! fresh id and switching to it in one transaction, and the reads of the current model.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::movies::split_genres;
use super::DbError;
use crate::model::recommendations::{ModelEvaluation, MovieRef, RecommendationModel};
use crate::recommend::{Params, RatingSet};

/// Neighbour rows written per transaction, so that a build never holds the write lock long.
pub const INSERT_CHUNK: usize = 20_000;
/// Movie ids per statement when old models are deleted.
const DELETE_SPAN: i64 = 2_000;

/// The current data version (bumped by every change to the data tables).
pub fn data_generation(conn: &Connection) -> Result<i64, DbError> {
    Ok(conn.query_row("SELECT generation FROM data_generation WHERE id = 1", [], |row| row.get(0))?)
}

/// Every rating and movie id, with the data version they were read at (one read transaction).
pub fn load_ratings(tx: &Transaction) -> Result<(RatingSet, i64), DbError> {
    let generation = data_generation(tx)?;
    let movie_ids: Vec<i64> =
        tx.prepare("SELECT movie_id FROM movies")?.query_map([], |row| row.get(0))?.collect::<Result<_, _>>()?;
    let mut statement = tx.prepare("SELECT user_id, movie_id, rating, timestamp FROM ratings")?;
    let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))?;
    // Straight into the set, without a vector of every row first: 800 MB less at the peak on 25M.
    let mut failed = None;
    let set = RatingSet::from_rows(movie_ids, rows.map_while(|row| row.map_err(|err| failed = Some(err)).ok()));
    match failed {
        Some(err) => Err(err.into()),
        None => Ok((set, generation)),
    }
}

/// Deletes what an interrupted build left (models that never became current), then registers a
/// new model to build; returns its id. No reader sees it until [`publish`].
pub fn start_model(tx: &Transaction, params: &Params, generation: i64, started_at: i64) -> Result<i64, DbError> {
    tx.execute(
        "INSERT INTO recommendation_models
             (neighbours, score_neighbours, min_co_raters, normalization, max_user_ratings, data_generation,
              started_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            params.neighbours as i64,
            params.score_neighbours as i64,
            params.min_co_raters,
            params.normalization.as_str(),
            params.max_user_ratings as i64,
            generation,
            started_at
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Models other than the current one and `keep` (an unfinished build's, or replaced ones).
pub fn stale_models(conn: &Connection, keep: Option<i64>) -> Result<Vec<i64>, DbError> {
    let mut statement = conn.prepare(
        "SELECT id FROM recommendation_models
         WHERE id IS NOT (SELECT model_id FROM recommendation_current WHERE id = 1) AND id IS NOT ?1",
    )?;
    let ids = statement.query_map([keep], |row| row.get(0))?.collect::<Result<_, _>>()?;
    Ok(ids)
}

/// One neighbour row: (movie id, rank from 1, neighbour id, similarity, co-raters).
pub type NeighbourRow = (i64, i64, i64, f64, i64);

pub fn insert_neighbours(tx: &Transaction, model_id: i64, rows: &[NeighbourRow]) -> Result<(), DbError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO recommendation_neighbours (model_id, movie_id, rank, neighbour_id, similarity, co_raters)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for &(movie, rank, neighbour, similarity, co_raters) in rows {
        insert.execute(params![model_id, movie, rank, neighbour, similarity, co_raters])?;
    }
    Ok(())
}

/// What a finished build records about its model.
pub struct Built {
    pub built_at: i64,
    pub build_ms: i64,
    pub movies: i64,
    pub neighbour_rows: i64,
    pub ratings_used: i64,
    pub evaluation: Option<ModelEvaluation>,
}

/// Makes `model_id` the current model: one transaction, so readers see the old or the new.
pub fn publish(tx: &Transaction, model_id: i64, built: &Built) -> Result<(), DbError> {
    let evaluation = built.evaluation.as_ref().map(|e| serde_json::to_string(e).unwrap_or_default());
    tx.execute(
        "UPDATE recommendation_models SET built_at = ?2, build_ms = ?3, movies = ?4, neighbour_rows = ?5,
             ratings_used = ?6, evaluation = ?7
         WHERE id = ?1",
        params![
            model_id,
            built.built_at,
            built.build_ms,
            built.movies,
            built.neighbour_rows,
            built.ratings_used,
            evaluation
        ],
    )?;
    tx.execute("UPDATE recommendation_current SET model_id = ?1 WHERE id = 1", [model_id])?;
    Ok(())
}

/// Deletes up to one span of a model's neighbour rows; returns whether any are left. The model
/// row goes with the last of them. The current model is never deleted: a build that listed it
/// as replaced may have been overtaken by a concurrent build that published it since.
pub fn delete_model_step(tx: &Transaction, model_id: i64) -> Result<bool, DbError> {
    let current: Option<i64> =
        tx.query_row("SELECT model_id FROM recommendation_current WHERE id = 1", [], |row| row.get(0))?;
    if current == Some(model_id) {
        return Ok(false);
    }
    let first: Option<i64> =
        tx.query_row("SELECT min(movie_id) FROM recommendation_neighbours WHERE model_id = ?1", [model_id], |row| {
            row.get(0)
        })?;
    match first {
        Some(first) => {
            tx.execute(
                "DELETE FROM recommendation_neighbours WHERE model_id = ?1 AND movie_id < ?2",
                params![model_id, first + DELETE_SPAN],
            )?;
            Ok(true)
        }
        None => {
            tx.execute("DELETE FROM recommendation_models WHERE id = ?1", [model_id])?;
            Ok(false)
        }
    }
}

/// The current model, if one was built.
pub fn current_model(conn: &Connection) -> Result<Option<RecommendationModel>, DbError> {
    let found = conn
        .query_row(
            "SELECT m.id, m.neighbours, m.min_co_raters, m.normalization, m.max_user_ratings, m.data_generation,
                    m.built_at, m.build_ms, m.movies, m.neighbour_rows, m.ratings_used, m.evaluation,
                    m.score_neighbours
             FROM recommendation_current c JOIN recommendation_models m ON m.id = c.model_id
             WHERE c.id = 1",
            [],
            |row| {
                let evaluation: Option<String> = row.get(11)?;
                Ok(RecommendationModel {
                    id: row.get(0)?,
                    neighbours: row.get(1)?,
                    score_neighbours: row.get(12)?,
                    min_co_raters: row.get(2)?,
                    normalization: row.get(3)?,
                    max_user_ratings: row.get(4)?,
                    data_generation: row.get(5)?,
                    stale: false,
                    built_at: row.get(6)?,
                    build_ms: row.get(7)?,
                    movies: row.get(8)?,
                    neighbour_rows: row.get(9)?,
                    ratings_used: row.get(10)?,
                    evaluation: evaluation.and_then(|text| serde_json::from_str(&text).ok()),
                })
            },
        )
        .optional()?;
    let Some(mut model) = found else { return Ok(None) };
    model.stale = data_generation(conn)? != model.data_generation;
    Ok(Some(model))
}

/// Whether a starting server should queue a build (task `task`): the data has ratings, no model
/// was built from the data as it is, and no such task waits, runs or waits for a retry.
pub fn first_build_needed(conn: &Connection, task: &str) -> Result<bool, DbError> {
    let has_ratings: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM ratings)", [], |row| row.get(0))?;
    if !has_ratings || current_model(conn)?.is_some_and(|model| !model.stale) {
        return Ok(false);
    }
    let queued: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM job_results WHERE name = ?1 AND state IN ('pending', 'running', 'retrying'))",
        [task],
        |row| row.get(0),
    )?;
    Ok(!queued)
}

/// A movie's title and genres, if it exists.
pub fn movie_ref(conn: &Connection, movie_id: i64) -> Result<Option<MovieRef>, DbError> {
    let mut statement = conn.prepare_cached("SELECT movie_id, title, genres FROM movies WHERE movie_id = ?1")?;
    let found = statement.query_row([movie_id], |row| {
        Ok(MovieRef { id: row.get(0)?, title: row.get(1)?, genres: split_genres(row.get(2)?) })
    });
    Ok(found.optional()?)
}

/// A movie's stored neighbours, best first: (neighbour, similarity, co-raters).
pub fn neighbours(
    conn: &Connection,
    model_id: i64,
    movie_id: i64,
    limit: u32,
) -> Result<Vec<(MovieRef, f64, i64)>, DbError> {
    let mut statement = conn.prepare_cached(
        "SELECT m.movie_id, m.title, m.genres, n.similarity, n.co_raters
         FROM recommendation_neighbours n JOIN movies m ON m.movie_id = n.neighbour_id
         WHERE n.model_id = ?1 AND n.movie_id = ?2 ORDER BY n.rank LIMIT ?3",
    )?;
    let rows = statement.query_map(params![model_id, movie_id, limit], |row| {
        let movie = MovieRef { id: row.get(0)?, title: row.get(1)?, genres: split_genres(row.get(2)?) };
        Ok((movie, row.get(3)?, row.get(4)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A user's ratings as (movie, rating).
pub fn user_ratings(conn: &Connection, user_id: i64) -> Result<Vec<(i64, f64)>, DbError> {
    let mut statement = conn.prepare_cached("SELECT movie_id, rating FROM ratings WHERE user_id = ?1")?;
    let rows = statement.query_map([user_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

const SCORING_LISTS: &str = "SELECT movie_id, neighbour_id, similarity FROM recommendation_neighbours
     WHERE model_id = ?1 AND rank <= ?2 ORDER BY movie_id, rank";

/// The first `per_movie` neighbours of every movie in model `model_id` as (movie, neighbour,
/// similarity), in movie order and each movie's best first: one walk of the model's primary key,
/// in its order.
pub fn scoring_lists(conn: &Connection, model_id: i64, per_movie: i64) -> Result<Vec<(i64, i64, f64)>, DbError> {
    let mut statement = conn.prepare(SCORING_LISTS)?;
    let rows = statement.query_map(params![model_id, per_movie], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Titles and genres of the movies among `ids` that exist, by key one at a time through one
/// cached statement.
pub fn movie_refs(conn: &Connection, ids: &[i64]) -> Result<HashMap<i64, MovieRef>, DbError> {
    let mut found = HashMap::with_capacity(ids.len());
    for &id in ids {
        if let Some(movie) = movie_ref(conn, id)? {
            found.insert(id, movie);
        }
    }
    Ok(found)
}

/// Whether a movie has a genre (by id).
pub fn has_genre(conn: &Connection, movie_id: i64, genre_id: i64) -> Result<bool, DbError> {
    let mut statement = conn.prepare_cached("SELECT 1 FROM movie_genres WHERE movie_id = ?1 AND genre_id = ?2")?;
    Ok(statement.exists(params![movie_id, genre_id])?)
}

/// What serving a user's picks needs to know of the current model and the data, read in one
/// statement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServingState {
    pub model_id: i64,
    /// How many of each movie's neighbours score a pick.
    pub score_neighbours: i64,
    /// The data version of the reading transaction's snapshot.
    pub data_generation: i64,
}

/// The model that readers use, with the data version they read at; `None` before a first build.
pub fn serving_state(conn: &Connection) -> Result<Option<ServingState>, DbError> {
    let mut statement = conn.prepare_cached(
        "SELECT m.id, m.score_neighbours, g.generation
         FROM recommendation_current c JOIN recommendation_models m ON m.id = c.model_id, data_generation g
         WHERE c.id = 1 AND g.id = 1",
    )?;
    let found = statement.query_row([], |row| {
        Ok(ServingState { model_id: row.get(0)?, score_neighbours: row.get(1)?, data_generation: row.get(2)? })
    });
    Ok(found.optional()?)
}

#[cfg(test)]
mod tests {
    use crate::db::test_support::{migrated_db, query_plan};

    #[test]
    fn a_models_scoring_lists_are_read_in_one_walk_of_its_primary_key_without_a_sort() {
        let (conn, _dir) = migrated_db();
        let plan = query_plan(&conn, super::SCORING_LISTS, [1, 20]);
        assert_eq!(plan.len(), 1, "{plan:?}");
        assert!(plan[0].contains("USING PRIMARY KEY (model_id=?)"), "{plan:?}");
    }
}
