//! Response types of the task operations: each lists what it can really answer.

use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::ApiResponse;

use super::error::{AppError, ErrorBody};
use super::json::FastJson;
use poem_openapi::types::Type;
use serde::Serialize;

use crate::model::tasks::{TaskQueued, TaskState};

/// Responses of queuing a task.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "queued_bad_request")]
pub enum Queued {
    /// Queued; follow it at `Location`.
    #[oai(status = 202)]
    Accepted(FastJson<TaskQueued>, #[oai(header = "Location")] String),
    /// An argument is invalid; `details` names it.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No `Authorization: Bearer` token was sent (the admin's operations only).
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// The token is not the admin token (the admin's operations only).
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// The movie, user or schedule named does not exist.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The server failed; the body carries the request id that its log names.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// The queue is full, or the server takes no writes (read-only); try again later.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>, #[oai(header = "Retry-After")] Option<String>),
}

impl Queued {
    /// 202 for task `id` of type `task`, queued just now.
    pub fn accepted(task: String, id: uuid::Uuid) -> Self {
        let location = format!("/api/tasks/{id}");
        let body = TaskQueued {
            task,
            task_id: id.to_string(),
            status: TaskState::Pending.as_str().to_string(),
            monitor: format!("/flower/task/{id}"),
            location: location.clone(),
        };
        Queued::Accepted(FastJson(body), location)
    }
}

fn queued_bad_request(err: poem::Error) -> Queued {
    AppError::from_poem(&err).into()
}

impl From<AppError> for Queued {
    fn from(err: AppError) -> Self {
        match err.status() {
            StatusCode::BAD_REQUEST => Queued::BadRequest(err.body()),
            StatusCode::UNAUTHORIZED => Queued::Unauthorized(err.body()),
            StatusCode::FORBIDDEN => Queued::Forbidden(err.body()),
            StatusCode::NOT_FOUND => Queued::NotFound(err.body()),
            StatusCode::SERVICE_UNAVAILABLE => {
                let retry_after = err.retry_after().map(|secs| secs.to_string());
                Queued::Unavailable(err.body(), retry_after)
            }
            _ => Queued::Internal(err.body()),
        }
    }
}

/// Responses of an admin's action on a task or a schedule (cancel, retry, update, enable).
#[derive(ApiResponse)]
#[oai(bad_request_handler = "action_bad_request")]
pub enum Action<T: Type + Serialize + Send + Sync> {
    /// Done; the body is the task or schedule now.
    #[oai(status = 200)]
    Ok(FastJson<T>),
    /// The id or the body is invalid; `details` names the fields.
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
    /// Its state does not allow it (for example a retry of a task that succeeded), or the name
    /// is taken.
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The server failed; the body carries the request id that its log names.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// The server takes no writes now (it serves a read-only database), or is busy.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>, #[oai(header = "Retry-After")] Option<String>),
}

fn action_bad_request<T: Type + Serialize + Send + Sync>(err: poem::Error) -> Action<T> {
    AppError::from_poem(&err).into()
}

impl<T: Type + Serialize + Send + Sync> From<AppError> for Action<T> {
    fn from(err: AppError) -> Self {
        match err.status() {
            StatusCode::BAD_REQUEST => Action::BadRequest(err.body()),
            StatusCode::UNAUTHORIZED => Action::Unauthorized(err.body()),
            StatusCode::FORBIDDEN => Action::Forbidden(err.body()),
            StatusCode::NOT_FOUND => Action::NotFound(err.body()),
            StatusCode::CONFLICT => Action::Conflict(err.body()),
            StatusCode::SERVICE_UNAVAILABLE => {
                Action::Unavailable(err.body(), err.retry_after().map(|s| s.to_string()))
            }
            _ => Action::Internal(err.body()),
        }
    }
}

impl<T: Type + Serialize + Send + Sync, E: Into<AppError>> From<Result<T, E>> for Action<T> {
    fn from(result: Result<T, E>) -> Self {
        result.map_or_else(|err| err.into().into(), |value| Action::Ok(FastJson(value)))
    }
}

/// Responses of creating a schedule.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "saved_bad_request")]
pub enum Saved<T: Type + Serialize + Send + Sync> {
    /// Created; the body is the new record, and `Location` its URL.
    #[oai(status = 201)]
    Created(FastJson<T>, #[oai(header = "Location")] String),
    /// The body is invalid; `details` names every field at fault.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No `Authorization: Bearer` token was sent.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// The token is not the admin token.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// The name is taken.
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The body is larger than the server accepts.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// The server failed; the body carries the request id that its log names.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// The server takes no writes now (it serves a read-only database), or is busy.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>, #[oai(header = "Retry-After")] Option<String>),
}

fn saved_bad_request<T: Type + Serialize + Send + Sync>(err: poem::Error) -> Saved<T> {
    AppError::from_poem(&err).into()
}

impl<T: Type + Serialize + Send + Sync> From<AppError> for Saved<T> {
    fn from(err: AppError) -> Self {
        match err.status() {
            StatusCode::BAD_REQUEST => Saved::BadRequest(err.body()),
            StatusCode::UNAUTHORIZED => Saved::Unauthorized(err.body()),
            StatusCode::FORBIDDEN => Saved::Forbidden(err.body()),
            StatusCode::CONFLICT => Saved::Conflict(err.body()),
            StatusCode::SERVICE_UNAVAILABLE => Saved::Unavailable(err.body(), err.retry_after().map(|s| s.to_string())),
            _ => Saved::Internal(err.body()),
        }
    }
}
