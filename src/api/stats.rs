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
    /// The query lab's lessons on query counts, indexes and connections, as the seed grouped them.
    pub optimization_endpoints: OptimizationEndpoints,
    /// The query lab's lessons on the ORM's query tools, as the seed grouped them.
    pub advanced_orm_features: AdvancedOrmFeatures,
    /// The seed's three caching strategies, and the cache's statistics.
    pub caching_endpoints: CachingEndpoints,
    /// The seed's background tasks, the task API and the task monitor.
    pub celery_background_tasks: BackgroundTaskEndpoints,
    /// Periodic tasks (Celery Beat's schedules).
    pub scheduling: SchedulingEndpoints,
    /// The request inspector and its data (admin).
    pub profiling_tools: ProfilingTools,
}

/// The profiling endpoints (admin).
#[derive(Debug, Clone, Object, Serialize)]
pub struct ProfilingTools {
    /// The request inspector's pages (HTML, admin login).
    pub inspector: String,
    /// Its summary as JSON (admin token).
    pub summary: String,
    /// Recorded requests as JSON (admin token).
    pub requests: String,
    /// A template: replace `{id}`.
    pub request: String,
}

/// The background task endpoints.
#[derive(Debug, Clone, Object, Serialize)]
pub struct BackgroundTaskEndpoints {
    /// Task 1: one movie's statistics (GET or POST; `movie_id`, `simulate_seconds`).
    pub task1: String,
    /// Task 2: one user's ratings in bulk (GET or POST; `user_id`, `simulate_seconds`).
    pub task2: String,
    pub tasks: String,
    /// A template: replace `{task_id}`.
    pub task_status: String,
    pub stats: String,
    /// The task monitor (HTML, admin login).
    pub monitor: String,
}

/// The schedule endpoints.
#[derive(Debug, Clone, Object, Serialize)]
pub struct SchedulingEndpoints {
    /// Create and list schedules (admin).
    pub schedules: String,
    /// The task types a schedule can run.
    pub task_types: String,
}

/// The query lab's optimisation lessons.
#[derive(Debug, Clone, Object, Serialize)]
pub struct OptimizationEndpoints {
    pub n_plus_one: String,
    pub select_related: String,
    pub prefetch_related: String,
    pub index_compare: String,
    pub connection_pool: String,
}

/// The query lab's ORM lessons.
#[derive(Debug, Clone, Object, Serialize)]
pub struct AdvancedOrmFeatures {
    pub q_filters: String,
    /// POST, with the admin token.
    pub f_update: String,
    pub only: String,
    pub defer: String,
    pub values: String,
    pub values_list: String,
}

/// The caching lessons.
#[derive(Debug, Clone, Object, Serialize)]
pub struct CachingEndpoints {
    pub manual_cache: String,
    pub per_view_cache: String,
    pub partial_cache: String,
    pub stats: String,
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
            optimization_endpoints: OptimizationEndpoints {
                n_plus_one: url("/api/movies/n-plus-one/"),
                select_related: url("/api/movies/select-related/"),
                prefetch_related: url("/api/movies/prefetch-related/"),
                index_compare: url("/api/movies/index-compare/"),
                connection_pool: url("/api/movies/connection-pool/"),
            },
            advanced_orm_features: AdvancedOrmFeatures {
                q_filters: url("/api/movies/q-filters/"),
                f_update: url("/api/movies/f-update/"),
                only: url("/api/movies/only/"),
                defer: url("/api/movies/defer/"),
                values: url("/api/movies/values/"),
                values_list: url("/api/movies/values-list/"),
            },
            caching_endpoints: CachingEndpoints {
                manual_cache: url("/api/cache/manual/"),
                per_view_cache: url("/api/cache/per-view/"),
                partial_cache: url("/api/cache/partial/"),
                stats: url("/api/cache/stats"),
            },
            celery_background_tasks: BackgroundTaskEndpoints {
                task1: url("/api/celery/task1/"),
                task2: url("/api/celery/task2/"),
                tasks: url("/api/tasks"),
                task_status: url("/api/tasks/{task_id}"),
                stats: url("/api/tasks/stats"),
                monitor: url("/flower/"),
            },
            scheduling: SchedulingEndpoints { schedules: url("/api/schedules"), task_types: url("/api/tasks/types") },
            profiling_tools: ProfilingTools {
                inspector: url("/silk/"),
                summary: url("/api/profiling/requests/summary"),
                requests: url("/api/profiling/requests"),
                request: url("/api/profiling/requests/{id}"),
            },
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
