//! The seed's three Q-object filters, and any expression in the filter language, each run as a
//! count and a first page.

use rusqlite::{types::Value, Connection, ToSql};

use super::noted_rows;
use crate::db::filter::CompiledFilter;
use crate::db::{statements, DbError};
use crate::model::lab::{FilterRun, MovieTitle};

/// A filter to run: a description, the FROM clause it needs, and its WHERE clause.
pub struct Filter {
    pub description: String,
    /// Joins that can repeat a movie need `DISTINCT`, as Django's `.distinct()`.
    pub from: &'static str,
    pub distinct: bool,
    pub compiled: CompiledFilter,
}

const MOVIES_WITH_STATS: &str = "movies m LEFT JOIN movie_stats s ON s.movie_id = m.movie_id";

/// The seed's filters: `Q(genres__name='Action') | Q(genres__name='Comedy')`, titles with
/// "Star" or "War" but not "Episode", and movies with any rating of 4.5 and up or 1.5 and down.
pub fn seed_filters() -> Vec<Filter> {
    let text = |value: &str| Value::Text(value.to_string());
    vec![
        Filter {
            description: "Q(genres__name='Action') | Q(genres__name='Comedy'), distinct".to_string(),
            from: "movies m JOIN movie_genres mg ON mg.movie_id = m.movie_id JOIN genres g ON g.id = mg.genre_id",
            distinct: true,
            compiled: CompiledFilter {
                sql: "(g.name = ? OR g.name = ?)".to_string(),
                params: vec![text("Action"), text("Comedy")],
            },
        },
        Filter {
            description: "(Q(title__icontains='Star') | Q(title__icontains='War')) & ~Q(title__icontains='Episode')"
                .to_string(),
            from: "movies m",
            distinct: false,
            compiled: CompiledFilter {
                sql: "((contains_text(m.title, ?) OR contains_text(m.title, ?)) AND NOT contains_text(m.title, ?))"
                    .to_string(),
                params: vec![text("Star"), text("War"), text("Episode")],
            },
        },
        Filter {
            description: "Q(ratings__rating__gte=4.5) | Q(ratings__rating__lte=1.5), distinct".to_string(),
            from: "movies m JOIN ratings r ON r.movie_id = m.movie_id",
            distinct: true,
            compiled: CompiledFilter {
                sql: "(r.rating >= ? OR r.rating <= ?)".to_string(),
                params: vec![Value::Real(4.5), Value::Real(1.5)],
            },
        },
    ]
}

/// A filter-language expression over movies and their stats.
pub fn expression_filter(expression: &str, compiled: CompiledFilter) -> Filter {
    Filter { description: expression.to_string(), from: MOVIES_WITH_STATS, distinct: false, compiled }
}

/// Counts the movies `filter` matches and loads the first `limit`: 2 statements.
pub fn run(conn: &Connection, filter: Filter, limit: u32) -> Result<FilterRun, DbError> {
    let Filter { description, from, distinct, compiled } = filter;
    let (count_of, select) = if distinct { ("DISTINCT m.movie_id", "DISTINCT") } else { ("*", "") };
    let (result, recording) = statements::record(|| {
        let where_sql = &compiled.sql;
        let count_params: Vec<&dyn ToSql> = compiled.params.iter().map(|value| value as &dyn ToSql).collect();
        let total: i64 = noted_rows(
            conn,
            &format!("SELECT count({count_of}) FROM {from} WHERE {where_sql}"),
            &count_params,
            |row| row.get(0),
        )?[0];
        let mut page_params = count_params.clone();
        page_params.push(&limit);
        let movies = noted_rows(
            conn,
            &format!("SELECT {select} m.movie_id, m.title FROM {from} WHERE {where_sql} ORDER BY m.movie_id LIMIT ?"),
            &page_params,
            |row| Ok(MovieTitle { id: row.get(0)?, title: row.get(1)? }),
        )?;
        Ok::<_, DbError>((total, movies))
    });
    let (total, movies) = result?;
    Ok(FilterRun {
        filter: description,
        sql: compiled.sql,
        params: compiled.params.iter().map(json_value).collect(),
        queries_count: recording.count() as i64,
        total,
        movies,
    })
}

fn json_value(value: &Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Integer(number) => (*number).into(),
        Value::Real(number) => (*number).into(),
        Value::Text(text) => text.clone().into(),
        Value::Blob(bytes) => format!("<{} bytes>", bytes.len()).into(),
    }
}
