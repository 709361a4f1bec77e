//! `GET /metrics`: requests, units of work, statements, cache lookups, tasks and the inspector's
//! dropped records, in Prometheus' text format. Admin-only, like every profiling route: a scraper
//! sends the token (Prometheus' `authorization` setting).

use poem::http::StatusCode;
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::{ApiResponse, OpenApi};

use super::auth::{AdminAuth, AdminBearer};
use super::error::{AppError, ErrorBody};
use super::ApiTags;
use crate::cache::Cache;
use crate::db::jobs::listing;
use crate::db::{Db, DbError};
use crate::profiling::metrics::{self, CacheCounts, JobCount};

pub struct MetricsApi {
    pub db: Db,
    pub cache: Cache,
    pub auth: AdminAuth,
}

#[derive(ApiResponse)]
#[oai(bad_request_handler = "metrics_bad_request")]
pub enum Metrics {
    /// Every metric in the Prometheus text format 0.0.4: `# HELP` and `# TYPE` lines, then one
    /// `name{labels} value` line per series. Histograms have `_bucket{le=...}`, `_sum` and `_count`.
    #[oai(status = 200, content_type = "text/plain; version=0.0.4; charset=utf-8")]
    Ok(PlainText<String>),
    /// A request the server could not read.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No `Authorization: Bearer` token was sent.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// The token is not the admin token.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// The server failed; the body carries the request id that its log names.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
}

fn metrics_bad_request(err: poem::Error) -> Metrics {
    AppError::from_poem(&err).into()
}

impl From<AppError> for Metrics {
    fn from(err: AppError) -> Self {
        match err.status() {
            StatusCode::BAD_REQUEST => Metrics::BadRequest(err.body()),
            StatusCode::UNAUTHORIZED => Metrics::Unauthorized(err.body()),
            StatusCode::FORBIDDEN => Metrics::Forbidden(err.body()),
            _ => Metrics::Internal(err.body()),
        }
    }
}

#[OpenApi(tag = "ApiTags::ProfilingFlame")]
impl MetricsApi {
    /// Prometheus metrics
    ///
    /// Since the server started: requests by method, route template and status with latency
    /// histograms; units of work, SQL statements and their time; cache hits and misses by key
    /// prefix; request records the inspector dropped. Tasks by type and state are read from the
    /// task table, so they cover every worker process on the database.
    #[oai(path = "/metrics", method = "get", operation_id = "metrics")]
    async fn metrics(&self, token: AdminBearer) -> Metrics {
        if let Err(err) = self.auth.verify(&token) {
            return err.into();
        }
        let jobs =
            self.db.read("metrics.jobs", |tx| listing::counts_by_name_and_state(tx).map_err(DbError::from)).await;
        let jobs = match jobs {
            Ok(jobs) => jobs,
            Err(err) => return AppError::from(err).into(),
        };
        let jobs: Vec<JobCount> =
            jobs.into_iter().map(|(name, state, count)| JobCount { name, state, count }).collect();
        let cache: Vec<CacheCounts> = self
            .cache
            .hit_counts()
            .into_iter()
            .map(|prefix| CacheCounts { prefix: prefix.prefix, hits: prefix.hits, misses: prefix.misses })
            .collect();
        Metrics::Ok(PlainText(metrics::render(&cache, &jobs)))
    }
}
