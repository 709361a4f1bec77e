//! Queries for genres, users, links and the data set's overall figures.

use rusqlite::{Connection, OptionalExtension};

use super::movies::split_genres;
use super::DbError;
use crate::model::caching::{CachedMovie, CachedMovieGenres};
use crate::model::genres::Genre;
use crate::model::movies::Links;
use crate::model::stats::{DataSource, Stats, TableCounts};
use crate::model::users::{GenreAffinity, User};

/// From `genre_stats`, which triggers keep (migration 0004): one row per genre, no join over movies.
const GENRE_COLUMNS: &str = "SELECT g.name, coalesce(gs.movie_count, 0), coalesce(gs.rating_count, 0), gs.rating_sum
    FROM genres g LEFT JOIN genre_stats gs ON gs.genre_id = g.id";

fn genre(row: &rusqlite::Row) -> rusqlite::Result<Genre> {
    let rating_count: i64 = row.get(2)?;
    let rating_sum: Option<f64> = row.get(3)?;
    Ok(Genre {
        name: row.get(0)?,
        movie_count: row.get(1)?,
        rating_count,
        mean_rating: rating_sum.filter(|_| rating_count > 0).map(|sum| sum / rating_count as f64),
    })
}

pub fn genres(conn: &Connection) -> Result<Vec<Genre>, DbError> {
    let mut statement = conn.prepare_cached(&format!("{GENRE_COLUMNS} ORDER BY g.name"))?;
    let genres = statement.query_map([], genre)?.collect::<Result<_, _>>()?;
    Ok(genres)
}

pub fn genre_by_name(conn: &Connection, name: &str) -> Result<Option<Genre>, DbError> {
    let mut statement = conn.prepare_cached(&format!("{GENRE_COLUMNS} WHERE g.name = ?1 COLLATE NOCASE"))?;
    Ok(statement.query_row([name], genre).optional()?)
}

/// Recomputes `genre_stats` from the movies' genres and stats, for a bulk load that bypassed its
/// triggers.
pub fn rebuild_genre_stats(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM genre_stats", [])?;
    conn.execute(
        "INSERT INTO genre_stats (genre_id, movie_count, rating_count, rating_sum)
         SELECT mg.genre_id, count(*), coalesce(sum(s.rating_count), 0), coalesce(sum(s.rating_sum), 0)
         FROM movie_genres mg LEFT JOIN movie_stats s ON s.movie_id = mg.movie_id GROUP BY mg.genre_id",
        [],
    )?;
    Ok(())
}

/// A user's activity, or `None` if the id has no ratings and no tags.
pub fn user(conn: &Connection, user_id: i64) -> Result<Option<User>, DbError> {
    let (rating_count, mean_rating, first, last): (i64, Option<f64>, Option<i64>, Option<i64>) = conn
        .prepare_cached("SELECT count(*), avg(rating), min(timestamp), max(timestamp) FROM ratings WHERE user_id = ?1")?
        .query_row([user_id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))?;
    let (tag_count, first_tag, last_tag): (i64, Option<i64>, Option<i64>) = conn
        .prepare_cached("SELECT count(*), min(timestamp), max(timestamp) FROM tags WHERE user_id = ?1")?
        .query_row([user_id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
    if rating_count == 0 && tag_count == 0 {
        return Ok(None);
    }
    let favourite_genres = conn
        .prepare_cached(
            "SELECT g.name, count(*) AS liked, avg(r.rating) FROM ratings r
             JOIN movie_genres mg ON mg.movie_id = r.movie_id JOIN genres g ON g.id = mg.genre_id
             WHERE r.user_id = ?1 AND r.rating >= 4.0 GROUP BY g.id ORDER BY liked DESC, g.name LIMIT 5",
        )?
        .query_map([user_id], |row| {
            Ok(GenreAffinity { genre: row.get(0)?, liked: row.get(1)?, mean_rating: row.get(2)? })
        })?
        .collect::<Result<_, _>>()?;
    Ok(Some(User {
        id: user_id,
        rating_count,
        mean_rating,
        tag_count,
        first_activity: [first, first_tag].into_iter().flatten().min(),
        last_activity: [last, last_tag].into_iter().flatten().max(),
        favourite_genres,
    }))
}

pub fn link(conn: &Connection, movie_id: i64) -> Result<Option<Links>, DbError> {
    let mut statement = conn.prepare_cached("SELECT imdb_id, tmdb_id FROM links WHERE movie_id = ?1")?;
    Ok(statement.query_row([movie_id], |row| Ok(Links::new(movie_id, row.get(0)?, row.get(1)?))).optional()?)
}

/// Looks a movie's links up by IMDb id (digits, with or without `tt` and zero padding) or TMDB id.
pub fn link_by_external_id(
    conn: &Connection,
    imdb_id: Option<&str>,
    tmdb_id: Option<i64>,
) -> Result<Option<Links>, DbError> {
    let row = |row: &rusqlite::Row| Ok(Links::new(row.get(0)?, row.get(1)?, row.get(2)?));
    if let Some(imdb_id) = imdb_id {
        let digits = imdb_id.strip_prefix("tt").unwrap_or(imdb_id);
        let number: u64 = digits.parse().map_err(|_| {
            DbError::Invalid(format!("imdb_id '{imdb_id}' is not an IMDb id"), Some("imdb_id".to_string()))
        })?;
        // MovieLens pads IMDb ids to seven digits; ids that are longer are stored as they are.
        let mut statement = conn.prepare_cached("SELECT movie_id, imdb_id, tmdb_id FROM links WHERE imdb_id = ?1")?;
        return Ok(statement.query_row([format!("{number:07}")], row).optional()?);
    }
    let mut statement = conn.prepare_cached("SELECT movie_id, imdb_id, tmdb_id FROM links WHERE tmdb_id = ?1")?;
    Ok(statement.query_row([tmdb_id], row).optional()?)
}

pub fn stats(conn: &Connection) -> Result<Stats, DbError> {
    let count = |table: &str| -> rusqlite::Result<i64> {
        conn.prepare_cached(&format!("SELECT count(*) FROM {table}"))?.query_row([], |row| row.get(0))
    };
    // `totals` keeps the ratings count, which counting 25M rows on every request would not.
    let ratings: i64 = conn.query_row("SELECT rating_count FROM totals", [], |row| row.get(0))?;
    let tables = TableCounts {
        movies: count("movies")?,
        genres: count("genres")?,
        movie_genres: count("movie_genres")?,
        ratings,
        tags: count("tags")?,
        links: count("links")?,
    };
    let source = conn
        .prepare_cached(
            "SELECT source_kind, source, finished_at, finished_at - started_at FROM data_imports ORDER BY id DESC LIMIT 1",
        )?
        .query_row([], |row| {
            Ok(DataSource { kind: row.get(0)?, source: row.get(1)?, imported_at: row.get(2)?, duration_seconds: row.get(3)? })
        })
        .optional()?;
    let wal_bytes = conn.path().map_or(0, |path| super::wal::wal_bytes(std::path::Path::new(path)));
    Ok(Stats { tables, source, imports: count("data_imports")?, wal_bytes: wal_bytes as i64 })
}

/// The first `limit` movies by id, with their titles.
pub fn first_movies(conn: &Connection, limit: u32) -> Result<Vec<CachedMovie>, DbError> {
    let mut statement = conn.prepare_cached("SELECT movie_id, title FROM movies ORDER BY movie_id LIMIT ?1")?;
    let movies = statement.query_map([limit], |row| Ok(CachedMovie { id: row.get(0)?, title: row.get(1)? }))?;
    Ok(movies.collect::<Result<_, _>>()?)
}

/// The first `limit` movies by id, with their titles and genres.
pub fn first_movies_with_genres(conn: &Connection, limit: u32) -> Result<Vec<CachedMovieGenres>, DbError> {
    let mut statement = conn.prepare_cached("SELECT movie_id, title, genres FROM movies ORDER BY movie_id LIMIT ?1")?;
    let movies = statement.query_map([limit], |row| {
        Ok(CachedMovieGenres { id: row.get(0)?, title: row.get(1)?, genres: split_genres(row.get(2)?) })
    })?;
    Ok(movies.collect::<Result<_, _>>()?)
}
