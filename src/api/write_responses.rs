//! Response types of the writes: each lists what a write can really answer, token failures included.

use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::types::Type;
use serde::Serialize;

use super::json::FastJson;
use poem_openapi::ApiResponse;

use super::error::{AppError, ErrorBody};

/// Responses of a create.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "created_bad_request")]
pub enum Created<T: Type + Serialize + Send + Sync> {
    /// Created; the body is the new record, and `Location` its URL.
    #[oai(status = 201)]
    Created(FastJson<T>, #[oai(header = "Location")] String),
    /// The body is malformed or refers to something that does not exist.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No `Authorization: Bearer` token was sent.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// The token is not the admin token.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// The body is larger than the server accepts.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// The body is not `application/json`.
    #[oai(status = 415)]
    UnsupportedMediaType(Json<ErrorBody>),
    /// The server takes no writes now (it serves a read-only database).
    #[oai(status = 503)]
    ServiceUnavailable(Json<ErrorBody>),
    /// The server failed; the body carries the request id that its log names.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// The database is busy with other writes (try again after `Retry-After` seconds), or the
    /// server runs read-only.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>, #[oai(header = "Retry-After")] Option<String>),
}

fn created_bad_request<T: Type + Serialize + Send + Sync>(err: poem::Error) -> Created<T> {
    match err.status() {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Created::UnsupportedMediaType(unsupported_media_type(&err)),
        _ => AppError::from_poem(&err).into(),
    }
}

fn unsupported_media_type(err: &poem::Error) -> Json<ErrorBody> {
    let mut body = AppError::BadRequest(err.to_string(), None).body();
    body.0.code = "unsupported_media_type".to_string();
    body
}

impl<T: Type + Serialize + Send + Sync> From<AppError> for Created<T> {
    fn from(err: AppError) -> Self {
        match err.status() {
            StatusCode::BAD_REQUEST => Created::BadRequest(err.body()),
            StatusCode::UNAUTHORIZED => Created::Unauthorized(err.body()),
            StatusCode::FORBIDDEN => Created::Forbidden(err.body()),
            StatusCode::SERVICE_UNAVAILABLE => Created::Unavailable(err.body(), retry_after(&err)),
            _ => Created::Internal(err.body()),
        }
    }
}

fn retry_after(err: &AppError) -> Option<String> {
    err.retry_after().map(|secs| secs.to_string())
}

/// Responses of a delete.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "deleted_bad_request")]
pub enum Deleted {
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
    /// Nothing has that id.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The server takes no writes now (it serves a read-only database).
    #[oai(status = 503)]
    ServiceUnavailable(Json<ErrorBody>),
    /// The server failed; the body carries the request id that its log names.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// The database is busy with other writes (try again after `Retry-After` seconds), or the
    /// server runs read-only.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>, #[oai(header = "Retry-After")] Option<String>),
}

fn deleted_bad_request(err: poem::Error) -> Deleted {
    AppError::from_poem(&err).into()
}

impl From<AppError> for Deleted {
    fn from(err: AppError) -> Self {
        match err.status() {
            StatusCode::BAD_REQUEST => Deleted::BadRequest(err.body()),
            StatusCode::UNAUTHORIZED => Deleted::Unauthorized(err.body()),
            StatusCode::FORBIDDEN => Deleted::Forbidden(err.body()),
            StatusCode::NOT_FOUND => Deleted::NotFound(err.body()),
            StatusCode::SERVICE_UNAVAILABLE => Deleted::Unavailable(err.body(), retry_after(&err)),
            _ => Deleted::Internal(err.body()),
        }
    }
}

/// Responses of a write that answers with a result rather than a new record.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "done_bad_request")]
pub enum Done<T: Type + Serialize + Send + Sync> {
    /// Done; the body is the result.
    #[oai(status = 200)]
    Ok(FastJson<T>),
    /// A parameter is missing or invalid.
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
    /// The database is busy with other writes (try again after `Retry-After` seconds), or the
    /// server runs read-only.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>, #[oai(header = "Retry-After")] Option<String>),
}

fn done_bad_request<T: Type + Serialize + Send + Sync>(err: poem::Error) -> Done<T> {
    AppError::from_poem(&err).into()
}

impl<T: Type + Serialize + Send + Sync> From<AppError> for Done<T> {
    fn from(err: AppError) -> Self {
        match err.status() {
            StatusCode::BAD_REQUEST => Done::BadRequest(err.body()),
            StatusCode::UNAUTHORIZED => Done::Unauthorized(err.body()),
            StatusCode::FORBIDDEN => Done::Forbidden(err.body()),
            StatusCode::SERVICE_UNAVAILABLE => Done::Unavailable(err.body(), retry_after(&err)),
            _ => Done::Internal(err.body()),
        }
    }
}

impl<T: Type + Serialize + Send + Sync, E: Into<AppError>> From<Result<T, E>> for Done<T> {
    fn from(result: Result<T, E>) -> Self {
        result.map_or_else(|err| err.into().into(), |value| Done::Ok(FastJson(value)))
    }
}
