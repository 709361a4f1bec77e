//! Per-request context: the request id (taken from `X-Request-Id` or made up), the request's
//! tracing span, and the JSON shape for errors raised outside the handlers (unknown routes,
//! wrong methods, oversized bodies).

use std::sync::Arc;

use poem::http::{header, HeaderValue, StatusCode};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};
use tracing::Instrument;

use super::error::ErrorBody;
use crate::db::statements;
use crate::profiling::metrics;

pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled, or `-` outside a request.
pub fn current() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_else(|_| "-".to_string())
}

/// An incoming id is echoed only if it is short printable ASCII, so it is safe in logs and headers.
fn incoming_id(request: &Request) -> Option<String> {
    let value = request.headers().get(HEADER)?.to_str().ok()?;
    let acceptable = !value.is_empty() && value.len() <= 128 && value.bytes().all(|b| b.is_ascii_graphic());
    acceptable.then(|| value.to_string())
}

fn new_id() -> String {
    format!("{:016x}", fastrand::u64(..))
}

/// Wraps the whole app: gives each request its id and span, and errors their JSON shape.
pub struct RequestContext {
    /// For 405 answers: which methods each documented path accepts.
    pub operations: super::operations::Operations,
}

impl<E: Endpoint> Middleware<E> for RequestContext {
    type Output = RequestContextEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RequestContextEndpoint { inner, operations: self.operations.clone() }
    }
}

pub struct RequestContextEndpoint<E> {
    inner: E,
    operations: super::operations::Operations,
}

impl<E: Endpoint> Endpoint for RequestContextEndpoint<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> poem::Result<Response> {
        let arrived = std::time::Instant::now();
        let id = incoming_id(&request).unwrap_or_else(new_id);
        let (method, path) = (request.method().clone(), request.uri().path().to_string());
        let span = tracing::info_span!(
            "request",
            %method,
            %path,
            request_id = %id,
            status = tracing::field::Empty,
            queries = tracing::field::Empty
        );
        // The app's future is large (every layer inside this one); boxed, it is moved once, not
        // again by each wrapper below (the task-locals, the span).
        let handled = REQUEST_ID.scope(id.clone(), async {
            match Box::pin(self.inner.call(request)).await {
                Ok(output) => output.into_response(),
                Err(err) => self.error_response(&err, &method, &path),
            }
        });
        // Every statement the request's units of work ran, whichever threads they ran on.
        let (mut response, statements) = statements::in_request(handled).instrument(span.clone()).await;
        // For the profiling middleware around this one, which times the whole request.
        statements::add_to_request(statements.clone());
        span.record("status", response.status().as_u16());
        span.record("queries", statements.count());
        tracing::debug!(
            parent: &span,
            status = response.status().as_u16(),
            queries = statements.count(),
            query_ms = statements.elapsed().as_secs_f64() * 1e3,
            "response"
        );
        // Undocumented paths (404s, the pages' assets) share one label, so labels stay bounded.
        let route = self.operations.template(&path).unwrap_or_else(|| Arc::from("(unmatched)"));
        metrics::record_request(method.as_str(), route, response.status().as_u16(), arrived.elapsed());
        if let Ok(value) = HeaderValue::from_str(&id) {
            response.headers_mut().insert(HEADER, value);
        }
        Ok(response)
    }
}

impl<E> RequestContextEndpoint<E> {
    fn error_response(&self, err: &poem::Error, method: &poem::http::Method, path: &str) -> Response {
        let status = err.status();
        let (code, message, allow) = match status {
            StatusCode::NOT_FOUND => ("not_found", format!("no such resource: {path}"), None),
            StatusCode::METHOD_NOT_ALLOWED => {
                let allow = self.operations.allowed_methods(path);
                ("method_not_allowed", format!("{method} is not allowed on {path}; allowed: {allow}"), Some(allow))
            }
            StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the request body is too large".to_string(), None),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", err.to_string(), None),
            status if status.is_server_error() => {
                tracing::error!(error = %err, "unhandled error");
                ("internal_error", "the server failed to handle this request".to_string(), None)
            }
            _ => ("invalid_request", err.to_string(), None),
        };
        let body = ErrorBody { code: code.to_string(), message, details: None, request_id: current() };
        let mut response = poem_openapi::payload::Json(body).with_status(status).into_response();
        if let Some(allow) = allow.and_then(|allow| HeaderValue::from_str(&allow).ok()) {
            response.headers_mut().insert(header::ALLOW, allow);
        }
        response
    }
}
