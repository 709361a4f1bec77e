//! The seed's three caching strategies at its paths, and the cache's stats and clear.

use std::time::Duration;

use poem::{Endpoint, EndpointExt};
use poem_openapi::OpenApi;

use super::auth::{AdminAuth, AdminBearer};
use super::cache_page::CachePage;
use super::error::{AppError, Read};
use super::write_responses::Deleted;
use super::ApiTags;
use crate::cache::{Cache, CacheStats, CacheStatus};
use crate::db::{self, Db};
use crate::model::caching::{ManualCacheAnswer, ManualEntry, PartialCacheAnswer, PerViewCacheAnswer};

const MANUAL_KEY: &str = "manual:movies_list";
const MANUAL_TTL: Duration = Duration::from_secs(300);
const PARTIAL_KEY: &str = "partial:movies_with_genres";
const PARTIAL_TTL: Duration = Duration::from_secs(180);
/// The per-view page's time to live, in seconds.
const PER_VIEW_SECONDS: u64 = 120;

pub struct CachingApi {
    pub db: Db,
    pub cache: Cache,
    pub auth: AdminAuth,
}

#[OpenApi(prefix_path = "/api", tag = "ApiTags::Caching")]
impl CachingApi {
    /// Manual cache (low-level get and set)
    ///
    /// Reads the first 5 movies from the cache; on a miss, from the database, and stores them
    /// for 300 s. `cached_at` is when they were read from the database. A write to the data
    /// makes the entry unreachable at once.
    #[oai(path = "/cache/manual", method = "get", operation_id = "cache_manual")]
    async fn manual(&self) -> Read<ManualCacheAnswer> {
        let found = self.cache.fetch::<ManualEntry>(MANUAL_KEY).await;
        let (entry, cache_status) = match found.value {
            Some(entry) => (entry, CacheStatus::Hit),
            None => {
                let movies = match self.db.read("cache.manual", |conn| db::catalogue::first_movies(conn, 5)).await {
                    Ok(movies) => movies,
                    Err(err) => return AppError::from(err).into(),
                };
                let entry = ManualEntry { timestamp: now(), movies };
                // Stamped with the data version seen before the read, so a write in between
                // leaves the entry unreachable.
                self.cache.set_stamped(MANUAL_KEY, &entry, MANUAL_TTL, found.data_version).await;
                (entry, CacheStatus::Miss)
            }
        };
        let note = match cache_status {
            CacheStatus::Hit => "Read from the cache; the database was not queried.",
            CacheStatus::Miss => "Read from the database and cached for 5 minutes: the next request is a hit.",
        };
        Read::Ok(super::json::FastJson(ManualCacheAnswer {
            cache_status,
            method: "Low-Level Manual Cache".to_string(),
            cached_at: entry.timestamp,
            data: entry.movies,
            note: note.to_string(),
        }))
    }

    /// Per-view cache (the whole response)
    ///
    /// The whole response is cached for 120 s by the per-view cache middleware, which any GET
    /// operation can use: `X-Cache` says HIT or MISS, `Cache-Control` the seconds left, and the
    /// `ETag` answers `If-None-Match` with 304. `timestamp` is when the response was computed.
    #[oai(path = "/cache/per-view", method = "get", operation_id = "cache_per_view", transform = "per_view_page")]
    async fn per_view(&self) -> Read<PerViewCacheAnswer> {
        let movies = self.db.read("cache.per_view", |conn| db::catalogue::first_movies(conn, 5)).await;
        movies
            .map(|data| PerViewCacheAnswer {
                cache_status: CacheStatus::Miss,
                method: "Per-View Cache (Middleware)".to_string(),
                cache_duration: "2 minutes".to_string(),
                timestamp: now(),
                data,
                note: "This entire response is cached; a hit shows the timestamp of the miss.".to_string(),
            })
            .into()
    }

    /// Partial cache (only the expensive part)
    ///
    /// The first 10 movies with their genres are cached for 180 s; concurrent misses compute
    /// them once. `current_timestamp` is always fresh.
    #[oai(path = "/cache/partial", method = "get", operation_id = "cache_partial")]
    async fn partial(&self) -> Read<PartialCacheAnswer> {
        let db = &self.db;
        let loaded = self
            .cache
            .get_or_set(PARTIAL_KEY, PARTIAL_TTL, || {
                db.read("cache.partial", |conn| db::catalogue::first_movies_with_genres(conn, 10))
            })
            .await;
        loaded
            .map(|loaded| PartialCacheAnswer {
                cache_status: loaded.status,
                method: "Partial/Fragment Cache".to_string(),
                expensive_data: loaded.value,
                current_timestamp: now(),
                note: "Only the movies with their genres are cached; the timestamp is always fresh.".to_string(),
            })
            .into()
    }

    /// Cache statistics
    ///
    /// The backend; hits, misses and hit ratio in all and per key prefix; entries, bytes and
    /// evictions; the data version; and, on Redis, whether it is up, since when, and its last
    /// error.
    #[oai(path = "/cache/stats", method = "get", operation_id = "cache_stats")]
    async fn stats(&self) -> Read<CacheStats> {
        Read::Ok(super::json::FastJson(self.cache.stats().await))
    }

    /// Clear the cache
    ///
    /// Removes every entry under this server's key prefix. Requires the admin token.
    #[oai(path = "/cache", method = "delete", operation_id = "cache_clear")]
    async fn clear(&self, token: AdminBearer) -> Deleted {
        if let Err(err) = self.auth.verify(&token) {
            return err.into();
        }
        self.cache.clear().await;
        Deleted::Deleted
    }
}

fn per_view_page(endpoint: impl Endpoint) -> impl Endpoint {
    endpoint.with(CachePage::for_seconds(PER_VIEW_SECONDS).reporting_status())
}

/// Now, as RFC 3339 in UTC to the millisecond.
fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
