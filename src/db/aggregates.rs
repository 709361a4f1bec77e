//! Checking the stored aggregates (kept by triggers as ratings change) against the ratings
//! themselves, and correcting any drift: for one movie, or for everything.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::catalogue;

/// What a check found and corrected.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Drift {
    /// Movies whose stored rating count or sum did not match their ratings.
    pub movies_corrected: i64,
    /// Histogram rows (movie, half star) that did not match.
    pub histogram_rows_corrected: i64,
    /// Whether the whole-table rating count and sum were off.
    pub totals_corrected: bool,
    /// Genres whose figures were off.
    pub genres_corrected: i64,
}

/// A movie's stored and actual rating count and sum.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MovieFigures {
    pub stored_count: i64,
    pub stored_sum: f64,
    pub actual_count: i64,
    pub actual_sum: f64,
}

/// What a check of one movie's aggregates found; nothing is written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MovieCheck {
    pub figures: MovieFigures,
    /// The movie has no `movie_stats` row at all.
    pub row_missing: bool,
    /// Histogram rows (half stars) that differ from its ratings.
    pub histogram_rows_differing: i64,
}

impl MovieCheck {
    /// The stored count or sum is not the ratings'.
    pub fn figures_differ(&self) -> bool {
        let figures = &self.figures;
        (figures.stored_count, figures.stored_sum) != (figures.actual_count, figures.actual_sum)
    }

    /// Whether [`refresh_movie`] would change anything.
    pub fn needs_refresh(&self) -> bool {
        self.row_missing || self.figures_differ() || self.histogram_rows_differing > 0
    }
}

/// Compares movie `movie_id`'s stored figures and histogram with its ratings, writing nothing:
/// a read transaction can answer whether [`refresh_movie`] is needed, which it seldom is, so
/// the one writer is spared the reading.
pub fn check_movie(conn: &Connection, movie_id: i64) -> rusqlite::Result<MovieCheck> {
    let (actual_count, actual_sum): (i64, f64) = conn
        .prepare_cached("SELECT count(*), coalesce(sum(rating), 0) FROM ratings WHERE movie_id = ?1")?
        .query_row([movie_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
    let stored: Option<(i64, f64)> = conn
        .prepare_cached("SELECT rating_count, rating_sum FROM movie_stats WHERE movie_id = ?1")?
        .query_row([movie_id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let (stored_count, stored_sum) = stored.unwrap_or((0, 0.0));
    Ok(MovieCheck {
        figures: MovieFigures { stored_count, stored_sum, actual_count, actual_sum },
        row_missing: stored.is_none(),
        histogram_rows_differing: histogram_rows_differing(conn, Some(movie_id))?,
    })
}

/// Compares movie `movie_id`'s stored figures with its ratings and corrects them (the triggers
/// then carry the change to its genres and score). Run inside a write transaction.
pub fn refresh_movie(conn: &Connection, movie_id: i64) -> rusqlite::Result<MovieCheck> {
    let check = check_movie(conn, movie_id)?;
    if check.row_missing || check.figures_differ() {
        let figures = &check.figures;
        conn.execute(
            "INSERT INTO movie_stats (movie_id, rating_count, rating_sum) VALUES (?1, ?2, ?3)
             ON CONFLICT (movie_id) DO UPDATE SET rating_count = excluded.rating_count, rating_sum = excluded.rating_sum",
            params![movie_id, figures.actual_count, figures.actual_sum],
        )?;
    }
    if check.histogram_rows_differing > 0 {
        rewrite_histogram(conn, Some(movie_id))?;
    }
    Ok(check)
}

/// The scope of a histogram statement: one movie's rows by its index; `?1 IS NULL OR movie_id =
/// ?1` would read every rating even for one movie, since SQLite plans a statement once for any
/// value.
fn histogram_scope(movie_id: Option<i64>) -> &'static str {
    if movie_id.is_some() {
        "movie_id = ?1"
    } else {
        "?1 IS NULL"
    }
}

fn actual_histogram(scope: &str) -> String {
    format!("SELECT movie_id, rating, count(*) AS count FROM ratings WHERE {scope} GROUP BY movie_id, rating")
}

/// How many histogram rows (of one movie, or of all) differ from the ratings.
fn histogram_rows_differing(conn: &Connection, movie_id: Option<i64>) -> rusqlite::Result<i64> {
    let scope = histogram_scope(movie_id);
    let actual = actual_histogram(scope);
    let stored = format!("SELECT movie_id, rating, count FROM movie_rating_histogram WHERE count > 0 AND {scope}");
    conn.prepare_cached(&format!(
        "SELECT (SELECT count(*) FROM ({actual} EXCEPT {stored})) + (SELECT count(*) FROM ({stored} EXCEPT {actual}))"
    ))?
    .query_row([movie_id], |row| row.get(0))
}

/// Writes the histogram rows (of one movie, or of all) again from the ratings.
fn rewrite_histogram(conn: &Connection, movie_id: Option<i64>) -> rusqlite::Result<()> {
    let scope = histogram_scope(movie_id);
    conn.execute(&format!("DELETE FROM movie_rating_histogram WHERE {scope}"), [movie_id])?;
    conn.execute(
        &format!("INSERT INTO movie_rating_histogram (movie_id, rating, count) {}", actual_histogram(scope)),
        [movie_id],
    )?;
    Ok(())
}

/// Rewrites the histogram rows that differ from the ratings (of one movie, or of all);
/// returns how many differed.
fn fix_histogram(conn: &Connection, movie_id: Option<i64>) -> rusqlite::Result<i64> {
    let differing = histogram_rows_differing(conn, movie_id)?;
    if differing > 0 {
        rewrite_histogram(conn, movie_id)?;
    }
    Ok(differing)
}

/// Checks every aggregate against the ratings and corrects what drifted. Run inside a write
/// transaction; it reads every rating.
pub fn recompute_all(conn: &Connection) -> rusqlite::Result<Drift> {
    let actual = "SELECT movie_id, count(*) AS rating_count, sum(rating) AS rating_sum FROM ratings GROUP BY movie_id";
    let stored = "SELECT movie_id, rating_count, rating_sum FROM movie_stats WHERE rating_count > 0";
    let movies_corrected = conn.execute(
        &format!(
            "INSERT INTO movie_stats (movie_id, rating_count, rating_sum)
             SELECT movie_id, coalesce(a.rating_count, 0), coalesce(a.rating_sum, 0)
             FROM (SELECT movie_id FROM ({actual} EXCEPT {stored}) UNION SELECT movie_id FROM ({stored} EXCEPT {actual}))
             LEFT JOIN ({actual}) a USING (movie_id)
             WHERE true
             ON CONFLICT (movie_id) DO UPDATE SET rating_count = excluded.rating_count, rating_sum = excluded.rating_sum"
        ),
        [],
    )? as i64;
    let histogram_rows_corrected = fix_histogram(conn, None)?;
    let totals_corrected = conn.execute(
        "UPDATE totals SET rating_count = a.count, rating_sum = a.total
         FROM (SELECT count(*) AS count, coalesce(sum(rating), 0) AS total FROM ratings) a
         WHERE totals.rating_count != a.count OR totals.rating_sum != a.total",
        [],
    )? > 0;
    let genres_corrected: i64 = conn.query_row(
        "SELECT count(*) FROM (
             SELECT mg.genre_id, count(*), coalesce(sum(s.rating_count), 0), coalesce(sum(s.rating_sum), 0)
             FROM movie_genres mg LEFT JOIN movie_stats s ON s.movie_id = mg.movie_id GROUP BY mg.genre_id
             EXCEPT SELECT genre_id, movie_count, rating_count, rating_sum FROM genre_stats)",
        [],
        |row| row.get(0),
    )?;
    if genres_corrected > 0 {
        catalogue::rebuild_genre_stats(conn)?;
    }
    Ok(Drift { movies_corrected, histogram_rows_corrected, totals_corrected, genres_corrected })
}
