//! The request inspector's data as JSON under `/api/profiling/requests...`, admin-only (the
//! bearer token): the summary, the filtered list, one request, and a statement's query plan.

use poem::http::StatusCode;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, OpenApi, Tags};
use serde::Serialize;

use super::auth::{AdminAuth, AdminBearer};
use super::error::{AppError, ErrorBody};
use super::json::FastJson;
use crate::db::inspector::queries;
use crate::db::{Db, DbError};
use crate::model::inspector::{InspectorSummary, QueryPlan, RequestDetail, RequestFilter, RequestPage, RequestSort};
use crate::profiling::Inspector;

/// Swagger UI groups the profiling operations under this tag.
#[derive(Tags)]
pub enum ProfilingTags {
    /// Profiling (admin): the request inspector (django-silk's job) with each request's SQL, time
    /// and cache calls. Every response also carries `Server-Timing` and `X-Query-Count`, and an
    /// admin's `?debug=true` adds a `_debug` block to JSON answers.
    Profiling,
}

pub struct ProfilingApi {
    pub inspector: Inspector,
    pub db: Db,
    pub auth: AdminAuth,
}

/// Responses of the profiling reads.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "profiled_bad_request")]
pub enum Profiled<T: Type + Serialize + Send + Sync> {
    /// What the inspector holds.
    #[oai(status = 200)]
    Ok(FastJson<T>),
    /// A parameter is not valid, or the statement cannot be explained.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No `Authorization: Bearer` token was sent.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// The token is not the admin token.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// No recorded request (or statement) has that id: it may have been pruned.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The server failed; the body carries the request id that its log names.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
}

fn profiled_bad_request<T: Type + Serialize + Send + Sync>(err: poem::Error) -> Profiled<T> {
    AppError::from_poem(&err).into()
}

impl<T: Type + Serialize + Send + Sync> From<AppError> for Profiled<T> {
    fn from(err: AppError) -> Self {
        match err.status() {
            StatusCode::BAD_REQUEST => Profiled::BadRequest(err.body()),
            StatusCode::UNAUTHORIZED => Profiled::Unauthorized(err.body()),
            StatusCode::FORBIDDEN => Profiled::Forbidden(err.body()),
            StatusCode::NOT_FOUND => Profiled::NotFound(err.body()),
            _ => Profiled::Internal(err.body()),
        }
    }
}

impl<T: Type + Serialize + Send + Sync> From<Result<T, AppError>> for Profiled<T> {
    fn from(result: Result<T, AppError>) -> Self {
        result.map_or_else(Into::into, |value| Profiled::Ok(FastJson(value)))
    }
}

fn no_request(id: i64) -> AppError {
    AppError::NotFound(format!("no recorded request has id {id}; old requests are pruned"))
}

/// One recorded request, or a 404 (the pages use it too).
pub async fn detail(inspector: &Inspector, id: i64) -> Result<RequestDetail, AppError> {
    let detail = inspector.read(move |conn| queries::detail(conn, id)).await?;
    detail.flatten().ok_or_else(|| no_request(id))
}

/// The query plan of statement `index` of request `id`, run now on the data (the pages use it
/// too).
pub async fn explain(inspector: &Inspector, db: &Db, id: i64, index: i64) -> Result<QueryPlan, AppError> {
    let sql = inspector.read(move |conn| queries::statement_sql(conn, id, index)).await?.flatten();
    let sql = sql.ok_or_else(|| AppError::NotFound(format!("request {id} has no recorded statement {index}")))?;
    let explained = sql.clone();
    let plan = db.read("inspector.explain", move |tx| Ok::<_, DbError>(queries::explain(tx, &explained))).await?;
    match plan {
        Ok(plan) => Ok(QueryPlan { sql, plan }),
        Err(err) => Err(AppError::BadRequest(format!("this statement cannot be explained: {err}"), None)),
    }
}

/// Reads the list's filters (the pages use the same).
pub fn filter(
    path: Option<String>,
    status: Option<i64>,
    min_ms: Option<f64>,
    min_queries: Option<i64>,
    sort: Option<RequestSort>,
    limit: i64,
    offset: i64,
) -> RequestFilter {
    RequestFilter {
        path: path.filter(|path| !path.is_empty()),
        status,
        min_ms,
        min_queries,
        sort: sort.unwrap_or_default(),
        limit,
        offset,
    }
}

#[OpenApi(prefix_path = "/api/profiling", tag = "ProfilingTags::Profiling")]
impl ProfilingApi {
    /// The request inspector's summary (admin)
    ///
    /// Mean time and statements of the stored requests; the slowest routes, those with the most
    /// statements and those with the most database time; requests recorded, dropped (queue
    /// full) and lost since the start; the retention and the file's size.
    #[oai(path = "/requests/summary", method = "get", operation_id = "profiling_summary")]
    async fn summary(&self, token: AdminBearer) -> Profiled<InspectorSummary> {
        let result = async {
            self.auth.verify(&token)?;
            Ok(self.inspector.summary().await?)
        };
        result.await.into()
    }

    /// Recorded requests (admin)
    ///
    /// Newest first by default, with filters; each with its time, statements and cache calls.
    #[oai(path = "/requests", method = "get", operation_id = "profiling_requests")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        token: AdminBearer,
        /// Only requests whose path contains this.
        #[oai(validator(max_length = 200))]
        path: Query<Option<String>>,
        /// Only requests answered with this status.
        #[oai(validator(minimum(value = "100"), maximum(value = "599")))]
        status: Query<Option<i64>>,
        /// Only requests that took at least this many milliseconds.
        #[oai(validator(minimum(value = "0"), maximum(value = "86400000")))]
        min_ms: Query<Option<f64>>,
        /// Only requests that ran at least this many statements.
        #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
        min_queries: Query<Option<i64>>,
        sort: Query<Option<RequestSort>>,
        /// Requests per page.
        #[oai(default = "default_limit", validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<i64>,
        /// Requests to skip.
        #[oai(default, validator(minimum(value = "0"), maximum(value = "10000000")))]
        offset: Query<i64>,
    ) -> Profiled<RequestPage> {
        let result = async {
            self.auth.verify(&token)?;
            let filter = filter(path.0, status.0, min_ms.0, min_queries.0, sort.0, limit.0, offset.0);
            let page = self.inspector.read(move |conn| queries::list(conn, &filter)).await?;
            Ok(page.unwrap_or(RequestPage { count: 0, offset: offset.0, requests: Vec::new() }))
        };
        result.await.into()
    }

    /// One recorded request (admin)
    ///
    /// Its statements in order with their times, the similar and duplicate groups, the request
    /// headers (credentials masked) and, when recorded, the bodies.
    #[oai(path = "/requests/:id", method = "get", operation_id = "profiling_request")]
    async fn request(
        &self,
        token: AdminBearer,
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))] id: Path<i64>,
    ) -> Profiled<RequestDetail> {
        let result = async {
            self.auth.verify(&token)?;
            detail(&self.inspector, id.0).await
        };
        result.await.into()
    }

    /// A recorded statement's query plan (admin)
    ///
    /// `EXPLAIN QUERY PLAN` of one statement of a recorded request, run now on the data.
    #[oai(path = "/requests/:id/explain", method = "get", operation_id = "profiling_explain")]
    async fn explain_statement(
        &self,
        token: AdminBearer,
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))] id: Path<i64>,
        /// The statement's position in the request, from 0.
        #[oai(validator(minimum(value = "0"), maximum(value = "199")))]
        statement: Query<i64>,
    ) -> Profiled<QueryPlan> {
        let result = async {
            self.auth.verify(&token)?;
            explain(&self.inspector, &self.db, id.0, statement.0).await
        };
        result.await.into()
    }
}

fn default_limit() -> i64 {
    50
}
