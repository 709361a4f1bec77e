//! One task's page: everything the task API tells about it, its runs, and the Cancel and Retry
//! buttons its state allows.

use uuid::Uuid;

use super::display::{pretty_json, run_time};
use crate::db::jobs::listing;
use crate::db::DbError;
use crate::jobs::submit::Jobs;
use crate::model::tasks::{TaskAttempt, TaskInfo, TaskState};
use crate::web::templates::{self, Layout};
use crate::web::Session;

/// Task `id` with its runs, or `None`.
pub async fn load(jobs: &Jobs, id: Uuid) -> Result<Option<(TaskInfo, Vec<TaskAttempt>)>, DbError> {
    jobs.queue
        .db()
        .read("flower.task", move |tx| {
            let Some(task) = listing::get(tx, &id)? else { return Ok(None) };
            Ok::<_, DbError>(Some((task, listing::attempts(tx, &id)?)))
        })
        .await
}

/// Whether a Cancel button applies: the task waits or runs.
pub fn can_cancel(state: TaskState) -> bool {
    matches!(state, TaskState::Pending | TaskState::Retrying | TaskState::Running)
}

/// Whether a Retry button applies: the task failed, timed out or was cancelled.
pub fn can_retry(state: TaskState) -> bool {
    matches!(state, TaskState::Failed | TaskState::TimedOut | TaskState::Cancelled)
}

pub fn render(task: &TaskInfo, attempts: &[TaskAttempt], session: &Session) -> anyhow::Result<String> {
    let runs: Vec<_> = attempts
        .iter()
        .map(|attempt| {
            minijinja::context! {
                attempt => attempt.attempt,
                worker => &attempt.worker,
                started_at => &attempt.started_at,
                finished_at => &attempt.finished_at,
                runtime => attempt.runtime_ms.map(|ms| run_time(ms as f64)),
                outcome => attempt.outcome.as_deref().unwrap_or("running"),
                error => &attempt.error,
            }
        })
        .collect();
    let context = minijinja::context! {
        id => &task.id,
        name => &task.name,
        state => task.state.as_str(),
        args => pretty_json(&task.args),
        result => task.result.as_ref().map(pretty_json),
        error => &task.error,
        received_at => &task.received_at,
        started_at => &task.started_at,
        finished_at => &task.finished_at,
        runtime => task.runtime_ms.map(|ms| run_time(ms as f64)),
        attempts => task.attempts,
        max_runs => task.max_retries + 1,
        worker => &task.worker,
        progress => &task.progress,
        cancel_requested => task.cancel_requested,
        schedule => &task.schedule,
        runs => runs,
        can_cancel => can_cancel(task.state),
        can_retry => can_retry(task.state),
        csrf => &session.csrf,
    };
    let title = format!("Task {}", task.name);
    templates::render("flower_task.html", context, Layout { title: &title, session: Some(session) })
}
