//! Conditional GETs for every JSON answer (RFC 9110 §8.8.3, §13.1.2): a strong `ETag` made from
//! the body, and `304 Not Modified` when the request's `If-None-Match` names it.
//!
//! The tag is a hash of the bytes sent, so it is right by construction: it changes exactly when
//! the body does, whether the body came from the database or from a cache, and two instances
//! give the same body the same tag. A response that already has an `ETag` (the response cache
//! sets one) keeps it and is not hashed again.
//!
//! `Cache-Control: no-store` or `private` does not remove the tag: RFC 9111 keeps validators and
//! storage apart (no-store forbids storing, not revalidating, and a private cache revalidates
//! like any other), so the tag is still correct and a client that kept a copy may use it.
//!
//! The OpenAPI document does not list `ETag`, `If-None-Match` or 304: poem-openapi adds headers
//! to every response of an operation, errors included, and has no way to add a status to all of
//! them, so the spec would stop being honest.

use futures_util::{stream, FutureExt, StreamExt};
use poem::http::header::{self, HeaderName};
use poem::http::{HeaderValue, Method, StatusCode};
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response};

/// Bodies larger than this are left untagged rather than held in memory for hashing.
const MAX_TAGGED_BYTES: usize = 8 * 1024 * 1024;

/// Tags JSON answers to GET and HEAD and answers matching `If-None-Match` with 304.
pub struct ConditionalRequests;

impl<E: Endpoint> Middleware<E> for ConditionalRequests {
    type Output = ConditionalRequestsEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        ConditionalRequestsEndpoint { inner }
    }
}

pub struct ConditionalRequestsEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for ConditionalRequestsEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut request: Request) -> poem::Result<Response> {
        let method = request.method().clone();
        if method != Method::GET && method != Method::HEAD {
            return self.inner.call(request).await.map(IntoResponse::into_response);
        }
        // poem answers HEAD by running GET and dropping the body before it reaches us. Running
        // GET here keeps the body to hash; hyper never sends a body in answer to HEAD.
        request.set_method(Method::GET);
        let if_none_match: Vec<HeaderValue> =
            request.headers().get_all(header::IF_NONE_MATCH).iter().cloned().collect();
        let mut response = self.inner.call(request).await?.into_response();
        // Only a 200 has a representation to validate: a 202 (a task queued by GET) is an action.
        if response.status() != StatusCode::OK {
            return Ok(response);
        }
        let etag = match response.headers().get(header::ETAG) {
            Some(existing) => Some(existing.clone()),
            None => tag_json_body(&mut response),
        };
        match etag {
            Some(etag) if !if_none_match.is_empty() && none_match(&if_none_match, &etag) => Ok(not_modified(response)),
            _ => Ok(response),
        }
    }
}

/// Hashes a JSON body that is already in memory and sets its `ETag`; returns the tag.
fn tag_json_body(response: &mut Response) -> Option<HeaderValue> {
    if !is_json(response.headers().get(header::CONTENT_TYPE)) {
        return None;
    }
    let (body, etag) = hash_if_buffered(response.take_body());
    response.set_body(body);
    let etag = etag?;
    response.headers_mut().insert(header::ETAG, etag.clone());
    Some(etag)
}

fn is_json(content_type: Option<&HeaderValue>) -> bool {
    let Some(essence) = content_type.and_then(|value| value.to_str().ok()?.split(';').next()) else { return false };
    let essence = essence.trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Returns the body to send and, if all of it was in memory and it is not empty, its strong
/// ETag. The app's JSON bodies are single buffers, so this reads one chunk and copies nothing.
/// A streamed body (one that would make us wait) or one over [`MAX_TAGGED_BYTES`] is passed on
/// as it comes, with what was already read put back in front, and is not tagged.
fn hash_if_buffered(body: Body) -> (Body, Option<HeaderValue>) {
    let mut rest = Box::pin(body.into_bytes_stream());
    let (mut read, mut length) = (Vec::new(), 0);
    let complete = loop {
        match rest.next().now_or_never() {
            Some(None) => break true,
            Some(Some(Ok(chunk))) => {
                length += chunk.len();
                read.push(Ok(chunk));
                if length > MAX_TAGGED_BYTES {
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
        return (Body::from_bytes_stream(stream::iter(read).chain(rest)), None);
    }
    let chunks: Vec<_> = read.into_iter().flatten().collect();
    let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
    chunks.iter().for_each(|chunk| digest.update(chunk));
    let body = match chunks.len() {
        0 => return (Body::empty(), None),
        1 => Body::from_bytes(chunks.into_iter().next().expect("one chunk")),
        _ => Body::from_vec(chunks.concat()),
    };
    (body, Some(strong_etag(digest.finish().as_ref())))
}

/// The strong entity tag of `body`, as this middleware would give it.
pub fn etag_of(body: &[u8]) -> HeaderValue {
    strong_etag(ring::digest::digest(&ring::digest::SHA256, body).as_ref())
}

/// `"` + the first 128 bits of the SHA-256 in hex + `"`: a strong entity tag (RFC 9110 §8.8.3).
/// 128 bits make an accidental collision between two versions of a body out of the question.
fn strong_etag(sha256: &[u8]) -> HeaderValue {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut tag = Vec::with_capacity(34);
    tag.push(b'"');
    for byte in &sha256[..16] {
        tag.extend([HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 0xf)]]);
    }
    tag.push(b'"');
    HeaderValue::from_bytes(&tag).expect("hex digits and quotes are a valid header value")
}

/// The 304 for `response`: its headers, less those that describe the body it no longer has
/// (RFC 9110 §15.4.5 keeps `ETag`, `Cache-Control`, `Vary`, `Content-Location`, `Expires`).
fn not_modified(response: Response) -> Response {
    let (mut parts, _) = response.into_parts();
    let body_headers: Vec<HeaderName> = parts
        .headers
        .keys()
        .filter(|name| name.as_str().starts_with("content-") && *name != header::CONTENT_LOCATION)
        .cloned()
        .collect();
    for name in body_headers {
        parts.headers.remove(name);
    }
    parts.status = StatusCode::NOT_MODIFIED;
    Response::from_parts(parts, Body::empty())
}

/// Whether the `If-None-Match` field lines (one list) match `etag` by weak comparison (RFC 9110
/// §8.8.3.2). A field that does not parse matches nothing: 200 is always a correct answer to a
/// conditional GET, and a 304 on a misread header is not.
fn none_match(fields: &[HeaderValue], etag: &HeaderValue) -> bool {
    let Some((current, b"")) = entity_tag(etag.as_bytes()) else { return false };
    match parse_if_none_match(fields) {
        Some(Condition::Any) => true,
        Some(Condition::Tags(tags)) => tags.contains(&current),
        None => false,
    }
}

enum Condition<'a> {
    /// `*`: any current representation.
    Any,
    /// The opaque tags listed (weak or not, which the comparison ignores).
    Tags(Vec<&'a [u8]>),
}

/// `If-None-Match = "*" / #entity-tag`, over all field lines; empty list elements are allowed.
fn parse_if_none_match(fields: &[HeaderValue]) -> Option<Condition<'_>> {
    let (mut stars, mut tags) = (0, Vec::new());
    for field in fields {
        let mut rest = field.as_bytes();
        loop {
            rest = rest.trim_ascii_start();
            match rest.first() {
                None => break,
                Some(b',') => rest = &rest[1..],
                Some(b'*') => {
                    stars += 1;
                    rest = after_member(&rest[1..])?;
                }
                Some(_) => {
                    let (tag, after) = entity_tag(rest)?;
                    tags.push(tag);
                    rest = after_member(after)?;
                }
            }
        }
    }
    match (stars, tags.is_empty()) {
        (0, _) => Some(Condition::Tags(tags)),
        (1, true) => Some(Condition::Any),
        _ => None,
    }
}

/// After a list member: only whitespace, then a comma or the end.
fn after_member(rest: &[u8]) -> Option<&[u8]> {
    let rest = rest.trim_ascii_start();
    match rest.first() {
        None => Some(rest),
        Some(b',') => Some(&rest[1..]),
        Some(_) => None,
    }
}

/// `entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE` at the start of `input`: the opaque tag
/// (without quotes) and what follows it.
fn entity_tag(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let quoted = input.strip_prefix(b"W/").unwrap_or(input).strip_prefix(b"\"")?;
    let end = quoted.iter().position(|&byte| byte == b'"')?;
    let etagc = |byte: &u8| *byte == 0x21 || (0x23..=0x7e).contains(byte) || *byte >= 0x80;
    quoted[..end].iter().all(etagc).then(|| (&quoted[..end], &quoted[end + 1..]))
}
