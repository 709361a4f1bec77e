//! An admin's actions on one task, shared by the task API and the task monitor's buttons.

use uuid::Uuid;

use super::context::StopReason;
use super::queue::JobQueue;
use super::running::Running;
use crate::db::jobs::{now_ms, queue as store};
use crate::db::{Db, DbError};
use crate::model::tasks::TaskState;

/// Cancels task `id`: removed from the queue if it waits; told to stop if it runs (at once if
/// it runs in this process; through the database within a quarter second otherwise).
pub async fn cancel(db: &Db, running: &Running, id: Uuid) -> Result<store::CancelOutcome, DbError> {
    let outcome = db.write("jobs.cancel", move |tx| store::cancel(tx, &id, now_ms()).map_err(DbError::from)).await?;
    if outcome == store::CancelOutcome::Requested {
        running.stop(&id, StopReason::Cancel);
    }
    Ok(outcome)
}

/// What a retry did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryOutcome {
    /// Queued to run again now.
    Queued,
    /// Only a failed, timed-out or cancelled task runs again; this one is in this state.
    NotRetryable(TaskState),
    NotFound,
}

/// Queues task `id` (failed, timed out or cancelled) to run again now with one more run
/// allowed, and wakes this process's idle workers so it starts without waiting for a poll.
pub async fn retry(queue: &JobQueue, id: Uuid) -> Result<RetryOutcome, DbError> {
    let retried = queue.db().write("jobs.retry", move |tx| store::retry(tx, &id, now_ms()).map_err(DbError::from));
    let outcome = match retried.await? {
        None => RetryOutcome::NotFound,
        Some(Err(state)) => RetryOutcome::NotRetryable(state),
        Some(Ok(())) => RetryOutcome::Queued,
    };
    if outcome == RetryOutcome::Queued {
        queue.wake_all();
    }
    Ok(outcome)
}
