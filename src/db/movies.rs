//! Queries for movies: the filtered list, one movie's details, and the top-rated ranking.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

use super::filter::CompiledFilter;
use super::movie_order::{order_sql, page_ids, page_statements, Conditions};
use super::DbError;
use crate::model::movies::{
    GenreMatch, Links, MovieDetail, MovieFilter, MovieSort, MovieSummary, RatingBucket, RatingStats, TagCount,
    TopRatedMovie,
};

/// Genres in alphabetical order, as MovieLens lists them.
pub fn split_genres(joined: Option<String>) -> Vec<String> {
    let mut genres: Vec<String> =
        joined.map(|joined| joined.split('|').map(str::to_owned).collect()).unwrap_or_default();
    genres.sort_unstable();
    genres
}

fn summary(row: &Row) -> rusqlite::Result<MovieSummary> {
    let rating_count: i64 = row.get(3)?;
    let rating_sum: f64 = row.get(4)?;
    Ok(MovieSummary {
        id: row.get(0)?,
        title: row.get(1)?,
        year: row.get(2)?,
        genres: split_genres(row.get(5)?),
        mean_rating: (rating_count > 0).then(|| rating_sum / rating_count as f64),
        rating_count,
    })
}

/// Checks genre names and returns their ids; an unknown name is a 400 that lists the known ones.
pub fn genre_ids(conn: &Connection, names: &[String]) -> Result<Vec<i64>, DbError> {
    let mut lookup = conn.prepare_cached("SELECT id FROM genres WHERE name = ?1 COLLATE NOCASE")?;
    names
        .iter()
        .map(|name| match lookup.query_row([name], |row| row.get(0)).optional()? {
            Some(id) => Ok(id),
            None => {
                let known: Vec<String> = conn
                    .prepare_cached("SELECT name FROM genres ORDER BY name")?
                    .query_map([], |row| row.get(0))?
                    .collect::<Result<_, _>>()?;
                Err(DbError::Invalid(
                    format!("unknown genre '{name}'"),
                    Some(format!("known genres: {}", known.join(", "))),
                ))
            }
        })
        .collect()
}

/// The conditions of a movie filter, joined by AND (empty for none), and their parameters.
///
/// `per_movie` puts the genre condition as a lookup per movie, for a page read along an order's
/// index that stops after its rows; otherwise it is a set of the genres' movies, built once, for
/// reading every match (a count). As a set, SQLite would drive a page from it and sort.
fn filter_sql(conn: &Connection, filter: &MovieFilter, per_movie: bool) -> Result<(String, Vec<Value>), DbError> {
    let mut clauses = Vec::new();
    let mut values = Vec::new();
    if let Some(search) = filter.search.as_deref().filter(|search| !search.is_empty()) {
        clauses.push("contains_text(m.title, ?)".to_string());
        values.push(Value::Text(search.to_string()));
    }
    if !filter.genres.is_empty() {
        // `Comedy` twice, or `Comedy` and `comedy`, is one genre: `HAVING count(*)` below counts
        // each matching genre row once.
        let mut ids = genre_ids(conn, &filter.genres)?;
        ids.sort_unstable();
        ids.dedup();
        let marks = vec!["?"; ids.len()].join(", ");
        let matched = format!(
            "(SELECT count(*) FROM movie_genres mg WHERE mg.movie_id = m.movie_id AND mg.genre_id IN ({marks}))"
        );
        clauses.push(match filter.genre_match {
            GenreMatch::Any if per_movie => format!("{matched} > 0"),
            GenreMatch::All if per_movie => format!("{matched} = {}", ids.len()),
            GenreMatch::Any => format!("m.movie_id IN (SELECT movie_id FROM movie_genres WHERE genre_id IN ({marks}))"),
            GenreMatch::All => format!(
                "m.movie_id IN (SELECT movie_id FROM movie_genres WHERE genre_id IN ({marks})
                 GROUP BY movie_id HAVING count(*) = {})",
                ids.len()
            ),
        });
        values.extend(ids.into_iter().map(Value::Integer));
    }
    if let Some(year_min) = filter.year_min {
        clauses.push("m.year >= ?".to_string());
        values.push(Value::Integer(year_min.into()));
    }
    if let Some(year_max) = filter.year_max {
        clauses.push("m.year <= ?".to_string());
        values.push(Value::Integer(year_max.into()));
    }
    if let Some(min_ratings) = filter.min_ratings.filter(|min| *min > 0) {
        clauses.push("coalesce(s.rating_count, 0) >= ?".to_string());
        values.push(Value::Integer(min_ratings.into()));
    }
    if let Some(expression) = &filter.expression {
        let compiled = compile_filter(expression)?;
        clauses.push(compiled.sql);
        values.extend(compiled.params);
    }
    Ok((clauses.join(" AND "), values))
}

/// Compiles a filter-language expression; a bad one is invalid input that says where.
pub fn compile_filter(expression: &str) -> Result<CompiledFilter, DbError> {
    super::filter::compile(expression)
        .map_err(|err| DbError::Invalid(format!("filter: {err}"), Some(format!("filter, character {}", err.position))))
}

/// One page of movies matching `filter`, and how many match in all.
pub fn list(
    conn: &Connection,
    filter: &MovieFilter,
    offset: u64,
    limit: u32,
) -> Result<(u64, Vec<MovieSummary>), DbError> {
    let (conditions, values) = filter_sql(conn, filter, false)?;
    if filter.expression.is_some() {
        return list_in_one_pass(conn, &where_clause(&conditions), values, filter.sort, offset, limit);
    }
    let count = match_count(conn, filter, &conditions, &values)?;
    let (conditions, values) = filter_sql(conn, filter, true)?;
    let matching = Conditions { sql: &conditions, values: &values, uses_stats: uses_stats(filter) };
    // The page's ids first, along an index that holds the order, then their columns.
    let ids = page_ids(conn, filter.sort, &matching, offset, limit)?;
    let sql = format!(
        "SELECT m.movie_id, m.title, m.year, coalesce(s.rating_count, 0), coalesce(s.rating_sum, 0), m.genres
         FROM movies m LEFT JOIN movie_stats s ON s.movie_id = m.movie_id
         WHERE m.movie_id IN (SELECT value FROM json_each(?1)) ORDER BY {}",
        order_sql(filter.sort)
    );
    let ids = serde_json::to_string(&ids).expect("ids serialize");
    let movies = conn.prepare_cached(&sql)?.query_map([ids], summary)?.collect::<Result<_, _>>()?;
    Ok((count, movies))
}

/// The `EXPLAIN QUERY PLAN` lines of the statements that read one page of `filter`'s list (without
/// a filter-language expression), so that tests can check that no page sorts every movie.
pub fn page_plan(conn: &Connection, filter: &MovieFilter) -> Result<Vec<String>, DbError> {
    let (conditions, values) = filter_sql(conn, filter, true)?;
    let matching = Conditions { sql: &conditions, values: &values, uses_stats: uses_stats(filter) };
    let mut lines = Vec::new();
    for sql in page_statements(filter.sort, &matching) {
        let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
        let unbound = vec![Value::Null; statement.parameter_count()];
        let plan = statement.query_map(params_from_iter(unbound), |row| row.get::<_, String>(3))?;
        lines.extend(plan.collect::<Result<Vec<_>, _>>()?);
    }
    Ok(lines)
}

/// How many movies match. Unfiltered, the total is kept in `totals`, and one genre's in
/// `genre_stats`; counting would read every movie (or every movie of the genre) each time.
fn match_count(conn: &Connection, filter: &MovieFilter, conditions: &str, values: &[Value]) -> Result<u64, DbError> {
    let only_genres = filter.search.as_deref().is_none_or(str::is_empty)
        && filter.year_min.is_none()
        && filter.year_max.is_none()
        && filter.min_ratings.is_none_or(|min| min == 0);
    let count_sql = if conditions.is_empty() {
        "SELECT movie_count FROM totals".to_string()
    } else if only_genres && values.len() == 1 {
        "SELECT coalesce((SELECT movie_count FROM genre_stats WHERE genre_id = ?1), 0)".to_string()
    } else {
        format!(
            "SELECT count(*) FROM movies m LEFT JOIN movie_stats s ON s.movie_id = m.movie_id {}",
            where_clause(conditions)
        )
    };
    let count: i64 = conn.prepare_cached(&count_sql)?.query_row(params_from_iter(values), |row| row.get(0))?;
    Ok(count as u64)
}

/// Whether a condition of `filter` reads `movie_stats` (an expression goes its own way).
fn uses_stats(filter: &MovieFilter) -> bool {
    filter.min_ratings.is_some_and(|min| min > 0)
}

fn where_clause(conditions: &str) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {conditions}")
    }
}

/// [`list`] for a filter-language expression, whose conditions cost more per movie than the fixed
/// filters': the page and the total come from one pass over the matches (`count(*) OVER ()`), not a
/// count and then a page. Statements are cached as usual: a client paging through the matches
/// reuses them, and an expression that never comes back only takes a slot the cache reclaims.
fn list_in_one_pass(
    conn: &Connection,
    where_sql: &str,
    mut values: Vec<Value>,
    sort: MovieSort,
    offset: u64,
    limit: u32,
) -> Result<(u64, Vec<MovieSummary>), DbError> {
    let order = order_sql(sort);
    let from = "FROM movies m LEFT JOIN movie_stats s ON s.movie_id = m.movie_id";
    let count_values = values.clone();
    values.push(Value::Integer(limit.into()));
    values.push(Value::Integer(offset as i64));
    let sql = format!(
        "SELECT m.movie_id, m.title, m.year, coalesce(s.rating_count, 0), coalesce(s.rating_sum, 0), m.genres, page.total
         FROM (SELECT m.movie_id, count(*) OVER () AS total {from} {where_sql} ORDER BY {order} LIMIT ? OFFSET ?) page
         CROSS JOIN movies m ON m.movie_id = page.movie_id LEFT JOIN movie_stats s ON s.movie_id = m.movie_id
         ORDER BY {order}"
    );
    let mut total = 0;
    let movies: Vec<MovieSummary> = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(&values), |row| {
            total = row.get(6)?;
            summary(row)
        })?
        .collect::<Result<_, _>>()?;
    if movies.is_empty() && offset > 0 {
        // Past the last page the window has no row to report the total on.
        let count_sql = format!("SELECT count(*) {from} {where_sql}");
        total = conn.prepare_cached(&count_sql)?.query_row(params_from_iter(&count_values), |row| row.get(0))?;
    }
    Ok((total as u64, movies))
}

/// Everything about one movie, or `None` if there is no such movie.
pub fn detail(conn: &Connection, movie_id: i64) -> Result<Option<MovieDetail>, DbError> {
    let movie = conn
        .prepare_cached(
            "SELECT m.movie_id, m.title, m.year, coalesce(s.rating_count, 0), coalesce(s.rating_sum, 0), m.genres
             FROM movies m LEFT JOIN movie_stats s ON s.movie_id = m.movie_id WHERE m.movie_id = ?1",
        )?
        .query_row([movie_id], summary)
        .optional()?;
    let Some(movie) = movie else { return Ok(None) };

    let links = conn
        .prepare_cached("SELECT imdb_id, tmdb_id FROM links WHERE movie_id = ?1")?
        .query_row([movie_id], |row| Ok(Links::new(movie_id, row.get(0)?, row.get(1)?)))
        .optional()?;
    let mut histogram: Vec<RatingBucket> =
        (1..=10).map(|half| RatingBucket { rating: half as f64 / 2.0, count: 0 }).collect();
    let mut buckets = conn.prepare_cached("SELECT rating, count FROM movie_rating_histogram WHERE movie_id = ?1")?;
    for bucket in buckets.query_map([movie_id], |row| Ok((row.get::<_, f64>(0)?, row.get::<_, i64>(1)?)))? {
        let (rating, count) = bucket?;
        histogram[(rating * 2.0) as usize - 1].count = count;
    }
    let top_tags = conn
        .prepare_cached(
            "SELECT tag, count(*) AS uses FROM tags WHERE movie_id = ?1 GROUP BY tag ORDER BY uses DESC, tag LIMIT 10",
        )?
        .query_map([movie_id], |row| Ok(TagCount { tag: row.get(0)?, count: row.get(1)? }))?
        .collect::<Result<_, _>>()?;
    Ok(Some(MovieDetail {
        id: movie.id,
        title: movie.title,
        year: movie.year,
        genres: movie.genres,
        links,
        ratings: RatingStats { count: movie.rating_count, mean: movie.mean_rating, histogram },
        top_tags,
    }))
}

pub fn exists(conn: &Connection, movie_id: i64) -> Result<bool, DbError> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM movies WHERE movie_id = ?1)")?
        .query_row([movie_id], |row| row.get(0))?)
}

/// Movies ranked by damped mean: (10 × global mean + sum of ratings) / (10 + count), kept in
/// `movie_stats.score` by the triggers of migration 0002. Walking the score index from the top, the query stops as soon as
/// it has `limit` movies that pass the filters.
pub fn top_rated(
    conn: &Connection,
    genre: Option<&str>,
    min_ratings: u32,
    limit: u32,
) -> Result<Vec<TopRatedMovie>, DbError> {
    let genre_id = match genre {
        Some(name) => Some(genre_ids(conn, &[name.to_string()])?[0]),
        None => None,
    };
    let genre_filter = if genre_id.is_some() {
        "AND EXISTS (SELECT 1 FROM movie_genres mg WHERE mg.movie_id = s.movie_id AND mg.genre_id = ?3)"
    } else {
        "AND ?3 IS NULL"
    };
    // The score index is the outer loop, so rows come out ranked and the scan stops at `limit`.
    let sql = format!(
        "SELECT m.movie_id, m.title, m.year, s.rating_count, s.rating_sum, m.genres, s.score
         FROM movie_stats s INDEXED BY movie_stats_score CROSS JOIN movies m ON m.movie_id = s.movie_id
         WHERE s.rating_count >= ?1 {genre_filter}
         ORDER BY s.score DESC, s.movie_id LIMIT ?2"
    );
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement
        .query_map(params![min_ratings.max(1), limit, genre_id], |row| Ok((summary(row)?, row.get::<_, f64>(6)?)))?;
    let mut ranked = Vec::new();
    for (rank, row) in (1..).zip(rows) {
        let (movie, score) = row?;
        ranked.push(TopRatedMovie {
            rank,
            id: movie.id,
            title: movie.title,
            year: movie.year,
            genres: movie.genres,
            rating_count: movie.rating_count,
            mean_rating: movie.mean_rating.unwrap_or_default(),
            score,
        });
    }
    Ok(ranked)
}
