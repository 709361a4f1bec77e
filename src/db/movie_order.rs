//! The movie list's orders, and one page of ids in such an order read along an index that holds it
//! (migration 0007), rather than by sorting every matching movie for each page.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};

use super::DbError;
use crate::model::movies::MovieSort;

/// The whole order of `sort`, over `movies m LEFT JOIN movie_stats s`.
pub fn order_sql(sort: MovieSort) -> &'static str {
    // Unknown years and means sort last either way; the id breaks ties so pages are stable.
    match sort {
        MovieSort::Id => "m.movie_id",
        MovieSort::IdDesc => "m.movie_id DESC",
        MovieSort::Title => "m.title, m.movie_id",
        MovieSort::TitleDesc => "m.title DESC, m.movie_id",
        MovieSort::Year => "m.year IS NULL, m.year, m.movie_id",
        MovieSort::YearDesc => "m.year IS NULL, m.year DESC, m.movie_id",
        MovieSort::MeanRating => "s.rating_count IS NULL, s.rating_sum / s.rating_count, m.movie_id",
        MovieSort::MeanRatingDesc => "s.rating_count IS NULL, s.rating_sum / s.rating_count DESC, m.movie_id",
        MovieSort::RatingCount => "coalesce(s.rating_count, 0), m.movie_id",
        MovieSort::RatingCountDesc => "coalesce(s.rating_count, 0) DESC, m.movie_id",
    }
}

/// One run of an order that sorts by a rating figure. No index over `movies LEFT JOIN movie_stats`
/// can hold such an order, so it is read as two runs: the rated movies along a `movie_stats` index
/// (its ORDER BY is that index's), and the unrated ones by id.
#[derive(Clone, Copy)]
enum Run {
    Rated(&'static str),
    Unrated,
}

/// The two runs of `sort` in the order they come, or `None` when `movies` alone holds the order.
fn runs(sort: MovieSort) -> Option<[Run; 2]> {
    match sort {
        MovieSort::MeanRating => Some([Run::Rated("s.rating_sum / s.rating_count, s.movie_id"), Run::Unrated]),
        MovieSort::MeanRatingDesc => Some([Run::Rated("s.rating_sum / s.rating_count DESC, s.movie_id"), Run::Unrated]),
        // A rated movie has at least one rating, so the unrated (0) come first going up.
        MovieSort::RatingCount => Some([Run::Unrated, Run::Rated("s.rating_count, s.movie_id")]),
        MovieSort::RatingCountDesc => Some([Run::Rated("s.rating_count DESC, s.movie_id"), Run::Unrated]),
        _ => None,
    }
}

/// `FROM` and `WHERE` of a run, with `conditions` (the filter's, over `m` and `s`) added.
fn run_from(run: Run, conditions: &str) -> String {
    let and = |extra: &str| match (conditions.is_empty(), extra.is_empty()) {
        (true, true) => String::new(),
        (true, false) => format!("WHERE {extra}"),
        (false, true) => format!("WHERE {conditions}"),
        (false, false) => format!("WHERE {extra} AND ({conditions})"),
    };
    match run {
        // CROSS JOIN keeps movie_stats the outer loop, so its index gives the order.
        Run::Rated(_) if conditions.is_empty() => "FROM movie_stats s".to_string(),
        Run::Rated(_) => format!("FROM movie_stats s CROSS JOIN movies m ON m.movie_id = s.movie_id {}", and("")),
        Run::Unrated => {
            format!("FROM movies m LEFT JOIN movie_stats s ON s.movie_id = m.movie_id {}", and("s.movie_id IS NULL"))
        }
    }
}

fn run_order(run: Run) -> &'static str {
    match run {
        Run::Rated(order) => order,
        Run::Unrated => "m.movie_id",
    }
}

/// The statement that reads `limit` ids of one run from `offset`.
fn run_sql(run: Run, conditions: &str) -> String {
    let id = if matches!(run, Run::Rated(_)) { "s.movie_id" } else { "m.movie_id" };
    format!("SELECT {id} {} ORDER BY {} LIMIT ? OFFSET ?", run_from(run, conditions), run_order(run))
}

/// The statement that reads one page of ids for an order `movies` holds alone.
fn single_sql(sort: MovieSort, filter: &Conditions) -> String {
    let conditions = filter.sql;
    // Stats are joined only where the filter needs them.
    let from = if filter.uses_stats {
        "FROM movies m LEFT JOIN movie_stats s ON s.movie_id = m.movie_id"
    } else {
        "FROM movies m"
    };
    let filter = if conditions.is_empty() { String::new() } else { format!("WHERE {conditions}") };
    format!("SELECT m.movie_id {from} {filter} ORDER BY {} LIMIT ? OFFSET ?", order_sql(sort))
}

/// A filter's conditions over `m` and `s` (empty for none), joined by AND, and their values.
pub struct Conditions<'a> {
    pub sql: &'a str,
    pub values: &'a [Value],
    /// Whether a condition reads `s` (movie_stats).
    pub uses_stats: bool,
}

/// Every statement [`page_ids`] may run for `sort` and `filter` to read a page, for plans and tests.
pub fn page_statements(sort: MovieSort, filter: &Conditions) -> Vec<String> {
    match runs(sort) {
        None => vec![single_sql(sort, filter)],
        Some(runs) => runs.iter().map(|run| run_sql(*run, filter.sql)).collect(),
    }
}

fn read_ids(conn: &Connection, sql: &str, values: &[Value], offset: u64, limit: usize) -> Result<Vec<i64>, DbError> {
    let mut bound = values.to_vec();
    bound.push(Value::Integer(limit as i64));
    bound.push(Value::Integer(offset as i64));
    let mut statement = conn.prepare_cached(sql)?;
    let ids = statement.query_map(params_from_iter(&bound), |row| row.get(0))?.collect::<Result<_, _>>()?;
    Ok(ids)
}

/// Whether `run` is of the unrated movies and there are none. Finding the unrated walks every movie
/// (nothing indexes an absent row), which a set where every movie is rated need not do.
fn is_empty_run(conn: &Connection, run: Run) -> Result<bool, DbError> {
    if matches!(run, Run::Rated(_)) {
        return Ok(false);
    }
    let sql = "SELECT (SELECT movie_count FROM totals) <= (SELECT count(*) FROM movie_stats)";
    Ok(conn.prepare_cached(sql)?.query_row([], |row| row.get(0))?)
}

/// The ids of the page at `offset`, in the order of `sort`, among the movies that meet `filter`.
pub fn page_ids(
    conn: &Connection,
    sort: MovieSort,
    filter: &Conditions,
    offset: u64,
    limit: u32,
) -> Result<Vec<i64>, DbError> {
    let (conditions, values, limit) = (filter.sql, filter.values, limit as usize);
    let Some([first, second]) = runs(sort) else {
        return read_ids(conn, &single_sql(sort, filter), values, offset, limit);
    };
    let first_is_empty = is_empty_run(conn, first)?;
    let mut ids =
        if first_is_empty { Vec::new() } else { read_ids(conn, &run_sql(first, conditions), values, offset, limit)? };
    if ids.len() < limit {
        // The page reaches past the first run: the second starts where the first ran out.
        let second_offset = if first_is_empty {
            offset
        } else if ids.is_empty() && offset > 0 {
            let count_sql = format!("SELECT count(*) {}", run_from(first, conditions));
            let in_first: i64 =
                conn.prepare_cached(&count_sql)?.query_row(params_from_iter(values), |row| row.get(0))?;
            offset.saturating_sub(in_first as u64)
        } else {
            0
        };
        if !is_empty_run(conn, second)? {
            ids.extend(read_ids(conn, &run_sql(second, conditions), values, second_offset, limit - ids.len())?);
        }
    }
    Ok(ids)
}
