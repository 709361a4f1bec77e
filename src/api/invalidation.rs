//! Writes make cached answers unreachable before their own answer is sent.
//!
//! After every request that may have written (any method but GET, HEAD and OPTIONS) and was not
//! refused (a 4xx writes nothing: writes are transactions), the cache's data version is bumped.
//! Every entry is stamped with the version it was computed under, so none computed before the
//! write is served after it; on Redis the version is shared, so this holds across instances.
//! Writes that come from elsewhere (another process on the same file, background rescoring) are
//! seen by the watcher that `startup` runs on `PRAGMA data_version`.

use std::sync::Arc;

use poem::http::Method;
use poem::{Endpoint, IntoResponse, Request, Response};

use crate::cache::Cache;

/// Requests under these paths change no data: they queue, cancel or schedule tasks, or sign in
/// and out of the HTML pages. What tasks change is seen by the watcher when they commit.
const NO_DATA_PATHS: &[&str] = &["/api/celery/", "/api/tasks", "/api/schedules", "/login", "/logout", "/flower/"];

pub async fn bump_after_writes<E: Endpoint>(endpoint: Arc<E>, request: Request) -> poem::Result<Response> {
    let writes = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && !NO_DATA_PATHS.iter().any(|prefix| request.uri().path().starts_with(prefix));
    let cache = if writes { request.data::<Cache>().cloned() } else { None };
    let result = endpoint.call(request).await.map(IntoResponse::into_response);
    if let Some(cache) = cache {
        let refused = match &result {
            Ok(response) => response.status().is_client_error(),
            Err(err) => err.status().is_client_error(),
        };
        if !refused {
            cache.bump_data_version().await;
        }
    }
    result
}
