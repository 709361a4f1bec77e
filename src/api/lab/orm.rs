//! The lessons on loading related rows and choosing columns: N+1, select_related,
//! prefetch_related, only, defer, values and values_list.

use std::time::Instant;

use poem_openapi::param::Query;
use poem_openapi::OpenApi;

use super::report::{recorded, LabReport};
use crate::api::error::Read;
use crate::api::ApiTags;
use crate::db::{self, Db};
use crate::model::lab::{ColumnChoice, MovieValues, MovieWithGenres, MovieWithLink};

/// Movies a lesson loads when `limit` is not given, as the seed did.
const DEFAULT_LIMIT: u32 = 10;

pub struct OrmLabApi {
    pub db: Db,
}

#[OpenApi]
impl OrmLabApi {
    /// N+1 queries
    ///
    /// The first `limit` movies, then each movie's link in a statement of its own, as an ORM does
    /// when a loop touches a related object: 1 + N statements, 11 for 10 movies. The answer's
    /// `similar_queries` shows the N as one group.
    #[oai(
        path = "/api/movies/n-plus-one",
        method = "get",
        operation_id = "lab_n_plus_one",
        tag = "ApiTags::LabNPlusOne"
    )]
    async fn n_plus_one(
        &self,
        /// How many movies, 1 to 100.
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
    ) -> Read<LabReport<Vec<MovieWithLink>>> {
        let (limit, started) = (limit.0.unwrap_or(DEFAULT_LIMIT), Instant::now());
        let result = self.db.read_recorded("lab.n_plus_one", move |tx| db::lab::orm::n_plus_one(tx, limit)).await;
        recorded(result, started, "N+1 queries (no select_related)", N_PLUS_ONE).into()
    }

    /// select_related
    ///
    /// The same movies and links through one LEFT JOIN: 1 statement, whatever the limit.
    #[oai(
        path = "/api/movies/select-related",
        method = "get",
        operation_id = "lab_select_related",
        tag = "ApiTags::LabSelectRelated"
    )]
    async fn select_related(
        &self,
        /// How many movies, 1 to 100.
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
    ) -> Read<LabReport<Vec<MovieWithLink>>> {
        let (limit, started) = (limit.0.unwrap_or(DEFAULT_LIMIT), Instant::now());
        let result =
            self.db.read_recorded("lab.select_related", move |tx| db::lab::orm::select_related(tx, limit)).await;
        recorded(result, started, "select_related('link')", SELECT_RELATED).into()
    }

    /// prefetch_related
    ///
    /// Movies, then the genres of all of them in one statement, then their rating counts in
    /// another: 3 statements, whatever the limit.
    #[oai(
        path = "/api/movies/prefetch-related",
        method = "get",
        operation_id = "lab_prefetch_related",
        tag = "ApiTags::LabPrefetchRelated"
    )]
    async fn prefetch_related(
        &self,
        /// How many movies, 1 to 100.
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
    ) -> Read<LabReport<Vec<MovieWithGenres>>> {
        let (limit, started) = (limit.0.unwrap_or(DEFAULT_LIMIT), Instant::now());
        let result =
            self.db.read_recorded("lab.prefetch_related", move |tx| db::lab::orm::prefetch_related(tx, limit)).await;
        recorded(result, started, "prefetch_related('genres', 'ratings')", PREFETCH_RELATED).into()
    }

    /// only
    ///
    /// Movies with their id and title alone: the statement selects two columns instead of all.
    #[oai(path = "/api/movies/only", method = "get", operation_id = "lab_only", tag = "ApiTags::LabOnlyDefer")]
    async fn only(
        &self,
        /// How many movies, 1 to 100.
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
    ) -> Read<LabReport<ColumnChoice>> {
        let (limit, started) = (limit.0.unwrap_or(DEFAULT_LIMIT), Instant::now());
        let result = self
            .db
            .read_recorded("lab.only", move |tx| {
                let movies = db::lab::orm::only_titles(tx, limit)?;
                Ok::<_, db::DbError>(choice(&["movie_id", "title"], movies))
            })
            .await;
        recorded(result, started, "only('title')", ONLY).into()
    }

    /// defer
    ///
    /// Movies without their genres column. With `touch=true`, each movie's genres are then read
    /// the way an ORM loads a deferred field on first access: one more statement per movie.
    #[oai(path = "/api/movies/defer", method = "get", operation_id = "lab_defer", tag = "ApiTags::LabOnlyDefer")]
    async fn defer(
        &self,
        /// How many movies, 1 to 100.
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        /// Touch the deferred field afterwards, and pay for it.
        touch: Query<Option<bool>>,
    ) -> Read<LabReport<ColumnChoice>> {
        let (limit, touch, started) = (limit.0.unwrap_or(DEFAULT_LIMIT), touch.0.unwrap_or(false), Instant::now());
        let result = self
            .db
            .read_recorded("lab.defer", move |tx| {
                let movies = db::lab::orm::defer_genres(tx, limit, touch)?;
                Ok::<_, db::DbError>(choice(&["movie_id", "title", "year"], movies))
            })
            .await;
        let method = if touch { "defer('genres'), then movie.genres" } else { "defer('genres')" };
        recorded(result, started, method, DEFER).into()
    }

    /// values
    ///
    /// Movies as plain objects of three columns, with no model built around them.
    #[oai(path = "/api/movies/values", method = "get", operation_id = "lab_values", tag = "ApiTags::LabValues")]
    async fn values(
        &self,
        /// How many movies, 1 to 100.
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
    ) -> Read<LabReport<Vec<MovieValues>>> {
        let (limit, started) = (limit.0.unwrap_or(DEFAULT_LIMIT), Instant::now());
        let result = self.db.read_recorded("lab.values", move |tx| db::lab::orm::values(tx, limit)).await;
        recorded(result, started, "values('id', 'title', 'year')", VALUES).into()
    }

    /// values_list
    ///
    /// Movies as arrays `[id, title, year]`; with `flat=true`, a flat list of ids.
    #[oai(
        path = "/api/movies/values-list",
        method = "get",
        operation_id = "lab_values_list",
        tag = "ApiTags::LabValues"
    )]
    async fn values_list(
        &self,
        /// How many movies, 1 to 100.
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        /// Ids alone, as `values_list('id', flat=True)`.
        flat: Query<Option<bool>>,
    ) -> Read<LabReport<Vec<serde_json::Value>>> {
        let (limit, flat, started) = (limit.0.unwrap_or(DEFAULT_LIMIT), flat.0.unwrap_or(false), Instant::now());
        let result =
            self.db.read_recorded("lab.values_list", move |tx| db::lab::orm::values_list(tx, limit, flat)).await;
        let method = if flat { "values_list('id', flat=True)" } else { "values_list('id', 'title', 'year')" };
        recorded(result, started, method, VALUES_LIST).into()
    }
}

fn choice(columns: &[&str], movies: Vec<crate::model::lab::PartialMovie>) -> ColumnChoice {
    let left_out = db::lab::orm::MOVIE_COLUMNS.iter().filter(|column| !columns.contains(column));
    ColumnChoice {
        columns: columns.iter().map(|column| column.to_string()).collect(),
        left_out: left_out.map(|column| column.to_string()).collect(),
        movies,
    }
}

const N_PLUS_ONE: &str = "One statement loaded the movies; then each movie's link took a statement of its own, \
    because the loop asked for it one movie at a time. That is 1 + N statements (11 for 10 movies), and \
    `similar_queries` shows the N as one group with the same SQL. Each is fast, but each is a round trip \
    through the database layer: the cost grows with the page. Compare /api/movies/select-related.";
const SELECT_RELATED: &str = "One LEFT JOIN loaded every movie with its link: 1 statement, whatever the limit. \
    A JOIN suits one-to-one and many-to-one relations, where each row gains at most one related row. \
    Compare the 1 + N statements of /api/movies/n-plus-one.";
const PREFETCH_RELATED: &str = "Genres are many-to-many and ratings a reverse relation: a JOIN would repeat each \
    movie once per genre or rating. Instead, after the movies, one statement loaded the genres of all of them \
    and one more their rating counts, each with every id in one list, and the rows were matched up in memory. \
    3 statements, whatever the limit. SQLite takes the id list as one JSON value (json_each), so the SQL text, \
    and its prepared statement, stays the same for any number of ids.";
const ONLY: &str = "The statement selected the id and title alone, so SQLite read and copied two columns instead \
    of four. The saving grows with wide rows and large text columns.";
const DEFER: &str = "The statement left out the genres column. Touching a deferred field later costs a statement \
    per object, as `touch=true` shows: 1 + N statements, with the N grouped in `similar_queries`. Defer only \
    what the code will not read.";
const VALUES: &str = "Rows came back as plain objects of the chosen columns, with no model built around them: \
    the cheapest way to serve a read-only list. 1 statement.";
const VALUES_LIST: &str = "Rows came back as arrays, or with flat=true as a list of ids: the smallest answer \
    for code that needs only a column. 1 statement.";
