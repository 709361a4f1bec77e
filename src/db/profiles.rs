//! The raw rows the statistics tasks compute from: a movie's ratings, a user's ratings by
//! genre and a user's tags.

use rusqlite::Connection;

use super::DbError;

/// Each of the movie's ratings with its timestamp (seconds).
pub fn movie_ratings(conn: &Connection, movie_id: i64) -> Result<Vec<(f64, i64)>, DbError> {
    let mut statement = conn.prepare_cached("SELECT rating, timestamp FROM ratings WHERE movie_id = ?1")?;
    let rows = statement.query_map([movie_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The user's ratings.
pub fn user_ratings(conn: &Connection, user_id: i64) -> Result<Vec<f64>, DbError> {
    let mut statement = conn.prepare_cached("SELECT rating FROM ratings WHERE user_id = ?1")?;
    let rows = statement.query_map([user_id], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Per genre of the movies the user rated: (genre, the user's rating count, rating sum).
pub fn user_genre_ratings(conn: &Connection, user_id: i64) -> Result<Vec<(String, i64, f64)>, DbError> {
    let mut statement = conn.prepare_cached(
        "SELECT g.name, count(*), sum(r.rating)
         FROM ratings r JOIN movie_genres mg ON mg.movie_id = r.movie_id JOIN genres g ON g.id = mg.genre_id
         WHERE r.user_id = ?1 GROUP BY g.name ORDER BY g.name",
    )?;
    let rows = statement.query_map([user_id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The text of every tag the user applied.
pub fn user_tags(conn: &Connection, user_id: i64) -> Result<Vec<String>, DbError> {
    let mut statement = conn.prepare_cached("SELECT tag FROM tags WHERE user_id = ?1")?;
    let rows = statement.query_map([user_id], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Whether the movie exists.
pub fn movie_exists(conn: &Connection, movie_id: i64) -> Result<bool, DbError> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM movies WHERE movie_id = ?1)")?
        .query_row([movie_id], |row| row.get(0))?)
}
