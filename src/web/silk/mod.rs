//! The request inspector's pages at `/silk/` (django-silk's UI): the summary, the request list
//! with filters and sorting, and one request with its SQL and, on demand, a statement's
//! `EXPLAIN QUERY PLAN`. Admin-only through the shared sign-in; the data is the same as
//! `/api/profiling/requests...` serves.

mod answers;
mod render;

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Html;
use poem_openapi::OpenApi;

use super::responses::{internal_page, Page};
use super::{Sessions, WebTags};
use crate::api::error::AppError;
use crate::api::profiling::{detail, explain};
use crate::db::inspector::queries;
use crate::db::Db;
use crate::model::inspector::RequestPage;
use crate::profiling::Inspector;
use answers::{problem, DetailPage};
use render::ListFilters;

pub struct SilkApi {
    pub sessions: Sessions,
    pub inspector: Inspector,
    pub db: Db,
}

#[OpenApi(tag = "WebTags::WebPages")]
impl SilkApi {
    /// The request inspector
    ///
    /// Mean time and statements of the recorded requests, the slowest routes, the routes with
    /// the most statements and with the most database time, and the recorder's counts. Without
    /// a session it redirects to sign-in.
    #[oai(path = "/silk", method = "get", operation_id = "silk_summary")]
    async fn summary(&self, request: &Request) -> Page {
        let session = match self.sessions.require(request).await {
            Ok(session) => session,
            Err(refusal) => return refusal.into(),
        };
        let rendered = match self.inspector.summary().await {
            Ok(summary) => render::summary(&summary, &session),
            Err(cause) => return Page::Internal(internal_page(cause)),
        };
        rendered.map_or_else(|cause| Page::Internal(internal_page(cause)), |page| Page::Ok(Html(page)))
    }

    /// Recorded requests
    ///
    /// Newest first, or sorted by time, statements or database time; filtered by path, status,
    /// minimum time and minimum statements; 50 a page. Without a session it redirects to sign-in.
    #[oai(path = "/silk/requests", method = "get", operation_id = "silk_requests")]
    #[allow(clippy::too_many_arguments)]
    async fn requests(
        &self,
        request: &Request,
        /// Only requests whose path contains this.
        #[oai(validator(max_length = 200))]
        path: Query<Option<String>>,
        /// Only requests answered with this status (empty: any).
        #[oai(validator(pattern = r"^([1-5][0-9][0-9])?$"))]
        status: Query<Option<String>>,
        /// Only requests that took at least this many milliseconds (empty: any).
        #[oai(validator(pattern = r"^([0-9]{1,8}(\.[0-9]{1,3})?)?$"))]
        min_ms: Query<Option<String>>,
        /// Only requests that ran at least this many statements (empty: any).
        #[oai(validator(pattern = r"^([0-9]{1,9})?$"))]
        min_queries: Query<Option<String>>,
        /// `newest`, `oldest`, `slowest`, `most_queries` or `most_db_time`.
        #[oai(validator(pattern = r"^(newest|oldest|slowest|most_queries|most_db_time)?$"))]
        sort: Query<Option<String>>,
        /// Requests to skip.
        #[oai(validator(minimum(value = "0"), maximum(value = "10000000")))]
        offset: Query<Option<i64>>,
    ) -> Page {
        let session = match self.sessions.require(request).await {
            Ok(session) => session,
            Err(refusal) => return refusal.into(),
        };
        let filters = match ListFilters::read(path.0, status.0, min_ms.0, min_queries.0, sort.0, offset.0) {
            Ok(filters) => filters,
            Err(why) => return Page::BadRequest(problem("Bad request", &why, Some(&session))),
        };
        let filter = filters.filter();
        let page = self.inspector.read(move |conn| queries::list(conn, &filter)).await;
        let page = match page {
            Ok(page) => page.unwrap_or(RequestPage { count: 0, offset: 0, requests: Vec::new() }),
            Err(cause) => return Page::Internal(internal_page(cause)),
        };
        let rendered = render::list(&page, &filters, self.inspector.is_enabled(), &session);
        rendered.map_or_else(|cause| Page::Internal(internal_page(cause)), |page| Page::Ok(Html(page)))
    }

    /// One recorded request
    ///
    /// Its figures, its statements in order with their times, the similar and duplicate
    /// groups, the request headers (credentials masked) and the bodies when recorded. With
    /// `explain`, that statement's `EXPLAIN QUERY PLAN` is run now and shown beside it. Without
    /// a session it redirects to sign-in.
    #[oai(path = "/silk/request/:id", method = "get", operation_id = "silk_request")]
    async fn request(
        &self,
        request: &Request,
        /// The record's id.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        id: Path<i64>,
        /// The position of a statement whose query plan to show, from 0.
        #[oai(validator(minimum(value = "0"), maximum(value = "199")))]
        explain: Query<Option<i64>>,
    ) -> DetailPage {
        let session = match self.sessions.require(request).await {
            Ok(session) => session,
            Err(refusal) => return refusal.into(),
        };
        let found = match detail(&self.inspector, id.0).await {
            Ok(found) => found,
            Err(AppError::NotFound(why)) => return DetailPage::NotFound(problem("Not found", &why, Some(&session))),
            Err(other) => return DetailPage::Internal(internal_page(other.into())),
        };
        let plan = match explain.0 {
            Some(index) => {
                Some(self::explain(&self.inspector, &self.db, id.0, index).await.map_err(|err| err.to_string()))
            }
            None => None,
        };
        let rendered = render::detail(&found, explain.0, plan, &session);
        rendered.map_or_else(|cause| DetailPage::Internal(internal_page(cause)), |page| DetailPage::Ok(Html(page)))
    }
}
