//! The HTTP API: one `#[OpenApi]` struct per resource, combined into one documented service.

pub mod admin;
pub mod auth;
pub mod backups;
pub mod cache_page;
pub mod caching;
pub mod conditional;
pub mod error;
mod error_details;
pub mod flamegraph;
pub mod genres;
pub mod guard;
mod health;
pub mod host;
pub mod invalidation;
pub mod json;
pub mod lab;
pub mod links;
pub mod metrics;
pub mod movies;
pub mod operations;
pub mod pagination;
pub mod profile;
pub mod profiling;
pub mod ratings;
pub mod recommendations;
pub mod request_id;
pub mod routes;
pub mod schedules;
pub mod stats;
pub mod task_responses;
pub mod tasks;
pub mod users;
pub mod write_responses;

use poem_openapi::{OpenApiService, Tags};

use crate::cache::{Cache, CacheConfig};
use crate::db::Db;
use crate::jobs::submit::Jobs;
use crate::profiling::Inspector;
use crate::web::{SessionConfig, Sessions};
use auth::AdminAuth;

/// Swagger UI groups operations by these tags; their doc comments are the group descriptions.
#[derive(Tags)]
pub enum ApiTags {
    /// The API root and the data set's statistics.
    Meta,
    /// Movies, their details and the top-rated ranking.
    Movies,
    /// The MovieLens genres.
    Genres,
    /// MovieLens users: anonymous ids with ratings and tags.
    Users,
    /// Half-star ratings. Writes need the admin token.
    Ratings,
    /// Similar movies and picks per user from the item-item model that the
    /// `recommendations.build` task computes in the background.
    Recommendations,
    /// Free-text tags users applied to movies.
    Tags,
    /// IMDb and TMDB ids of movies.
    Links,
    /// Service health, for load balancers and benchmarks.
    Health,
    /// The seed's three caching strategies (manual, per-view, partial), each saying whether it
    /// was a HIT or a MISS, and the cache's statistics.
    Caching,
    /// Background tasks (Celery's job): the seed's two heavy tasks, queued with a 202, and the
    /// task API: state, result, times, attempts and workers; cancel and retry for the admin.
    Tasks,
    /// Periodic tasks (Celery Beat with django-celery-beat's fields): interval, crontab (Celery's
    /// day-of-week numbering, any IANA time zone) and clocked schedules, admin-only.
    Schedules,
    /// Backups of the live database (PocketBase's backups), admin-only: take one in the
    /// background, list them, download one. `movielens restore PATH` swaps one in.
    Backups,
    /// Loading a related row per row costs a query each: 1 + N statements for N movies. The
    /// `similar_queries` of the answer show them as one group of N.
    #[oai(rename = "Lab: N+1 queries")]
    LabNPlusOne,
    /// One JOIN loads movies with their one-to-one links: 1 statement, whatever the limit.
    #[oai(rename = "Lab: select_related")]
    LabSelectRelated,
    /// Many-to-many and reverse relations load in one extra statement each, for all movies at
    /// once: 3 statements, whatever the limit.
    #[oai(rename = "Lab: prefetch_related")]
    LabPrefetchRelated,
    /// Filters combined with OR, AND and NOT, and a filter language that compiles to a
    /// parameterised WHERE clause.
    #[oai(rename = "Lab: Q filters")]
    LabQFilters,
    /// Updates done in one statement (`SET x = x + 1`) lose nothing under concurrency;
    /// read-modify-write in the application does.
    #[oai(rename = "Lab: F expressions")]
    LabFExpressions,
    /// Selecting fewer columns, and what a deferred column costs when it is touched later.
    #[oai(rename = "Lab: only and defer")]
    LabOnlyDefer,
    /// Rows as plain objects or arrays instead of full models.
    #[oai(rename = "Lab: values and values_list")]
    LabValues,
    /// The same query on an indexed column and on an unindexed one: SEARCH against SCAN.
    #[oai(rename = "Lab: indexes")]
    LabIndexes,
    /// Reusing pooled connections (the seed's `CONN_MAX_AGE`) instead of opening one per request.
    #[oai(rename = "Lab: connection reuse")]
    LabConnectionReuse,
    /// The audit log of the admin writes (the Django admin's "Recent actions"). Admin-only.
    #[oai(rename = "Admin: audit log")]
    Audit,
    /// Flamegraphs of the server's spans over a time window (cProfile's job for a running server)
    /// and Prometheus metrics. Admin-only. An admin's `?profile=true` on any request answers
    /// with that request's own span tree instead.
    #[oai(rename = "Profiling: flamegraphs and metrics")]
    ProfilingFlame,
}

/// Every API struct, in the order Swagger UI lists them.
pub type Apis = (
    stats::StatsApi,
    movies::MoviesApi,
    caching::CachingApi,
    (tasks::TasksApi, schedules::SchedulesApi, backups::BackupsApi),
    lab::orm::OrmLabApi,
    lab::q_filters::QFiltersLabApi,
    lab::f_update::FExpressionLabApi,
    lab::performance::PerformanceLabApi,
    genres::GenresApi,
    users::UsersApi,
    recommendations::RecommendationsApi,
    ratings::RatingsApi,
    links::LinksApi,
    // The admin writes with paths of their own (tags by id) and the audit log, as one group.
    admin::AdminApis,
    // Health and the profiling tools, as one group.
    (health::HealthApi, profiling::ProfilingApi, flamegraph::FlamegraphApi, metrics::MetricsApi),
    // The HTML pages, as one group (a tuple of APIs is one API).
    (
        crate::web::login::LoginApi,
        crate::web::pages::SessionPageApi,
        crate::web::flower::FlowerApi,
        crate::web::silk::SilkApi,
        crate::web::assets::AssetsApi,
        crate::web::admin::AdminApi,
        crate::web::admin::periodic::AdminPeriodicApi,
        crate::web::admin::model_pages::AdminFormsApi,
    ),
);

/// The documented API service over `db`, with writes checked against `auth`, the background
/// jobs, and the web pages with their sign-in sessions.
pub fn service(
    db: Db,
    auth: AdminAuth,
    cache: Cache,
    jobs: Jobs,
    web: SessionConfig,
    inspector: Inspector,
) -> OpenApiService<Apis, ()> {
    let health = health::HealthApi { read_only: db.is_read_only() };
    let sessions = Sessions::new(db.clone(), web);
    let metrics_cache = cache.clone();
    let admin = admin::Admin { db: db.clone(), auth: auth.clone() };
    let apis = (
        stats::StatsApi { db: db.clone() },
        movies::MoviesApi { db: db.clone(), admin: admin.clone() },
        caching::CachingApi { db: db.clone(), cache, auth: auth.clone() },
        (
            tasks::TasksApi { jobs: jobs.clone(), auth: auth.clone() },
            schedules::SchedulesApi { jobs: jobs.clone(), auth: auth.clone() },
            backups::BackupsApi { jobs: jobs.clone(), auth: auth.clone() },
        ),
        lab::orm::OrmLabApi { db: db.clone() },
        lab::q_filters::QFiltersLabApi { db: db.clone() },
        lab::f_update::FExpressionLabApi { db: db.clone(), auth: auth.clone() },
        lab::performance::PerformanceLabApi { db: db.clone() },
        genres::GenresApi { db: db.clone(), admin: admin.clone() },
        users::UsersApi { db: db.clone() },
        recommendations::RecommendationsApi { db: db.clone(), served: Default::default() },
        ratings::RatingsApi { db: db.clone(), auth: auth.clone() },
        links::LinksApi { db: db.clone(), admin: admin.clone() },
        admin::apis(&admin),
        (
            health,
            profiling::ProfilingApi { inspector: inspector.clone(), db: db.clone(), auth: auth.clone() },
            flamegraph::FlamegraphApi { auth: auth.clone() },
            metrics::MetricsApi { db: db.clone(), cache: metrics_cache, auth: auth.clone() },
        ),
        (
            crate::web::login::LoginApi { sessions: sessions.clone(), auth },
            crate::web::pages::SessionPageApi { sessions: sessions.clone(), config: web },
            crate::web::flower::FlowerApi { sessions: sessions.clone(), jobs: jobs.clone() },
            crate::web::silk::SilkApi { sessions: sessions.clone(), inspector, db: db.clone() },
            crate::web::assets::AssetsApi,
            crate::web::admin::AdminApi { sessions: sessions.clone(), jobs: jobs.clone(), db },
            crate::web::admin::periodic::AdminPeriodicApi { sessions: sessions.clone(), jobs },
            crate::web::admin::model_pages::AdminFormsApi { sessions, admin },
        ),
    );
    OpenApiService::new(apis, "MovieLens API", env!("CARGO_PKG_VERSION")).description(
        "Browse the MovieLens data set: movies, genres, users, ratings, tags and links.\n\n\
         Reads are public. Writes need the admin token as `Authorization: Bearer <token>` (the \
         Authorize button). Every error has the same JSON body: `code`, `message`, optional \
         `details`, and the `request_id` that is also sent as `X-Request-Id`.\n\n\
         The \"Web pages\" operations are HTML pages for browsers, signed in at `/login`.",
    )
}

/// The OpenAPI document as JSON, as served at `/openapi.json` and committed in `openapi/`.
/// Building it touches no database.
pub fn spec_json() -> String {
    let db = Db::detached();
    let jobs = Jobs::detached(db.clone());
    let cache = Cache::in_process(&CacheConfig::default());
    service(db, AdminAuth::for_token(""), cache, jobs, SessionConfig::default(), Inspector::detached()).spec()
}
