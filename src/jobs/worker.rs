//! One worker: claim a task, run it under its time limits and cancellation, record the outcome,
//! repeat. A task's panic is caught and recorded as its failure; the worker goes on.

use std::sync::Arc;
use std::time::Duration;

use fang::AsyncRunnable;
use tokio::sync::watch;
use tracing::Instrument;

use super::context::{StopReason, TaskContext};
use super::limits::TimeLimits;
use super::queue::JobQueue;
use super::running::Running;
use super::Retention;
use crate::db::jobs::now_ms;
use crate::db::jobs::queue::{self as store, Claimed, Outcome};
use crate::db::DbError;

/// How long a cancelled task may take to stop itself before it is stopped.
const CANCEL_GRACE: Duration = Duration::from_secs(5);

/// What every worker of a process shares.
#[derive(Clone)]
pub struct WorkerShared {
    pub queue: JobQueue,
    pub limits: Arc<TimeLimits>,
    pub running: Running,
    pub retention: Retention,
    /// How often an idle worker looks for due tasks queued elsewhere (other processes, retries).
    pub poll: Duration,
    /// Becomes `true` at shutdown: stop claiming.
    pub stopping: watch::Receiver<bool>,
}

/// Runs worker `id` until shutdown.
pub async fn work(id: String, shared: WorkerShared) {
    let mut stopping = shared.stopping.clone();
    while !*stopping.borrow() {
        match shared.queue.claim(id.clone(), None).await {
            Ok(Some(claimed)) => run_claimed(&id, &shared, claimed).await,
            Ok(None) => idle(&shared, &mut stopping).await,
            Err(err) => {
                tracing::warn!(worker = %id, error = %err, "claiming a task failed; trying again");
                tokio::time::sleep(shared.poll * 10).await;
            }
        }
    }
}

/// Waits for a wake-up, the poll interval, or shutdown; polls cheaply (a read) meanwhile.
async fn idle(shared: &WorkerShared, stopping: &mut watch::Receiver<bool>) {
    loop {
        tokio::select! {
            () = shared.queue.woken() => return,
            _ = stopping.changed() => return,
            () = tokio::time::sleep(shared.poll) => {
                if shared.queue.has_due().await.unwrap_or(true) {
                    return;
                }
            }
        }
    }
}

async fn run_claimed(worker: &str, shared: &WorkerShared, claimed: Claimed) {
    let db = shared.queue.db().clone();
    let context = TaskContext::new(db.for_background(), claimed.id, claimed.attempt, shared.retention);
    let _registration = shared.running.add(claimed.id, context.clone());
    let span = tracing::debug_span!("job", name = %claimed.name, task = %claimed.id, attempt = claimed.attempt);
    let outcome = match serde_json::from_str::<Box<dyn AsyncRunnable>>(&claimed.metadata) {
        Ok(task) => run_with_limits(shared, &claimed, task, context).instrument(span).await,
        Err(err) => Outcome::Failed { error: format!("the task cannot be read: {err}"), retry_at_ms: None },
    };
    let (id, attempt) = (claimed.id, claimed.attempt);
    let logged = outcome.clone();
    let recorded = db
        .write("jobs.finish", move |tx| store::finish(tx, &id, attempt, &outcome, now_ms()).map_err(DbError::from))
        .await;
    match recorded {
        Ok(true) => log_outcome(worker, &claimed, &logged),
        Ok(false) => {
            tracing::warn!(worker, task = %id, "the task was recovered by another worker while it ran; this run's outcome is dropped")
        }
        Err(err) => {
            tracing::error!(worker, task = %id, error = %err, "could not record a task's outcome; it will be recovered")
        }
    }
}

fn log_outcome(worker: &str, claimed: &Claimed, outcome: &Outcome) {
    let (task, name, attempt) = (claimed.id.to_string(), claimed.name.as_str(), claimed.attempt);
    match outcome {
        Outcome::Succeeded(_) => tracing::debug!(worker, %task, name, attempt, "task succeeded"),
        Outcome::Failed { error, retry_at_ms } => {
            tracing::warn!(worker, %task, name, attempt, error, retry = retry_at_ms.is_some(), "task failed")
        }
        Outcome::TimedOut(error) => tracing::warn!(worker, %task, name, attempt, error, "task timed out"),
        Outcome::Cancelled(_) => tracing::info!(worker, %task, name, attempt, "task cancelled"),
    }
}

/// Runs the task on its own tokio task (so a panic is caught there), telling it to wrap up at
/// the soft limit and stopping it at the hard limit.
async fn run_with_limits(
    shared: &WorkerShared,
    claimed: &Claimed,
    task: Box<dyn AsyncRunnable>,
    context: TaskContext,
) -> Outcome {
    let limits = shared.limits.for_task(&claimed.name);
    let queue = shared.queue.clone();
    // fang's backoff for this attempt, asked now: the task itself moves into its run.
    let retry_delay_ms = i64::from(task.backoff(u32::try_from(claimed.attempt).unwrap_or(u32::MAX))) * 1000;
    let scoped = context.clone();
    // In the job's span: the task's units of work are its children in a flamegraph.
    let mut handle = tokio::spawn(scoped.scope(async move { task.run(&queue).await }).in_current_span());
    let soft = tokio::time::sleep(limits.soft);
    let hard = tokio::time::sleep(limits.hard);
    tokio::pin!(soft, hard);
    let mut soft_passed = false;
    let joined = loop {
        tokio::select! {
            joined = &mut handle => break Some(joined),
            () = &mut soft, if !soft_passed => {
                soft_passed = true;
                context.request_wrap_up();
            }
            () = &mut hard => context.request_stop(StopReason::TimeLimit),
            () = context.stop_requested() => {
                // Told to stop: give the task a moment to stop itself, then stop it.
                let grace = if context.stop_reason() == Some(StopReason::Cancel) { CANCEL_GRACE } else { Duration::ZERO };
                match tokio::time::timeout(grace, &mut handle).await {
                    Ok(joined) => break Some(joined),
                    Err(_) => {
                        handle.abort();
                        break None;
                    }
                }
            }
        }
    };
    match context.stop_reason() {
        Some(StopReason::Cancel) => return Outcome::Cancelled("cancelled while it ran".to_string()),
        Some(StopReason::TimeLimit) => {
            return Outcome::TimedOut(format!("stopped at its hard time limit of {} s", limits.hard.as_secs_f64()))
        }
        Some(StopReason::Shutdown) => {
            let error = "interrupted by a shutdown; queued to run again".to_string();
            return Outcome::Failed { error, retry_at_ms: Some(now_ms()) };
        }
        None => {}
    }
    let backoff = |task_error: String| {
        let retry = claimed.attempt <= claimed.max_retries;
        Outcome::Failed { error: task_error, retry_at_ms: retry.then(|| now_ms() + retry_delay_ms) }
    };
    match joined {
        Some(Ok(Ok(()))) => {
            let result = context.take_result().unwrap_or(serde_json::Value::Null);
            Outcome::Succeeded(result.to_string())
        }
        Some(Ok(Err(err))) => backoff(err.description),
        Some(Err(join)) if join.is_panic() => {
            backoff(format!("the task panicked: {}", panic_message(join.into_panic())))
        }
        Some(Err(_)) | None => Outcome::Cancelled("its run was aborted".to_string()),
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload.downcast::<&str>().map_or_else(|_| "(no message)".to_string(), |m| m.to_string()),
    }
}
