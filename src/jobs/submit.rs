//! Queuing a task by name with JSON arguments, checked first: nothing invalid enters the queue.

use rusqlite::Transaction;
use uuid::Uuid;

use super::queue::{Enqueue, JobQueue};
use super::running::Running;
use super::tasks::{self, ArgError, BuildError};
use crate::db::{profiles, ratings, DbError};

/// What the API and the scheduler queue through: the queue, this process's running tasks, and
/// the cap on waiting tasks.
#[derive(Clone)]
pub struct Jobs {
    pub queue: JobQueue,
    pub running: Running,
    /// Tasks may wait in the queue up to about this many (the count is a quarter second old at
    /// most); more are refused until it drains.
    pub max_queued: i64,
    /// Workers that have not beaten their heartbeat for this long are presumed dead.
    pub lease: std::time::Duration,
}

/// Why a task was not queued.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("unknown task {0:?}; the tasks are: {known}", known = tasks::names().join(", "))]
    UnknownTask(String),
    #[error("invalid arguments: {}", describe(.0))]
    Args(Vec<ArgError>),
    #[error("{0}")]
    NotFound(String),
    #[error("the queue holds {0} waiting tasks, its limit; try again when it has drained")]
    QueueFull(i64),
    #[error(transparent)]
    Db(#[from] DbError),
}

fn describe(errors: &[ArgError]) -> String {
    errors.iter().map(|err| format!("{}: {}", err.field, err.message)).collect::<Vec<_>>().join("; ")
}

impl SubmitError {
    /// The fields at fault, comma-separated, for an error's `details`.
    pub fn fields(&self) -> Option<String> {
        match self {
            Self::Args(errors) => Some(errors.iter().map(|err| err.field.as_str()).collect::<Vec<_>>().join(", ")),
            Self::UnknownTask(_) => Some("task".to_string()),
            _ => None,
        }
    }
}

impl Jobs {
    /// A handle over a database that is never opened, for building the OpenAPI document.
    pub fn detached(db: crate::db::Db) -> Self {
        Self { queue: JobQueue::new(db), running: Running::default(), max_queued: 0, lease: std::time::Duration::ZERO }
    }

    /// Checks `args` for task `name` (types, ranges, that the movie or user exists) and queues it.
    pub async fn submit(&self, name: &str, args: &serde_json::Value, when: Enqueue) -> Result<Uuid, SubmitError> {
        let built = tasks::build_task(name, args).map_err(|err| match err {
            BuildError::UnknownTask(name) => SubmitError::UnknownTask(name),
            BuildError::Args(errors) => SubmitError::Args(errors),
        })?;
        let waiting = self.queue.waiting().await?;
        if waiting >= self.max_queued {
            return Err(SubmitError::QueueFull(waiting));
        }
        // The movie or user is looked up in the transaction that queues the task: no read of its
        // own before the write, and no way for it to be deleted in between.
        let references = built.references;
        let exists = move |tx: &Transaction| match references.movie_id {
            Some(id) if !profiles::movie_exists(tx, id)? => Err(SubmitError::NotFound(format!("no movie has id {id}"))),
            _ => match references.user_id {
                Some(id) if !ratings::user_exists(tx, id)? => {
                    Err(SubmitError::NotFound(format!("no user has id {id}")))
                }
                _ => Ok(()),
            },
        };
        self.queue.enqueue_checked(built.task.as_ref(), when, exists).await
    }

    /// Checks `args` for task `name` without queuing anything (for schedules).
    pub fn check(name: &str, args: &serde_json::Value) -> Result<(), SubmitError> {
        tasks::build_task(name, args).map(drop).map_err(|err| match err {
            BuildError::UnknownTask(name) => SubmitError::UnknownTask(name),
            BuildError::Args(errors) => SubmitError::Args(errors),
        })
    }
}
