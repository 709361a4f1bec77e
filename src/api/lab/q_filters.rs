//! The Q-filters lesson: OR, AND and NOT in one query, with each filter's own true statement
//! count, and the filter language as `q`.

use std::time::Instant;

use poem_openapi::param::Query;
use poem_openapi::{Object, OpenApi};
use serde::Serialize;

use super::report::{recorded, LabReport};
use crate::api::error::Read;
use crate::api::ApiTags;
use crate::db::lab::q_filters;
use crate::db::{self, Db, DbError};
use crate::model::lab::FilterRun;

/// The filters and what each found.
#[derive(Debug, Clone, Object, Serialize)]
pub struct QFilters {
    /// The seed's three filters, then `q` if it was given.
    pub filters: Vec<FilterRun>,
}

pub struct QFiltersLabApi {
    pub db: Db,
}

#[OpenApi]
impl QFiltersLabApi {
    /// Q filters
    ///
    /// The seed's three filters: Action OR Comedy; "Star" or "War" in the title but not
    /// "Episode"; any rating of 4.5 and up or 1.5 and down. Each runs a count and a first page,
    /// 2 statements, reported with its own SQL, parameters and results. With `q`, an expression
    /// in the filter language of `GET /api/movies?filter=` runs the same way.
    #[oai(path = "/api/movies/q-filters", method = "get", operation_id = "lab_q_filters", tag = "ApiTags::LabQFilters")]
    async fn q_filters(
        &self,
        /// A filter-language expression, e.g. `(genre:Action OR genre:Comedy) AND year>=1990`.
        #[oai(validator(max_length = 1000))]
        q: Query<Option<String>>,
        /// Movies listed per filter, 1 to 100.
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
    ) -> Read<LabReport<QFilters>> {
        let (limit, started) = (limit.0.unwrap_or(10), Instant::now());
        let expression = match q.0.map(|q| db::movies::compile_filter(&q).map(|compiled| (q, compiled))).transpose() {
            Ok(expression) => expression,
            Err(err) => return crate::api::error::AppError::from(err).into(),
        };
        let result = self
            .db
            .read_recorded("lab.q_filters", move |tx| {
                let mut filters = q_filters::seed_filters();
                filters.extend(expression.map(|(q, compiled)| q_filters::expression_filter(&q, compiled)));
                let filters = filters.into_iter().map(|filter| q_filters::run(tx, filter, limit));
                Ok::<_, DbError>(QFilters { filters: filters.collect::<Result<_, _>>()? })
            })
            .await;
        recorded(result, started, "Q objects: OR (|), AND (&) and NOT (~)", Q_FILTERS).into()
    }
}

const Q_FILTERS: &str = "Each filter combines conditions with OR, AND and NOT in one WHERE clause, and runs as \
    two statements: a count and a page, both counted here as SQLite ran them (the seed counted its lazy \
    querysets before they ran and reported 0). Filters across a many-to-many or reverse relation join rows \
    that can repeat a movie, so they select DISTINCT movies, as Django's .distinct(). Every value is a bound \
    parameter: `params` is the only place user text reaches SQLite.";
