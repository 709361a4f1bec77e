//! Loading related rows: per row (N+1), through a JOIN (select_related), or a statement per
//! relation for all rows at once (prefetch_related); and loading fewer columns (only, defer,
//! values).

use std::collections::HashMap;

use rusqlite::{params, Connection};

use super::{id_list, noted_row, noted_rows};
use crate::db::movies::split_genres;
use crate::db::DbError;
use crate::model::lab::{MovieValues, MovieWithGenres, MovieWithLink, PartialMovie};

const FIRST_MOVIES: &str = "SELECT movie_id, title FROM movies ORDER BY movie_id LIMIT ?1";
const LINK_OF_MOVIE: &str = "SELECT imdb_id, tmdb_id FROM links WHERE movie_id = ?1";

/// The first `limit` movies, then each one's link in a statement of its own: 1 + N statements.
pub fn n_plus_one(conn: &Connection, limit: u32) -> Result<Vec<MovieWithLink>, DbError> {
    let movies = noted_rows(conn, FIRST_MOVIES, params![limit], |row| Ok((row.get(0)?, row.get(1)?)))?;
    movies
        .into_iter()
        .map(|(id, title)| {
            let link: Option<(String, Option<i64>)> =
                noted_row(conn, LINK_OF_MOVIE, params![id], |row| Ok((row.get(0)?, row.get(1)?)))?;
            let (imdb_id, tmdb_id) = link.map_or((None, None), |(imdb, tmdb)| (Some(imdb), tmdb));
            Ok(MovieWithLink { id, title, imdb_id, tmdb_id })
        })
        .collect()
}

/// The same movies and links through one LEFT JOIN: 1 statement.
pub fn select_related(conn: &Connection, limit: u32) -> Result<Vec<MovieWithLink>, DbError> {
    noted_rows(
        conn,
        "SELECT m.movie_id, m.title, l.imdb_id, l.tmdb_id FROM movies m
         LEFT JOIN links l ON l.movie_id = m.movie_id ORDER BY m.movie_id LIMIT ?1",
        params![limit],
        |row| Ok(MovieWithLink { id: row.get(0)?, title: row.get(1)?, imdb_id: row.get(2)?, tmdb_id: row.get(3)? }),
    )
}

/// Movies, then all their genres in one statement, then all their rating counts in another:
/// 3 statements, whatever the limit.
pub fn prefetch_related(conn: &Connection, limit: u32) -> Result<Vec<MovieWithGenres>, DbError> {
    let movies: Vec<(i64, String)> =
        noted_rows(conn, FIRST_MOVIES, params![limit], |row| Ok((row.get(0)?, row.get(1)?)))?;
    let ids = id_list(&movies.iter().map(|(id, _)| *id).collect::<Vec<_>>());
    let mut genres: HashMap<i64, Vec<String>> = HashMap::new();
    let genre_rows = noted_rows(
        conn,
        "SELECT mg.movie_id, g.name FROM movie_genres mg JOIN genres g ON g.id = mg.genre_id
         WHERE mg.movie_id IN (SELECT value FROM json_each(?1)) ORDER BY g.name",
        params![ids],
        |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
    )?;
    for (movie_id, name) in genre_rows {
        genres.entry(movie_id).or_default().push(name);
    }
    let counts: HashMap<i64, i64> = noted_rows(
        conn,
        "SELECT movie_id, count(*) FROM ratings WHERE movie_id IN (SELECT value FROM json_each(?1)) GROUP BY movie_id",
        params![ids],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?
    .into_iter()
    .collect();
    Ok(movies
        .into_iter()
        .map(|(id, title)| MovieWithGenres {
            id,
            title,
            genres: genres.remove(&id).unwrap_or_default(),
            rating_count: counts.get(&id).copied().unwrap_or(0),
        })
        .collect())
}

/// The movie columns `only` and `defer` choose from.
pub const MOVIE_COLUMNS: [&str; 4] = ["movie_id", "title", "year", "genres"];

/// `only('title')`: the first `limit` movies with their id and title alone: 1 statement.
pub fn only_titles(conn: &Connection, limit: u32) -> Result<Vec<PartialMovie>, DbError> {
    noted_rows(conn, FIRST_MOVIES, params![limit], |row| {
        Ok(PartialMovie { id: row.get(0)?, title: row.get(1)?, year: None, genres: None })
    })
}

const GENRES_OF_MOVIE: &str = "SELECT genres FROM movies WHERE movie_id = ?1";

/// `defer('genres')`: every column but genres, in 1 statement. With `touch`, each movie's genres
/// are then read as Django reads a deferred field on first access: a statement per movie, 1 + N.
pub fn defer_genres(conn: &Connection, limit: u32, touch: bool) -> Result<Vec<PartialMovie>, DbError> {
    let mut movies = noted_rows(
        conn,
        "SELECT movie_id, title, year FROM movies ORDER BY movie_id LIMIT ?1",
        params![limit],
        |row| Ok(PartialMovie { id: row.get(0)?, title: row.get(1)?, year: row.get(2)?, genres: None }),
    )?;
    if touch {
        for movie in &mut movies {
            let genres: Option<String> = noted_row(conn, GENRES_OF_MOVIE, params![movie.id], |row| row.get(0))?;
            movie.genres = Some(split_genres(genres.filter(|joined| !joined.is_empty())));
        }
    }
    Ok(movies)
}

const MOVIE_VALUES: &str = "SELECT movie_id, title, year FROM movies ORDER BY movie_id LIMIT ?1";

/// `values('id', 'title', 'year')`: plain objects, 1 statement.
pub fn values(conn: &Connection, limit: u32) -> Result<Vec<MovieValues>, DbError> {
    noted_rows(conn, MOVIE_VALUES, params![limit], |row| {
        Ok(MovieValues { id: row.get(0)?, title: row.get(1)?, year: row.get(2)? })
    })
}

/// `values_list('id', 'title', 'year')`: one array per movie; with `flat`, `values_list('id',
/// flat=True)`: the ids alone. 1 statement.
pub fn values_list(conn: &Connection, limit: u32, flat: bool) -> Result<Vec<serde_json::Value>, DbError> {
    if flat {
        return noted_rows(conn, "SELECT movie_id FROM movies ORDER BY movie_id LIMIT ?1", params![limit], |row| {
            Ok(serde_json::Value::from(row.get::<_, i64>(0)?))
        });
    }
    noted_rows(conn, MOVIE_VALUES, params![limit], |row| {
        let (id, title, year): (i64, String, Option<i64>) = (row.get(0)?, row.get(1)?, row.get(2)?);
        Ok(serde_json::json!([id, title, year]))
    })
}
