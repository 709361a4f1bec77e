//! One error shape for every failure, and the response types that carry it.
//!
//! Handlers work with [`AppError`]. Each operation's response type lists only the statuses that
//! operation can return, so the spec stays honest, and all of them share one body, [`ErrorBody`].

use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::types::Type;
use serde::Serialize;

use super::json::FastJson;
use poem_openapi::{ApiResponse, Object};

use super::request_id;
use crate::db::DbError;
use crate::model::admin::FieldError;

/// The body of every error response.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Error")]
pub struct ErrorBody {
    /// A stable, machine-readable code: `invalid_request`, `not_found`, `unauthorized`, ...
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
    /// More about the problem, when there is more to say: text (for example which parameter),
    /// or, when a write's body fails validation, every field's problem as `{field, message}`.
    #[oai(skip_serializing_if_is_none)]
    pub details: Option<ErrorDetails>,
    /// The request's id, also sent as the `X-Request-Id` header; quote it when reporting a problem.
    pub request_id: String,
}

/// An error's details: text, or the list of a body's field problems. (Its schema is written
/// in `error_details.rs`: a derived union would also claim `type: object`, which text is not.)
#[derive(Debug, Clone)]
pub enum ErrorDetails {
    Text(String),
    Fields(Vec<FieldError>),
}

/// What can go wrong inside the application.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String, Option<String>),
    /// A body that broke the rules, with every field's problem.
    #[error("{}", invalid_fields_message(.0))]
    InvalidFields(Vec<FieldError>),
    #[error("{0}")]
    NotFound(String),
    #[error("a bearer token is required")]
    Unauthorized,
    #[error("the bearer token is not valid")]
    Forbidden,
    #[error("{0}")]
    Conflict(String),
    /// The request may succeed later: the database is busy with other writes, or the server
    /// serves a read-only database.
    #[error("{message}")]
    Unavailable { message: String, retry_after_secs: Option<u64> },
    /// Logged with its cause; the client sees only a generic message and the request id.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Seconds a client is asked to wait after a write found the database busy.
const BUSY_RETRY_AFTER_SECS: u64 = 1;

impl From<DbError> for AppError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::Busy(_) => Self::Unavailable {
                message: "the database is busy with other writes; try again shortly".to_string(),
                retry_after_secs: Some(BUSY_RETRY_AFTER_SECS),
            },
            DbError::WritesRefused => {
                Self::Unavailable { message: DbError::WritesRefused.to_string(), retry_after_secs: None }
            }
            DbError::Invalid(message, details) => Self::BadRequest(message, details),
            DbError::InvalidFields(fields) => Self::InvalidFields(fields),
            DbError::NotFound(message) => Self::NotFound(message),
            DbError::Conflict(message) => Self::Conflict(message),
            other => Self::Internal(other.into()),
        }
    }
}

/// A lookup's answer: the value, or a 404 saying what is missing.
pub fn found<T>(result: Result<Option<T>, DbError>, missing: impl FnOnce() -> String) -> Result<T, AppError> {
    result?.ok_or_else(|| AppError::NotFound(missing()))
}

impl From<rusqlite::Error> for AppError {
    fn from(err: rusqlite::Error) -> Self {
        DbError::from(err).into()
    }
}

impl AppError {
    /// The `Retry-After` header's value, in seconds, for a 503 that has one.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::Unavailable { retry_after_secs, .. } => *retry_after_secs,
            _ => None,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(..) | AppError::InvalidFields(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The JSON body; an internal error is logged here, with its cause, and not shown.
    pub fn body(&self) -> Json<ErrorBody> {
        let request_id = request_id::current();
        let (code, message, details) = match self {
            AppError::BadRequest(message, details) => {
                ("invalid_request", message.clone(), details.clone().map(ErrorDetails::Text))
            }
            AppError::InvalidFields(fields) => {
                ("invalid_request", self.to_string(), Some(ErrorDetails::Fields(fields.clone())))
            }
            AppError::NotFound(message) => ("not_found", message.clone(), None),
            AppError::Unauthorized => {
                let details = ErrorDetails::Text("send `Authorization: Bearer <token>`".to_string());
                ("unauthorized", self.to_string(), Some(details))
            }
            AppError::Forbidden => ("forbidden", self.to_string(), None),
            AppError::Conflict(message) => ("conflict", message.clone(), None),
            AppError::Unavailable { message, retry_after_secs } => {
                let details = retry_after_secs.map(|secs| ErrorDetails::Text(format!("retry after {secs} s")));
                ("unavailable", message.clone(), details)
            }
            AppError::Internal(cause) => {
                tracing::error!(request_id = %request_id, error = ?cause, "internal error");
                ("internal_error", "the server failed to handle this request".to_string(), None)
            }
        };
        Json(ErrorBody { code: code.to_string(), message, details, request_id })
    }

    /// Turns a framework error (a parameter that does not parse, a missing token, ...) into ours.
    pub fn from_poem(err: &poem::Error) -> Self {
        if let Some(invalid) = err.downcast_ref::<InvalidBody>() {
            return AppError::InvalidFields(invalid.0.clone());
        }
        match err.status() {
            StatusCode::UNAUTHORIZED => AppError::Unauthorized,
            StatusCode::NOT_FOUND => AppError::NotFound(err.to_string()),
            _ => AppError::BadRequest(err.to_string(), None),
        }
    }
}

/// A body that failed validation, carried through poem's extractor error to the response.
#[derive(Debug, thiserror::Error)]
#[error("{}", invalid_fields_message(.0))]
pub struct InvalidBody(pub Vec<FieldError>);

/// `title: must not be empty; genres[1]: unknown genre 'Nope'`.
fn invalid_fields_message(fields: &[FieldError]) -> String {
    let listed: Vec<String> = fields.iter().map(|error| format!("{}: {}", error.field, error.message)).collect();
    format!("the body is invalid: {}", listed.join("; "))
}

/// Responses of a read that can only fail on bad input or inside the server.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "read_bad_request")]
pub enum Read<T: Type + Serialize + Send + Sync> {
    /// Success.
    #[oai(status = 200)]
    Ok(FastJson<T>),
    /// A parameter is missing or invalid.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// The server failed; the body carries the request id that its log names.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
}

fn read_bad_request<T: Type + Serialize + Send + Sync>(err: poem::Error) -> Read<T> {
    AppError::from_poem(&err).into()
}

impl<T: Type + Serialize + Send + Sync> From<AppError> for Read<T> {
    fn from(err: AppError) -> Self {
        match err.status() {
            StatusCode::BAD_REQUEST => Read::BadRequest(err.body()),
            _ => Read::Internal(err.body()),
        }
    }
}

impl<T: Type + Serialize + Send + Sync, E: Into<AppError>> From<Result<T, E>> for Read<T> {
    fn from(result: Result<T, E>) -> Self {
        result.map_or_else(|err| err.into().into(), |value| Read::Ok(FastJson(value)))
    }
}

/// Responses of a read of something that may not exist.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "lookup_bad_request")]
pub enum Lookup<T: Type + Serialize + Send + Sync> {
    /// Success.
    #[oai(status = 200)]
    Ok(FastJson<T>),
    /// A parameter is missing or invalid.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Nothing has that id (or the page is past the end).
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The server failed; the body carries the request id that its log names.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
}

fn lookup_bad_request<T: Type + Serialize + Send + Sync>(err: poem::Error) -> Lookup<T> {
    AppError::from_poem(&err).into()
}

impl<T: Type + Serialize + Send + Sync> From<AppError> for Lookup<T> {
    fn from(err: AppError) -> Self {
        match err.status() {
            StatusCode::BAD_REQUEST => Lookup::BadRequest(err.body()),
            StatusCode::NOT_FOUND => Lookup::NotFound(err.body()),
            _ => Lookup::Internal(err.body()),
        }
    }
}

impl<T: Type + Serialize + Send + Sync, E: Into<AppError>> From<Result<T, E>> for Lookup<T> {
    fn from(result: Result<T, E>) -> Self {
        result.map_or_else(|err| err.into().into(), |value| Lookup::Ok(FastJson(value)))
    }
}
