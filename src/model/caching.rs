//! The caching lessons' answers, with the seed's keys; `cache_status` comes first (see
//! `api::cache_page`).

use poem_openapi::Object;
use serde::Serialize;

use crate::cache::CacheStatus;

/// A movie's id and title.
#[derive(Debug, Clone, PartialEq, Object, Serialize, serde::Deserialize)]
pub struct CachedMovie {
    /// MovieLens `movieId`.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub id: i64,
    pub title: String,
}

/// A movie with its genres: the partial cache's expensive part.
#[derive(Debug, Clone, PartialEq, Object, Serialize, serde::Deserialize)]
pub struct CachedMovieGenres {
    /// MovieLens `movieId`.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub id: i64,
    pub title: String,
    /// Alphabetical.
    pub genres: Vec<String>,
}

/// What the manual cache keeps: the movies and when they were read.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ManualEntry {
    pub timestamp: String,
    pub movies: Vec<CachedMovie>,
}

/// `GET /api/cache/manual/`: a low-level get, and a set on a miss.
#[derive(Debug, Clone, Object, Serialize)]
pub struct ManualCacheAnswer {
    pub cache_status: CacheStatus,
    pub method: String,
    /// When the movies were read from the database (RFC 3339, UTC).
    pub cached_at: String,
    pub data: Vec<CachedMovie>,
    pub note: String,
}

/// `GET /api/cache/per-view/`: the whole answer is cached. `cache_status` comes first in the
/// body: the per-view cache turns the `MISS` it stored into `HIT`.
#[derive(Debug, Clone, Object, Serialize)]
pub struct PerViewCacheAnswer {
    // No doc comment: on a field of an enum type it becomes an `allOf` that generated clients
    // (openapi-python-client) cannot read.
    pub cache_status: CacheStatus,
    pub method: String,
    pub cache_duration: String,
    /// When this answer was computed (RFC 3339, UTC): a hit shows the time of the miss.
    pub timestamp: String,
    pub data: Vec<CachedMovie>,
    pub note: String,
}

/// `GET /api/cache/partial/`: only the expensive part is cached.
#[derive(Debug, Clone, Object, Serialize)]
pub struct PartialCacheAnswer {
    pub cache_status: CacheStatus,
    pub method: String,
    /// Cached for 180 s.
    pub expensive_data: Vec<CachedMovieGenres>,
    /// Always fresh (RFC 3339, UTC).
    pub current_timestamp: String,
    pub note: String,
}
