//! The HTTP API: one `#[OpenApi]` struct per resource, combined into one documented service.

pub mod auth;
pub mod error;
pub mod genres;
pub mod guard;
mod health;
pub mod host;
pub mod json;
pub mod links;
pub mod movies;
pub mod operations;
pub mod pagination;
pub mod ratings;
pub mod request_id;
pub mod routes;
pub mod stats;
pub mod users;
pub mod write_responses;

use poem_openapi::{OpenApiService, Tags};

use crate::db::Db;
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
    /// Free-text tags users applied to movies.
    Tags,
    /// IMDb and TMDB ids of movies.
    Links,
    /// Service health, for load balancers and benchmarks.
    Health,
}

/// Every API struct, in the order Swagger UI lists them.
pub type Apis = (
    stats::StatsApi,
    movies::MoviesApi,
    genres::GenresApi,
    users::UsersApi,
    ratings::RatingsApi,
    links::LinksApi,
    health::HealthApi,
);

/// The documented API service over `db`, with writes checked against `auth`.
pub fn service(db: Db, auth: AdminAuth) -> OpenApiService<Apis, ()> {
    let health = health::HealthApi { read_only: db.is_read_only() };
    let apis = (
        stats::StatsApi { db: db.clone() },
        movies::MoviesApi { db: db.clone() },
        genres::GenresApi { db: db.clone() },
        users::UsersApi { db: db.clone() },
        ratings::RatingsApi { db: db.clone(), auth },
        links::LinksApi { db },
        health,
    );
    OpenApiService::new(apis, "MovieLens API", env!("CARGO_PKG_VERSION")).description(
        "Browse the MovieLens data set: movies, genres, users, ratings, tags and links.\n\n\
         Reads are public. Writes need the admin token as `Authorization: Bearer <token>` (the \
         Authorize button). Every error has the same JSON body: `code`, `message`, optional \
         `details`, and the `request_id` that is also sent as `X-Request-Id`.",
    )
}

/// The OpenAPI document as JSON, as served at `/openapi.json` and committed in `openapi/`.
/// Building it touches no database.
pub fn spec_json() -> String {
    service(Db::detached(), AdminAuth::for_token("")).spec()
}
