//! The whole HTTP app: the API, its spec and Swagger UI, behind the request middleware.

use std::sync::Arc;

use poem::error::ReadBodyError;
use poem::http::{header, StatusCode};
use poem::middleware::{NormalizePath, TrailingSlash};
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response, Route};

use super::auth::AdminAuth;
use super::conditional::ConditionalRequests;
use super::guard::Guard;
use super::host::HostPolicy;
use super::operations::Operations;
use super::request_id::RequestContext;
use crate::cache::Cache;
use crate::db::Db;
use crate::jobs::submit::Jobs;
use crate::profiling::middleware::Profiling;
use crate::profiling::Inspector;
use crate::web::SessionConfig;

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Builds the app. `server_url` is the base URL the spec advertises; `hosts` says which Host
/// headers are served and what links are built on.
// The app's parts, each built once at start; a struct for them would only repeat this list.
#[allow(clippy::too_many_arguments)]
pub fn app(
    db: Db,
    auth: AdminAuth,
    cache: Cache,
    jobs: Jobs,
    server_url: &str,
    hosts: HostPolicy,
    sessions: SessionConfig,
    inspector: Inspector,
) -> impl Endpoint {
    let api = super::service(db, auth.clone(), cache.clone(), jobs, sessions, inspector.clone()).server(server_url);
    let spec = api.spec();
    let operations = Operations::from_spec(&spec);
    let profiling = Profiling { inspector, operations: operations.clone(), auth: auth.clone() };
    let guard = Arc::new(Guard { operations: operations.clone(), auth: auth.clone() });
    Route::new()
        .at("/openapi.json", api.spec_endpoint())
        .nest("/docs", api.swagger_ui())
        .nest("/", api)
        .around(super::invalidation::bump_after_writes)
        .around(limit_body)
        // Before the body limit: a bad token is refused without reading the body at all.
        .around(move |endpoint, request| guard.clone().around(endpoint, request))
        // The seed's Django URLs end in '/': `/api/movies/` and `/api/movies` are the same.
        .with(NormalizePath::new(TrailingSlash::Trim))
        .with(hosts)
        // Inside the request context, so that a 304 carries the X-Request-Id as well.
        .with(ConditionalRequests)
        // The per-view cache finds the cache here.
        .data(cache)
        .with(RequestContext { operations })
        // Around the request context, so that its error answers get the debug headers too.
        .with(profiling)
        // Outside the request context: the request's span is inside the profile.
        .around(move |endpoint, request| super::profile::profile_requests(auth.clone(), endpoint, request))
        // Outermost, so that every answer under the pages' paths gets them, errors included.
        .around(crate::web::headers::secure_pages)
}

/// Refuses bodies over [`MAX_BODY_BYTES`] with 413, whether or not they declare their length.
/// A body that cannot be read (broken chunked framing, a connection cut or timed out) is a 400.
async fn limit_body<E: Endpoint>(endpoint: std::sync::Arc<E>, mut request: Request) -> poem::Result<Response> {
    let too_large = || poem::Error::from_status(StatusCode::PAYLOAD_TOO_LARGE);
    let declared: Option<usize> =
        request.headers().get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok()?.parse().ok());
    match declared {
        Some(length) if length > MAX_BODY_BYTES => return Err(too_large()),
        Some(_) => {}
        // A chunked body: read it here, up to the limit.
        None => {
            let body = request.take_body().into_bytes_limit(MAX_BODY_BYTES).await.map_err(|err| match err {
                ReadBodyError::PayloadTooLarge => too_large(),
                other => poem::Error::from_string(
                    format!("the request body could not be read: {other}"),
                    StatusCode::BAD_REQUEST,
                ),
            })?;
            request.set_body(body);
        }
    }
    endpoint.call(request).await.map(IntoResponse::into_response)
}
