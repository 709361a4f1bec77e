//! What the query lab's ORM lessons return: movies loaded in the different ways the lessons teach.

use poem_openapi::Object;
use serde::Serialize;

/// A movie with its one-to-one link (the seed's `Link`), loaded lazily or through a JOIN.
#[derive(Debug, Clone, PartialEq, Object, Serialize)]
pub struct MovieWithLink {
    /// MovieLens `movieId`.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub id: i64,
    pub title: String,
    /// IMDb id digits; absent when the movie has no link.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imdb_id: Option<String>,
    /// TMDB id; absent when the movie has no link or the link has none.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub tmdb_id: Option<i64>,
}

/// A movie with its genres (many-to-many) and its rating count (a reverse relation).
#[derive(Debug, Clone, PartialEq, Object, Serialize)]
pub struct MovieWithGenres {
    /// MovieLens `movieId`.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub id: i64,
    pub title: String,
    /// Alphabetical.
    pub genres: Vec<String>,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub rating_count: i64,
}

/// A movie loaded with only some of its columns; the others are absent.
#[derive(Debug, Clone, PartialEq, Object, Serialize)]
pub struct PartialMovie {
    /// MovieLens `movieId`: always loaded, as Django always loads the primary key.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub id: i64,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(validator(minimum(value = "0"), maximum(value = "9999")))]
    pub year: Option<i64>,
    /// Absent when the column was not loaded (or, for `defer`, not touched).
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub genres: Option<Vec<String>>,
}

/// Movies loaded with a chosen set of columns.
#[derive(Debug, Clone, PartialEq, Object, Serialize)]
pub struct ColumnChoice {
    /// The columns the statement selected.
    pub columns: Vec<String>,
    /// The columns left out of it.
    pub left_out: Vec<String>,
    pub movies: Vec<PartialMovie>,
}

/// A movie as `values()` returns it: a plain object of the chosen columns.
#[derive(Debug, Clone, PartialEq, Object, Serialize)]
pub struct MovieValues {
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub id: i64,
    pub title: String,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(validator(minimum(value = "0"), maximum(value = "9999")))]
    pub year: Option<i64>,
}

/// How one technique fared in the race: workers incrementing one counter at once.
#[derive(Debug, Clone, PartialEq, Object, Serialize)]
pub struct RaceOutcome {
    /// The statements each increment ran.
    pub sql: Vec<String>,
    /// Increments made: the value the counter should end at.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub expected: i64,
    /// The value it ended at.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub final_value: i64,
    /// Increments overwritten by another worker's: `expected - final_value`.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub lost_updates: i64,
    /// Statements this technique ran.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub statements: i64,
}

/// The F-expression race: the same increments made two ways.
#[derive(Debug, Clone, PartialEq, Object, Serialize)]
pub struct FUpdateRace {
    /// Workers running at once.
    #[oai(validator(minimum(value = "1"), maximum(value = "32")))]
    pub concurrency: u32,
    /// Increments in all, shared among the workers.
    #[oai(validator(minimum(value = "1"), maximum(value = "10000")))]
    pub increments: u32,
    /// Read the value, add one in the application, write it back: two statements, and a window
    /// between them in which another worker's increment is overwritten.
    pub read_modify_write: RaceOutcome,
    /// `SET value = value + 1`: one statement, computed by SQLite under the write lock.
    pub f_expression: RaceOutcome,
}

/// A movie in a filter's results.
#[derive(Debug, Clone, PartialEq, Object, Serialize)]
pub struct MovieTitle {
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub id: i64,
    pub title: String,
}

/// One filter: what it asks, the SQL it compiled to, what that cost, and what it found.
#[derive(Debug, Clone, PartialEq, Object, Serialize)]
pub struct FilterRun {
    /// The filter as the seed wrote it with Django's Q objects, or as it was given in `q`.
    pub filter: String,
    /// The WHERE clause, with `?` for each parameter.
    pub sql: String,
    /// The parameters, in order: user text reaches SQLite only here, never in the SQL.
    pub params: Vec<serde_json::Value>,
    /// Statements this filter ran: its count and its page.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub queries_count: i64,
    /// Movies that match, counted once each.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub total: i64,
    /// The first matches, by id.
    pub movies: Vec<MovieTitle>,
}
