//! The web admin's list pages: one query per model, with the seed's admin options (search,
//! filters), a whitelisted sort and offset pages. Every value is bound, never spliced.
//!
//! Ratings and tags run to tens of millions of rows, so their pages carry no total (Django's
//! `show_full_result_count = False`): one row past the page says whether there is a next one.
//! Their sorts are the indexed columns only, so a page reads an index, never sorts the table.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};

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
pub struct ModelList {
    pub columns: &'static [&'static str],
    /// (key, ORDER BY expression); the first is the default.
    pub sorts: &'static [(&'static str, &'static str)],
    /// Whether the total is counted.
    counted: bool,
    select: &'static str,
    from: &'static str,
    /// The search's condition, with the pattern as `?1`.
    search: &'static str,
    /// With a broad search (many movies match), this condition instead: it keeps SQLite walking
    /// the sort's index and testing each row, which finds a page at once when matches are
    /// common, where looking up every matching movie's rows would read millions.
    broad_search: Option<&'static str>,
}

/// Title searches matching more movies than this count as broad.
const BROAD_MATCHES: i64 = 200;

pub const MOVIES: ModelList = ModelList {
    columns: &["id", "title", "genres"],
    sorts: &[("id", "m.movie_id"), ("title", "m.title")],
    counted: true,
    select: "SELECT m.movie_id, m.title, replace(m.genres, '|', ', ')",
    from: "movies m",
    search: "m.title LIKE ?1 ESCAPE '\\'",
    broad_search: None,
};

pub const RATINGS: ModelList = ModelList {
    columns: &["id", "user", "movie", "rating", "timestamp"],
    sorts: &[("id", "r.id"), ("user", "r.user_id"), ("movie", "r.movie_id"), ("rating", "r.rating")],
    counted: false,
    select: "SELECT r.id, r.user_id, (SELECT title FROM movies WHERE movie_id = r.movie_id), \
             printf('%.1f', r.rating), strftime('%Y-%m-%dT%H:%M:%SZ', r.timestamp, 'unixepoch')",
    from: "ratings r",
    search: "r.movie_id IN (SELECT movie_id FROM movies WHERE title LIKE ?1 ESCAPE '\\')",
    broad_search: Some("+r.movie_id IN (SELECT movie_id FROM movies WHERE title LIKE ?1 ESCAPE '\\')"),
};

pub const TAGS: ModelList = ModelList {
    columns: &["id", "user", "movie", "tag", "timestamp"],
    sorts: &[("id", "t.id"), ("user", "t.user_id"), ("movie", "t.movie_id"), ("tag", "t.tag")],
    counted: false,
    select: "SELECT t.id, t.user_id, (SELECT title FROM movies WHERE movie_id = t.movie_id), t.tag, \
             strftime('%Y-%m-%dT%H:%M:%SZ', t.timestamp, 'unixepoch')",
    from: "tags t",
    search:
        "(t.tag LIKE ?1 ESCAPE '\\' OR t.movie_id IN (SELECT movie_id FROM movies WHERE title LIKE ?1 ESCAPE '\\'))",
    broad_search: None,
};

pub const LINKS: ModelList = ModelList {
    columns: &["movie", "title", "imdb", "tmdb"],
    sorts: &[("movie", "l.movie_id"), ("imdb", "l.imdb_id"), ("tmdb", "l.tmdb_id")],
    // Counting a search reads every link and title: as long again as the page.
    counted: false,
    select: "SELECT l.movie_id, m.title, l.imdb_id, coalesce(l.tmdb_id, '')",
    from: "links l JOIN movies m ON m.movie_id = l.movie_id",
    // The titles are matched once, not once per link through the join.
    search: "(l.movie_id IN (SELECT movie_id FROM movies WHERE title LIKE ?1 ESCAPE '\\') \
             OR l.imdb_id LIKE ?1 ESCAPE '\\' OR l.tmdb_id LIKE ?1 ESCAPE '\\')",
    broad_search: None,
};

pub const GENRES: ModelList = ModelList {
    columns: &["id", "name", "movies"],
    sorts: &[("id", "g.id"), ("name", "g.name")],
    counted: true,
    select: "SELECT g.id, g.name, (SELECT count(*) FROM movie_genres WHERE genre_id = g.id)",
    from: "genres g",
    search: "g.name LIKE ?1 ESCAPE '\\'",
    broad_search: None,
};

/// `%text%` for LIKE, with LIKE's wildcards in the text taken literally.
fn contains(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// The WHERE clause of `list` for `query`, with its values (the search pattern first, as `?1`).
fn filters(conn: &Connection, list: &ModelList, query: &ListQuery) -> Result<(Vec<String>, Vec<Value>), DbError> {
    let mut clauses = Vec::new();
    let search = query.search.as_deref().map(str::trim).filter(|text| !text.is_empty());
    let mut values = Vec::new();
    let mut broad = false;
    if let Some(search) = search {
        values.push(Value::Text(contains(search)));
        let condition = match list.broad_search {
            Some(condition) if title_matches(conn, &contains(search))? > BROAD_MATCHES => {
                broad = true;
                condition
            }
            _ => list.search,
        };
        clauses.push(condition.to_string());
    }
    if let Some(genre) = query.genre.as_deref().filter(|genre| !genre.is_empty()) {
        values.push(Value::Text(genre.to_string()));
        clauses.push(format!(
            "m.movie_id IN (SELECT mg.movie_id FROM movie_genres mg JOIN genres g ON g.id = mg.genre_id \
             WHERE g.name = ?{} COLLATE NOCASE)",
            values.len()
        ));
    }
    if let Some(rating) = query.rating {
        values.push(Value::Real(rating));
        // With a narrow title search, the movies' ratings are found by movie and then filtered:
        // walking every rating of one value (millions) to test its movie is far slower. `+`
        // keeps SQLite off the rating index.
        let column = if search.is_some() && !broad { "+r.rating" } else { "r.rating" };
        clauses.push(format!("{column} = ?{}", values.len()));
    }
    Ok((clauses, values))
}

/// How many movie titles match `pattern`, counted up to one past [`BROAD_MATCHES`].
fn title_matches(conn: &Connection, pattern: &str) -> Result<i64, DbError> {
    let sql = "SELECT count(*) FROM (SELECT 1 FROM movies WHERE title LIKE ?1 ESCAPE '\\' LIMIT ?2)";
    Ok(conn.prepare_cached(sql)?.query_row(rusqlite::params![pattern, BROAD_MATCHES + 1], |row| row.get(0))?)
}

/// One page of `list` for `query`.
pub fn page(conn: &Connection, list: &ModelList, query: &ListQuery) -> Result<ListPage, DbError> {
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
    let mut statement = conn.prepare(&sql)?;
    let columns = statement.column_count();
    let mut rows: Vec<Vec<String>> = statement
        .query_map(params_from_iter(values.iter()), |row| {
            (0..columns).map(|index| row.get::<_, Value>(index).map(cell)).collect()
        })?
        .collect::<Result<_, _>>()?;
    let has_next = rows.len() as i64 > query.limit;
    rows.truncate(query.limit as usize);
    let count = match list.counted {
        true => {
            let sql = format!("SELECT count(*) FROM {}{filter}", list.from);
            Some(conn.query_row(&sql, params_from_iter(values.iter()), |row| row.get(0))?)
        }
        false => None,
    };
    Ok(ListPage { rows, count, has_next })
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
