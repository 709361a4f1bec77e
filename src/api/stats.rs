use poem::Request;
use poem_openapi::{Object, OpenApi};
use serde::Serialize;

use super::error::Read;
use super::json::FastJson;
use super::pagination::RequestUrl;
use super::ApiTags;
use crate::db::{self, Db};

/// Rows in each table.
#[derive(Debug, Clone, Object, Serialize)]
pub struct TableCounts {
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub movies: i64,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub genres: i64,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub movie_genres: i64,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub ratings: i64,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub tags: i64,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub links: i64,
}

/// Where the data came from: the latest completed load.
#[derive(Debug, Clone, Object, Serialize)]
pub struct DataSource {
    /// `demo` (the built-in synthetic data), `directory`, `zip` or `download`.
    pub kind: String,
    /// The path, the data set and its URL, or the demo data's seed and size.
    pub source: String,
    /// When the load finished, in seconds since the Unix epoch.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub imported_at: i64,
    /// How long the load took, in whole seconds.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub duration_seconds: i64,
}

/// The data set in figures.
#[derive(Debug, Clone, Object, Serialize)]
pub struct Stats {
    pub tables: TableCounts,
    /// The latest load; absent before any.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<DataSource>,
    /// How many loads the database has seen.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub imports: i64,
    /// The size of the write-ahead log file, in bytes. A background checkpoint keeps it small.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub wal_bytes: i64,
}

/// The API's entry points, as absolute URLs.
#[derive(Debug, Clone, Object, Serialize)]
pub struct ApiRoot {
    pub movies: String,
    pub top_rated: String,
    pub genres: String,
    pub ratings: String,
    pub tags: String,
    pub links: String,
    /// A template: replace `{user_id}`.
    pub users: String,
    pub stats: String,
    pub health: String,
    /// Swagger UI.
    pub docs: String,
    /// The OpenAPI document.
    pub openapi: String,
}

pub struct StatsApi {
    pub db: Db,
}

#[OpenApi]
impl StatsApi {
    /// API root
    ///
    /// Every endpoint group, with absolute URLs.
    #[oai(path = "/api", method = "get", operation_id = "api_root", tag = "ApiTags::Meta")]
    async fn api_root(&self, request: &Request) -> FastJson<ApiRoot> {
        let request_url = RequestUrl::of(request);
        let url = |path: &str| format!("{}{path}", request_url.origin());
        FastJson(ApiRoot {
            movies: url("/api/movies"),
            top_rated: url("/api/top-rated"),
            genres: url("/api/genres"),
            ratings: url("/api/ratings"),
            tags: url("/api/tags"),
            links: url("/api/links"),
            users: url("/api/users/{user_id}"),
            stats: url("/api/stats"),
            health: url("/api/health"),
            docs: url("/docs"),
            openapi: url("/openapi.json"),
        })
    }

    /// Data set statistics
    ///
    /// Row counts of every table, and where the data came from.
    #[oai(path = "/api/stats", method = "get", operation_id = "get_stats", tag = "ApiTags::Meta")]
    async fn get_stats(&self) -> Read<Stats> {
        self.db.read("stats", |conn| db::catalogue::stats(conn)).await.into()
    }
}
