//! Response types of the task operations: each lists what it can really answer.

use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::ApiResponse;

use super::error::{AppError, ErrorBody};
use super::json::FastJson;
use crate::model::tasks::{TaskInfo, TaskQueued};

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
    /// The movie or user the arguments name does not exist.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The server failed; the body carries the request id that its log names.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// The queue is full, or the server takes no writes (read-only); try again later.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>, #[oai(header = "Retry-After")] Option<String>),
}

fn queued_bad_request(err: poem::Error) -> Queued {
    AppError::from_poem(&err).into()
}

impl From<AppError> for Queued {
    fn from(err: AppError) -> Self {
        match err.status() {
            StatusCode::BAD_REQUEST => Queued::BadRequest(err.body()),
            StatusCode::NOT_FOUND => Queued::NotFound(err.body()),
            StatusCode::SERVICE_UNAVAILABLE => {
                let retry_after = err.retry_after().map(|secs| secs.to_string());
                Queued::Unavailable(err.body(), retry_after)
            }
            _ => Queued::Internal(err.body()),
        }
    }
}

/// Responses of an admin's action on a task (cancel, retry).
#[derive(ApiResponse)]
#[oai(bad_request_handler = "task_action_bad_request")]
pub enum TaskAction {
    /// Done; the body is the task now.
    #[oai(status = 200)]
    Ok(FastJson<TaskInfo>),
    /// The id is not a UUID.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No `Authorization: Bearer` token was sent.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// The token is not the admin token.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// No task has that id.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The task's state does not allow it (for example a retry of a task that succeeded).
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The server failed; the body carries the request id that its log names.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// The server takes no writes now (it serves a read-only database), or is busy.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>, #[oai(header = "Retry-After")] Option<String>),
}

fn task_action_bad_request(err: poem::Error) -> TaskAction {
    AppError::from_poem(&err).into()
}

impl From<AppError> for TaskAction {
    fn from(err: AppError) -> Self {
        match err.status() {
            StatusCode::BAD_REQUEST => TaskAction::BadRequest(err.body()),
            StatusCode::UNAUTHORIZED => TaskAction::Unauthorized(err.body()),
            StatusCode::FORBIDDEN => TaskAction::Forbidden(err.body()),
            StatusCode::NOT_FOUND => TaskAction::NotFound(err.body()),
            StatusCode::CONFLICT => TaskAction::Conflict(err.body()),
            StatusCode::SERVICE_UNAVAILABLE => {
                let retry_after = err.retry_after().map(|secs| secs.to_string());
                TaskAction::Unavailable(err.body(), retry_after)
            }
            _ => TaskAction::Internal(err.body()),
        }
    }
}
