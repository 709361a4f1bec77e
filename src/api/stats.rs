use poem::Request;
use poem_openapi::{Object, OpenApi};
use serde::Serialize;

use super::error::Read;
use super::json::FastJson;
use super::pagination::RequestUrl;
use super::ApiTags;
use crate::db::{self, Db};
use crate::model::stats::Stats;

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
