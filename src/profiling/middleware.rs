//! The middleware around the whole app (outside the request context, so that every answer,
//! errors included, gets the headers): times the request, collects its statements and cache
//! calls, adds the debug headers and an admin's `_debug` block, and queues the inspector's record.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::{FutureExt, StreamExt};
use poem::http::header;
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response};

use super::headers::{self, Phases};
use super::record::{self, RequestRecord};
use super::{debug_block, Inspector};
use crate::api::auth::AdminAuth;
use crate::api::operations::Operations;
use crate::cache::tally::{self, CacheTally};
use crate::db::statements::{self, Recording};

/// Request bodies are kept only when they declare a length up to this (the app's body limit).
const MAX_READ_BODY: usize = crate::api::routes::MAX_BODY_BYTES;

/// Response bodies are looked at (sized, kept, given a `_debug` block) up to this.
const MAX_RESPONSE_BODY: usize = 4 * 1024 * 1024;

pub struct Profiling {
    pub inspector: Inspector,
    pub operations: Operations,
    pub auth: AdminAuth,
}

impl<E: Endpoint> Middleware<E> for Profiling {
    type Output = ProfilingEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        ProfilingEndpoint {
            inner,
            inspector: self.inspector.clone(),
            operations: self.operations.clone(),
            auth: self.auth.clone(),
        }
    }
}

pub struct ProfilingEndpoint<E> {
    inner: E,
    inspector: Inspector,
    operations: Operations,
    auth: AdminAuth,
}

impl<E: Endpoint> Endpoint for ProfilingEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut request: Request) -> poem::Result<Response> {
        let config = self.inspector.config();
        let path = request.uri().path().to_string();
        let recording = self.inspector.should_record(&path);
        if !recording && !config.debug_headers {
            return Box::pin(self.inner.call(request)).await.map(IntoResponse::into_response);
        }
        let started = Instant::now();
        let query = request.uri().query().unwrap_or_default().to_string();
        let debug = debug_block::asked(&query)
            && self
                .auth
                .verify_header(request.headers().get(header::AUTHORIZATION).map(|value| value.as_bytes()))
                .is_ok();
        let mut record = recording.then(|| self.start_record(&request, &path, &query));
        if let Some(record) = record.as_mut().filter(|_| config.inspector_bodies) {
            record.request_body = self.request_body(&mut request).await;
        }
        // Boxed before it is wrapped: the whole app's future is large, and each wrapper that
        // held it would move it through the stack (debug builds overflow a worker's 2 MB).
        let app = Box::pin(self.inner.call(request));
        let ((result, statements), cache) = tally::in_request(statements::in_request(app)).await;
        let mut response = result.map(IntoResponse::into_response)?;
        let phases = Phases::of(&statements, &cache, started.elapsed());
        let needs_body = debug || record.is_some();
        let body = if needs_body { buffered(&mut response) } else { None };
        if let (true, Some(body)) = (debug, &body) {
            let is_json = response.content_type().is_some_and(|kind| kind.starts_with("application/json"));
            if let Some(with_block) =
                is_json.then(|| debug_block::add_to(body, debug_block::block(&statements, &cache, &phases))).flatten()
            {
                response.set_body(with_block);
                // The tag was the body's without the block; these answers are never the same twice.
                response.headers_mut().remove(header::ETAG);
            }
        }
        if config.debug_headers {
            headers::add(&mut response, &phases, &statements, &cache);
        }
        if let Some(record) = record {
            self.finish_record(record, &response, body.as_deref(), &statements, &cache, &phases);
        }
        Ok(response)
    }
}

impl<E> ProfilingEndpoint<E> {
    fn start_record(&self, request: &Request, path: &str, query: &str) -> RequestRecord {
        let masking = self.inspector.masking();
        let started_at_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_millis() as i64);
        RequestRecord {
            method: request.method().to_string(),
            path: record::cut(path.to_string(), record::MAX_URL_BYTES),
            query: masking.query(query),
            route: self
                .operations
                .template(path)
                .map(|template| template.to_string())
                .unwrap_or_else(|| record::cut(path.to_string(), record::MAX_URL_BYTES)),
            started_at_ms,
            request_headers: masking.headers(request.headers()),
            ..RequestRecord::default()
        }
    }

    /// The request's body, masked and cut, when it declares a length the app accepts; the body
    /// is put back for the app.
    async fn request_body(&self, request: &mut Request) -> Option<String> {
        let declared: usize = request.headers().get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()?;
        if declared == 0 || declared > MAX_READ_BODY {
            return None;
        }
        let bytes = request.take_body().into_bytes().await.ok()?;
        let kind = request.content_type().unwrap_or_default().to_string();
        let text = self.inspector.masking().body(&kind, &bytes, self.body_limit());
        request.set_body(bytes);
        Some(text)
    }

    fn body_limit(&self) -> usize {
        usize::try_from(self.inspector.config().inspector_body_bytes).unwrap_or(usize::MAX)
    }

    fn finish_record(
        &self,
        mut record: RequestRecord,
        response: &Response,
        body: Option<&[u8]>,
        statements: &Recording,
        cache: &CacheTally,
        phases: &Phases,
    ) {
        let (stored, similar, duplicates) = record::statements_of(statements);
        record.request_id =
            response.headers().get("x-request-id").and_then(|id| id.to_str().ok()).unwrap_or_default().to_string();
        record.status = response.status().as_u16();
        record.duration = phases.total;
        record.response_bytes = body.map(|body| body.len() as u64);
        record.query_count = statements.count();
        record.query_time = statements.elapsed();
        (record.statements, record.similar, record.duplicates) = (stored, similar, duplicates);
        record.cache_hits = cache.hits;
        record.cache_misses = cache.misses;
        record.cache_time = cache.elapsed;
        if self.inspector.config().inspector_bodies {
            let kind = response.content_type().unwrap_or_default();
            record.response_body = body.map(|body| self.inspector.masking().body(kind, body, self.body_limit()));
        }
        self.inspector.push(record);
    }
}

/// The response's body, if it is all there now (the app's answers are built in memory); it is
/// put back either way. A streamed body is left as it is and not looked at.
fn buffered(response: &mut Response) -> Option<Bytes> {
    let mut rest = Box::pin(response.take_body().into_bytes_stream());
    let (mut read, mut length) = (Vec::new(), 0);
    let complete = loop {
        match rest.next().now_or_never() {
            Some(None) => break true,
            Some(Some(Ok(chunk))) => {
                length += chunk.len();
                read.push(Ok(chunk));
                if length > MAX_RESPONSE_BODY {
                    break false;
                }
            }
            Some(Some(Err(err))) => {
                read.push(Err(err));
                break false;
            }
            None => break false,
        }
    };
    if !complete {
        response.set_body(Body::from_bytes_stream(futures_util::stream::iter(read).chain(rest)));
        return None;
    }
    let chunks: Vec<Bytes> = read.into_iter().flatten().collect();
    let bytes = match chunks.len() {
        1 => chunks.into_iter().next().expect("one chunk"),
        _ => Bytes::from(chunks.concat()),
    };
    response.set_body(bytes.clone());
    Some(bytes)
}
