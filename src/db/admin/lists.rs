//! The web admin's list pages: one query per model, with the seed's admin options (search,
//! filters), a whitelisted sort and offset pages. Every value is bound, never spliced.
//!
//! Ratings and tags run to tens of millions of rows, so their pages carry no total (Django's
//! `show_full_result_count = False`): one row past the page says whether there is a next one.
//! Their sorts are the indexed columns only, so a page reads an index, never sorts the table.

use rusqlite::types::Value;
use rusqlite::{Connection, ToSql};

use super::search::TextSearch;
use super::DbError;

/// What a list page asks for; `sort` is already one of the model's sort keys.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub search: Option<String>,
    pub genre: Option<String>,
    pub rating: Option<f64>,
    pub sort: &'static str,
    pub descending: bool,
    pub offset: i64,
    pub limit: i64,
}

/// One page of rows, each a list of cells as text.
#[derive(Debug, Clone, Default)]
pub struct ListPage {
    pub rows: Vec<Vec<String>>,
    /// The number of matching rows, where counting is cheap (not for ratings and tags).
    pub count: Option<i64>,
    pub has_next: bool,
}

/// A model's list: its columns, its sort keys (each with the SQL it orders by) and its query.
///
/// In the search conditions, `{titles}` stands for a subquery of the movies whose title holds
/// the text, `{tags}` for one of the tags whose text does (see [`TextSearch`]), and `:like` for
/// the text as a `LIKE` pattern.
pub struct ModelList {
    pub columns: &'static [&'static str],
    /// (key, ORDER BY expression); the first is the default.
    pub sorts: &'static [(&'static str, &'static str)],
    /// Whether the total is counted.
    counted: bool,
    select: &'static str,
    from: &'static str,
    /// The search's condition.
    search: &'static str,
    /// With a broad search (many rows match), this condition instead: it keeps SQLite walking
    /// the sort's index and testing each row, which finds a page at once when matches are
    /// common, where looking up every matching row and sorting them would read millions.
    broad_search: Option<(&'static str, Breadth)>,
}

/// How to tell whether a search is broad: by the rows it would look up and sort.
#[derive(Clone, Copy)]
enum Breadth {
    /// The ratings of the movies whose title matches (from `movie_stats`).
    RatingsOfTitles,
    /// The tags whose text matches, or the movies whose title does.
    TagsOrTitles,
}

/// A search that would look up more rows than this is broad: sorting that many takes longer
/// than walking the sort's index to the page.
const BROAD_ROWS: i64 = 2000;

/// A search matching more movie titles than this is broad (each brings its tags).
const BROAD_TITLES: i64 = 200;

pub const MOVIES: ModelList = ModelList {
    columns: &["id", "title", "genres"],
    sorts: &[("id", "m.movie_id"), ("title", "m.title")],
    counted: true,
    select: "SELECT m.movie_id, m.title, replace(m.genres, '|', ', ')",
    from: "movies m",
    search: "m.movie_id IN ({titles})",
    broad_search: None,
};

pub const RATINGS: ModelList = ModelList {
    columns: &["id", "user", "movie", "rating", "timestamp"],
    sorts: &[("id", "r.id"), ("user", "r.user_id"), ("movie", "r.movie_id"), ("rating", "r.rating")],
    counted: false,
    select: "SELECT r.id, r.user_id, (SELECT title FROM movies WHERE movie_id = r.movie_id), \
             printf('%.1f', r.rating), strftime('%Y-%m-%dT%H:%M:%SZ', r.timestamp, 'unixepoch')",
    from: "ratings r",
    search: "r.movie_id IN ({titles})",
    // `+` keeps SQLite off the movie index, walking the sort's instead.
    broad_search: Some(("+r.movie_id IN ({titles})", Breadth::RatingsOfTitles)),
};

pub const TAGS: ModelList = ModelList {
    columns: &["id", "user", "movie", "tag", "timestamp"],
    sorts: &[("id", "t.id"), ("user", "t.user_id"), ("movie", "t.movie_id"), ("tag", "t.tag")],
    counted: false,
    select: "SELECT t.id, t.user_id, (SELECT title FROM movies WHERE movie_id = t.movie_id), t.tag, \
             strftime('%Y-%m-%dT%H:%M:%SZ', t.timestamp, 'unixepoch')",
    from: "tags t",
    search: "(t.id IN ({tags}) OR t.movie_id IN ({titles}))",
    broad_search: Some(("(+t.tag LIKE :like ESCAPE '\\' OR +t.movie_id IN ({titles}))", Breadth::TagsOrTitles)),
};

pub const LINKS: ModelList = ModelList {
    columns: &["movie", "title", "imdb", "tmdb"],
    sorts: &[("movie", "l.movie_id"), ("imdb", "l.imdb_id"), ("tmdb", "l.tmdb_id")],
    // Counting a search reads every link: as long again as the page.
    counted: false,
    select: "SELECT l.movie_id, m.title, l.imdb_id, coalesce(l.tmdb_id, '')",
    from: "links l JOIN movies m ON m.movie_id = l.movie_id",
    // The titles are matched once, not once per link through the join.
    search: "(l.movie_id IN ({titles}) OR l.imdb_id LIKE :like ESCAPE '\\' OR l.tmdb_id LIKE :like ESCAPE '\\')",
    broad_search: None,
};

pub const GENRES: ModelList = ModelList {
    columns: &["id", "name", "movies"],
    sorts: &[("id", "g.id"), ("name", "g.name")],
    counted: true,
    select: "SELECT g.id, g.name, (SELECT count(*) FROM movie_genres WHERE genre_id = g.id)",
    from: "genres g",
    search: "g.name LIKE :like ESCAPE '\\'",
    broad_search: None,
};

/// Values bound by name (`:phrase`, `:like`, `:genre`, `:rating`).
type NamedValues = Vec<(&'static str, Value)>;

/// The WHERE clause of `list` for `query`, with its named values.
fn filters(conn: &Connection, list: &ModelList, query: &ListQuery) -> Result<(Vec<String>, NamedValues), DbError> {
    let mut clauses = Vec::new();
    let mut values = Vec::new();
    let search = query.search.as_deref().and_then(TextSearch::new);
    let mut broad = false;
    if let Some(search) = &search {
        let condition = match list.broad_search {
            Some((condition, breadth)) if is_broad(conn, breadth, search)? => {
                broad = true;
                condition
            }
            _ => list.search,
        };
        clauses.push(condition.replace("{titles}", search.titles()).replace("{tags}", search.tags()));
        values.push((":phrase", Value::Text(search.phrase.clone())));
        values.push((":like", Value::Text(search.like.clone())));
    }
    if let Some(genre) = query.genre.as_deref().filter(|genre| !genre.is_empty()) {
        values.push((":genre", Value::Text(genre.to_string())));
        clauses.push(
            "m.movie_id IN (SELECT mg.movie_id FROM movie_genres mg JOIN genres g ON g.id = mg.genre_id \
             WHERE g.name = :genre COLLATE NOCASE)"
                .to_string(),
        );
    }
    if let Some(rating) = query.rating {
        values.push((":rating", Value::Real(rating)));
        // With a narrow title search, the movies' ratings are found by movie and then filtered:
        // walking every rating of one value (millions) to test its movie is far slower. `+`
        // keeps SQLite off the rating index.
        let column = if search.is_some() && !broad { "+r.rating" } else { "r.rating" };
        clauses.push(format!("{column} = :rating"));
    }
    Ok((clauses, values))
}

/// Whether `search` would look up so many rows that walking the sort's index finds a page
/// sooner.
fn is_broad(conn: &Connection, breadth: Breadth, search: &TextSearch) -> Result<bool, DbError> {
    let values = [(":phrase", Value::Text(search.phrase.clone())), (":like", Value::Text(search.like.clone()))];
    // Counted up to one past the limit, so that a broad search stops early.
    let more_than = |subquery: &str, limit: i64| -> Result<bool, DbError> {
        let sql = format!("SELECT count(*) > {limit} FROM ({subquery} LIMIT {})", limit + 1);
        Ok(conn.prepare_cached(&sql)?.query_row(&*named(&sql, &values), |row| row.get(0))?)
    };
    // The rows behind the first matches of `subquery`, which selects row counts.
    let rows_behind = |subquery: &str| -> Result<bool, DbError> {
        let sql = format!("SELECT coalesce(sum(rows), 0) > {BROAD_ROWS} FROM ({subquery} LIMIT {})", BROAD_ROWS + 1);
        Ok(conn.prepare_cached(&sql)?.query_row(&*named(&sql, &values), |row| row.get(0))?)
    };
    match breadth {
        Breadth::RatingsOfTitles => rows_behind(&format!(
            "SELECT rating_count AS rows FROM movie_stats WHERE movie_id IN ({})",
            search.titles()
        )),
        Breadth::TagsOrTitles => Ok(match search.indexed {
            true => more_than(search.tags(), BROAD_ROWS)?,
            false => rows_behind("SELECT uses AS rows FROM tag_names WHERE tag LIKE :like ESCAPE '\\'")?,
        } || more_than(search.titles(), BROAD_TITLES)?),
    }
}

/// The values of `values` that `sql` names, as rusqlite binds them (naming one it lacks fails).
fn named<'a>(sql: &str, values: &'a [(&'static str, Value)]) -> Vec<(&'static str, &'a dyn ToSql)> {
    values.iter().filter(|(name, _)| sql.contains(name)).map(|(name, value)| (*name, value as &dyn ToSql)).collect()
}

/// The page's SQL for `query` and its named values.
fn page_sql(conn: &Connection, list: &ModelList, query: &ListQuery) -> Result<(String, String, NamedValues), DbError> {
    let (clauses, values) = filters(conn, list, query)?;
    let filter = match clauses.is_empty() {
        true => String::new(),
        false => format!(" WHERE {}", clauses.join(" AND ")),
    };
    let order = list.sorts.iter().find(|(key, _)| *key == query.sort).map_or(list.sorts[0].1, |(_, sql)| sql);
    let direction = if query.descending { "DESC" } else { "ASC" };
    // The id breaks ties, in the same direction, so that pages neither repeat nor skip rows.
    let tie = list.sorts[0].1;
    let sql = format!(
        "{} FROM {}{filter} ORDER BY {order} {direction}, {tie} {direction} LIMIT {} OFFSET {}",
        list.select,
        list.from,
        query.limit + 1,
        query.offset
    );
    let count = format!("SELECT count(*) FROM {}{filter}", list.from);
    Ok((sql, count, values))
}

/// One page of `list` for `query`.
pub fn page(conn: &Connection, list: &ModelList, query: &ListQuery) -> Result<ListPage, DbError> {
    let (sql, count_sql, values) = page_sql(conn, list, query)?;
    let mut statement = conn.prepare(&sql)?;
    let columns = statement.column_count();
    let mut rows: Vec<Vec<String>> = statement
        .query_map(&*named(&sql, &values), |row| {
            (0..columns).map(|index| row.get::<_, Value>(index).map(cell)).collect()
        })?
        .collect::<Result<_, _>>()?;
    let has_next = rows.len() as i64 > query.limit;
    rows.truncate(query.limit as usize);
    let count = match list.counted {
        true => Some(conn.query_row(&count_sql, &*named(&count_sql, &values), |row| row.get(0))?),
        false => None,
    };
    Ok(ListPage { rows, count, has_next })
}

/// SQLite's plan for the page's query (`EXPLAIN QUERY PLAN`), one line per step.
pub fn plan(conn: &Connection, list: &ModelList, query: &ListQuery) -> Result<Vec<String>, DbError> {
    let (sql, _, values) = page_sql(conn, list, query)?;
    let explain = format!("EXPLAIN QUERY PLAN {sql}");
    let mut statement = conn.prepare(&explain)?;
    let steps = statement.query_map(&*named(&sql, &values), |row| row.get(3))?.collect::<Result<_, _>>()?;
    Ok(steps)
}

fn cell(value: Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Integer(number) => number.to_string(),
        Value::Real(number) => number.to_string(),
        Value::Text(text) => text,
        Value::Blob(bytes) => format!("({} bytes)", bytes.len()),
    }
}

/// The genre names, for the movie list's filter.
pub fn genre_names(conn: &Connection) -> Result<Vec<String>, DbError> {
    let mut statement = conn.prepare_cached("SELECT name FROM genres ORDER BY name")?;
    let names = statement.query_map([], |row| row.get(0))?.collect::<Result<_, _>>()?;
    Ok(names)
}

/// One action of the audit log, as the admin index shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RecentAction {
    pub at: String,
    pub token_id: String,
    pub action: String,
    pub model: String,
    pub object_id: String,
}

/// The newest actions of the audit log (`audit_log`), for the index page.
pub fn recent_actions(conn: &Connection, limit: i64) -> Result<Vec<RecentAction>, DbError> {
    let mut statement =
        conn.prepare("SELECT at, token_id, action, model, object_id FROM audit_log ORDER BY id DESC LIMIT ?1")?;
    let actions = statement
        .query_map([limit], |row| {
            let text = |index: usize| row.get::<_, Value>(index).map(cell);
            Ok(RecentAction {
                at: text(0)?,
                token_id: text(1)?,
                action: text(2)?,
                model: text(3)?,
                object_id: text(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(actions)
}
