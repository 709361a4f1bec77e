//! `?profile=true` from the admin: the answer is replaced by that request's own span tree, with
//! each span's timings, as the seed's `profile_view` decorator attached cProfile's output.
//! Anyone else's `profile=true` is an unknown parameter like any other.

use std::sync::Arc;

use poem::http::{header, HeaderValue, StatusCode, Uri};
use poem::{Endpoint, IntoResponse, Request, Response};
use serde::Serialize;
use tracing::Instrument;

use super::auth::AdminAuth;
use crate::profiling::flame::{self, switch, tree::ProfileTree, tree::SpanNode};

const PARAMETER: &str = "profile";

/// The profile of one request.
#[derive(Serialize)]
struct Profile {
    /// The request's id, as in its `X-Request-Id`.
    request_id: String,
    method: String,
    path: String,
    /// The status the request's answer had (the profile itself is sent with 200).
    status: u16,
    /// Microseconds from the start of profiling to the answer.
    wall_us: u64,
    /// Whether the span layer is installed; without it no span is recorded.
    spans_recorded: bool,
    /// Spans beyond the tree's limit, counted but not kept.
    dropped_spans: u64,
    /// The spans opened while the request was handled: `request`, and inside it units of work
    /// (`db`, `db_write`), cache calls (`cache`) and serialization (`serialize`).
    spans: Vec<SpanNode>,
}

/// Whether the query asks for a profile: `profile=true` or `profile=1`.
fn asks_for_profile(uri: &Uri) -> bool {
    let query = uri.query().unwrap_or_default();
    // Every request passes here: a query that cannot hold the parameter is not parsed. (An
    // encoded name such as `%70rofile` is decoded, and counts, like any other parameter's.)
    if !query.contains("rofile") && !query.contains('%') {
        return false;
    }
    form_urlencoded::parse(query.as_bytes()).any(|(key, value)| key == PARAMETER && (value == "true" || value == "1"))
}

/// The URI without the `profile` parameter, so that the handler sees the request it would have.
fn without_profile(uri: &Uri) -> Option<Uri> {
    let query = uri.query().unwrap_or_default();
    let kept: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key != PARAMETER)
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    let mut path_and_query = uri.path().to_string();
    if !kept.is_empty() {
        path_and_query.push('?');
        path_and_query.push_str(&form_urlencoded::Serializer::new(String::new()).extend_pairs(kept).finish());
    }
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(path_and_query.parse().ok()?);
    Uri::from_parts(parts).ok()
}

/// The profiling middleware, as an `around` function; outside the request context, so that the
/// request's own span is inside the profile.
pub async fn profile_requests<E: Endpoint>(
    auth: AdminAuth,
    endpoint: Arc<E>,
    mut request: Request,
) -> poem::Result<Response> {
    let wanted = asks_for_profile(request.uri())
        && auth.verify_header(request.headers().get(header::AUTHORIZATION).map(HeaderValue::as_bytes)).is_ok();
    if !wanted {
        return endpoint.call(request).await.map(IntoResponse::into_response);
    }
    if let Some(uri) = without_profile(request.uri()) {
        *request.uri_mut() = uri;
    }
    let (method, path) = (request.method().to_string(), request.uri().path().to_string());
    // On before the root span opens: the layer sees only spans opened while it is on.
    let _on = switch::On::new();
    let tree = Arc::new(ProfileTree::new("profile"));
    let root = tracing::info_span!("profile");
    let spans_recorded = flame::attach(&root, tree.clone());
    let answer = endpoint.call(request).instrument(root).await.map(IntoResponse::into_response)?;
    let (root, dropped_spans) = tree.snapshot();
    let request_id = answer.headers().get(super::request_id::HEADER).and_then(|id| id.to_str().ok()).unwrap_or("-");
    let profile = Profile {
        request_id: request_id.to_string(),
        method,
        path,
        status: answer.status().as_u16(),
        wall_us: root.wall_us.unwrap_or_default(),
        spans_recorded,
        dropped_spans,
        spans: root.children,
    };
    let mut response = poem::web::Json(profile).with_status(StatusCode::OK).into_response();
    for name in [super::request_id::HEADER, "allow"] {
        if let Some(value) = answer.headers().get(name) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
