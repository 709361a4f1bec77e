//! Response types of the admin writes: each lists what a write can answer, token failures,
//! every field's problem (400), unknown records (404) and conflicts (409) included.

use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::types::Type;
use poem_openapi::ApiResponse;
use serde::Serialize;

use crate::api::error::{AppError, ErrorBody};
use crate::api::json::FastJson;

/// Responses of an admin create.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "saved_bad_request")]
pub enum Saved<T: Type + Serialize + Send + Sync> {
    /// Created; the body is the new record, and `Location` its URL.
    #[oai(status = 201)]
    Created(FastJson<T>, #[oai(header = "Location")] String),
    /// The body is invalid: `details` lists every field's problem as `{field, message}`.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No `Authorization: Bearer` token was sent.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// The token is not the admin token.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// A record the body names does not exist; the message names it.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The record would break a uniqueness rule (its id or name is taken).
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The body is larger than the server accepts.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// The body is not `application/json`.
    #[oai(status = 415)]
    UnsupportedMediaType(Json<ErrorBody>),
    /// The server failed; the body carries the request id that its log names.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// The database is busy with other writes (try again after `Retry-After` seconds), or the
    /// server runs read-only.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>, #[oai(header = "Retry-After")] Option<String>),
}

/// Responses of an admin update.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "changed_bad_request")]
pub enum Changed<T: Type + Serialize + Send + Sync> {
    /// Changed; the body is the record as it is now.
    #[oai(status = 200)]
    Ok(FastJson<T>),
    /// A parameter or the body is invalid: `details` lists every field's problem.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No `Authorization: Bearer` token was sent.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// The token is not the admin token.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// The record, or one the body names, does not exist; the message names it.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The change would break a uniqueness rule.
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The body is larger than the server accepts.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// The body is not `application/json`.
    #[oai(status = 415)]
    UnsupportedMediaType(Json<ErrorBody>),
    /// The server failed; the body carries the request id that its log names.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// The database is busy with other writes (try again after `Retry-After` seconds), or the
    /// server runs read-only.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>, #[oai(header = "Retry-After")] Option<String>),
}

/// Responses of an admin delete.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "removed_bad_request")]
pub enum Removed {
    /// Deleted.
    #[oai(status = 204)]
    Deleted,
    /// A parameter is invalid.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No `Authorization: Bearer` token was sent.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// The token is not the admin token.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// Nothing has that id; the message names it.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The record is in use (a genre that movies have, without `detach=true`).
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The server failed; the body carries the request id that its log names.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// The database is busy with other writes (try again after `Retry-After` seconds), or the
    /// server runs read-only.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>, #[oai(header = "Retry-After")] Option<String>),
}

fn retry_after(err: &AppError) -> Option<String> {
    err.retry_after().map(|secs| secs.to_string())
}

/// A framework error (a body or parameter that did not read) as our error.
fn from_framework(err: &poem::Error) -> (AppError, bool) {
    (AppError::from_poem(err), err.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE)
}

fn unsupported(err: &AppError) -> Json<ErrorBody> {
    let mut body = err.body();
    body.0.code = "unsupported_media_type".to_string();
    body
}

fn saved_bad_request<T: Type + Serialize + Send + Sync>(err: poem::Error) -> Saved<T> {
    match from_framework(&err) {
        (err, true) => Saved::UnsupportedMediaType(unsupported(&err)),
        (err, false) => err.into(),
    }
}

fn changed_bad_request<T: Type + Serialize + Send + Sync>(err: poem::Error) -> Changed<T> {
    match from_framework(&err) {
        (err, true) => Changed::UnsupportedMediaType(unsupported(&err)),
        (err, false) => err.into(),
    }
}

fn removed_bad_request(err: poem::Error) -> Removed {
    AppError::from_poem(&err).into()
}

impl<T: Type + Serialize + Send + Sync> From<AppError> for Saved<T> {
    fn from(err: AppError) -> Self {
        match err.status() {
            StatusCode::BAD_REQUEST => Saved::BadRequest(err.body()),
            StatusCode::UNAUTHORIZED => Saved::Unauthorized(err.body()),
            StatusCode::FORBIDDEN => Saved::Forbidden(err.body()),
            StatusCode::NOT_FOUND => Saved::NotFound(err.body()),
            StatusCode::CONFLICT => Saved::Conflict(err.body()),
            StatusCode::SERVICE_UNAVAILABLE => Saved::Unavailable(err.body(), retry_after(&err)),
            _ => Saved::Internal(err.body()),
        }
    }
}

impl<T: Type + Serialize + Send + Sync> From<AppError> for Changed<T> {
    fn from(err: AppError) -> Self {
        match err.status() {
            StatusCode::BAD_REQUEST => Changed::BadRequest(err.body()),
            StatusCode::UNAUTHORIZED => Changed::Unauthorized(err.body()),
            StatusCode::FORBIDDEN => Changed::Forbidden(err.body()),
            StatusCode::NOT_FOUND => Changed::NotFound(err.body()),
            StatusCode::CONFLICT => Changed::Conflict(err.body()),
            StatusCode::SERVICE_UNAVAILABLE => Changed::Unavailable(err.body(), retry_after(&err)),
            _ => Changed::Internal(err.body()),
        }
    }
}

impl From<AppError> for Removed {
    fn from(err: AppError) -> Self {
        match err.status() {
            StatusCode::BAD_REQUEST => Removed::BadRequest(err.body()),
            StatusCode::UNAUTHORIZED => Removed::Unauthorized(err.body()),
            StatusCode::FORBIDDEN => Removed::Forbidden(err.body()),
            StatusCode::NOT_FOUND => Removed::NotFound(err.body()),
            StatusCode::CONFLICT => Removed::Conflict(err.body()),
            StatusCode::SERVICE_UNAVAILABLE => Removed::Unavailable(err.body(), retry_after(&err)),
            _ => Removed::Internal(err.body()),
        }
    }
}
