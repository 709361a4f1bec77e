//! Moving tasks through the queue: queue, claim, finish, cancel and retry.
//!
//! The claim is one `UPDATE … WHERE id = (SELECT … LIMIT 1) AND state IN ('new', 'retried')
//! RETURNING …` inside an `IMMEDIATE` transaction. fang's own fetch is a SELECT and then a
//! separate UPDATE, which lets two workers take the same task; here the write lock is held from
//! the choice to the change, across processes too, so each task is claimed once.

use rusqlite::{params, OptionalExtension, Transaction};
use uuid::Uuid;

use super::{fang_seconds, id_bytes, id_from_blob};
use crate::model::tasks::TaskState;

/// A task to queue.
pub struct NewTask {
    pub id: Uuid,
    pub name: String,
    /// fang's serialized task: `{"type": name, ...args}`.
    pub metadata: String,
    /// The arguments alone, as a JSON object.
    pub args: String,
    pub task_type: String,
    pub uniq_hash: Option<String>,
    pub max_retries: i64,
    /// When it may start (ms); now for most.
    pub run_at_ms: i64,
    pub schedule_id: Option<i64>,
}

/// Queues `task`, in fang's table and ours.
pub fn insert(tx: &Transaction, task: &NewTask, now_ms: i64) -> rusqlite::Result<()> {
    let now_s = now_ms.div_euclid(1000);
    let due_s = if task.run_at_ms <= now_ms { now_s } else { fang_seconds(task.run_at_ms) };
    tx.prepare_cached(
        "INSERT INTO fang_tasks (id, metadata, task_type, uniq_hash, scheduled_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )?
    .execute(params![id_bytes(&task.id), task.metadata, task.task_type, task.uniq_hash, due_s, now_s])?;
    tx.prepare_cached(
        "INSERT INTO job_results (task_id, name, args, state, max_retries, received_at, schedule_id)
         VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6)",
    )?
    .execute(params![id_bytes(&task.id), task.name, task.args, task.max_retries, now_ms, task.schedule_id])?;
    Ok(())
}

/// A waiting task with the same `uniq_hash`, for task types that are unique while queued.
pub fn find_waiting_by_hash(tx: &Transaction, hash: &str) -> rusqlite::Result<Option<Uuid>> {
    tx.prepare_cached("SELECT id FROM fang_tasks WHERE uniq_hash = ?1 AND state IN ('new', 'retried') LIMIT 1")?
        .query_row([hash], |row| row.get::<_, Vec<u8>>(0))
        .optional()
        .map(|found| found.map(|blob| id_from_blob(&blob)))
}

/// A task a worker has claimed, with what it needs to run it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: Uuid,
    pub metadata: String,
    pub name: String,
    pub args: String,
    /// This run's number, from 1.
    pub attempt: i64,
    pub max_retries: i64,
}

/// Takes the oldest due task (of type ?2, or of any type when it is NULL) at time ?1. The waiting
/// tasks' own index gives them in order, so a claim reads one entry, however long the backlog
/// (the planner, without statistics, would rather sort them all).
const CLAIM: &str = "UPDATE fang_tasks SET state = 'in_progress', updated_at = ?1
     WHERE id = (SELECT id FROM fang_tasks INDEXED BY fang_tasks_due
                 WHERE state IN ('new', 'retried') AND scheduled_at <= ?1
                   AND (?2 IS NULL OR task_type = ?2)
                 ORDER BY scheduled_at, rowid LIMIT 1)
       AND state IN ('new', 'retried')
     RETURNING id, metadata";

/// Claims the oldest due task (of `task_type`, or of any type) for `worker`, or `None`.
pub fn claim(
    tx: &Transaction,
    worker: &str,
    now_ms: i64,
    task_type: Option<&str>,
) -> rusqlite::Result<Option<Claimed>> {
    let now_s = now_ms.div_euclid(1000);
    let taken = tx
        .prepare_cached(CLAIM)?
        .query_row(params![now_s, task_type], |row| Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, String>(1)?)))
        .optional()?;
    let Some((blob, metadata)) = taken else { return Ok(None) };
    let started = tx
        .prepare_cached(
            "UPDATE job_results SET state = 'running', attempts = attempts + 1, started_at = ?2,
                    finished_at = NULL, worker = ?3, progress_done = NULL, progress_total = NULL
             WHERE task_id = ?1
             RETURNING name, args, attempts, max_retries",
        )?
        .query_row(params![blob, now_ms, worker], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))
        .optional()?;
    let (name, args, attempt, max_retries) = match started {
        Some(found) => found,
        // Queued by another fang client, straight into fang_tasks: give it our row now.
        None => adopt(tx, &blob, &metadata, worker, now_ms)?,
    };
    tx.prepare_cached("INSERT INTO job_attempts (task_id, attempt, worker, started_at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![blob, attempt, worker, now_ms])?;
    tx.prepare_cached("UPDATE job_workers SET current_task = ?2, heartbeat_at = ?3 WHERE id = ?1")?
        .execute(params![worker, blob, now_ms])?;
    Ok(Some(Claimed { id: id_from_blob(&blob), metadata, name, args, attempt, max_retries }))
}

/// Our row for a task that has only fang's: its name and arguments come from the metadata.
fn adopt(
    tx: &Transaction,
    blob: &[u8],
    metadata: &str,
    worker: &str,
    now_ms: i64,
) -> rusqlite::Result<(String, String, i64, i64)> {
    let mut fields: serde_json::Map<String, serde_json::Value> = serde_json::from_str(metadata).unwrap_or_default();
    let name = match fields.remove("type") {
        Some(serde_json::Value::String(name)) => name,
        _ => "unknown".to_string(),
    };
    let args = serde_json::Value::Object(fields).to_string();
    tx.prepare_cached(
        "INSERT INTO job_results (task_id, name, args, state, attempts, max_retries, received_at, started_at, worker)
         VALUES (?1, ?2, ?3, 'running', 1, 0, ?4, ?4, ?5)",
    )?
    .execute(params![blob, name, args, now_ms, worker])?;
    Ok((name, args, 1, 0))
}

/// How a run ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// With its result, JSON.
    Succeeded(String),
    /// Failed; runs again at `retry_at_ms` when given.
    Failed {
        error: String,
        retry_at_ms: Option<i64>,
    },
    TimedOut(String),
    Cancelled(String),
}

impl Outcome {
    fn state(&self) -> TaskState {
        match self {
            Self::Succeeded(_) => TaskState::Succeeded,
            Self::Failed { retry_at_ms: Some(_), .. } => TaskState::Retrying,
            Self::Failed { .. } => TaskState::Failed,
            Self::TimedOut(_) => TaskState::TimedOut,
            Self::Cancelled(_) => TaskState::Cancelled,
        }
    }

    fn error(&self) -> Option<&str> {
        match self {
            Self::Succeeded(_) => None,
            Self::Failed { error, .. } | Self::TimedOut(error) | Self::Cancelled(error) => Some(error),
        }
    }
}

/// Records how attempt `attempt` of task `id` ended. `false` when the task is no longer that
/// attempt's (its worker was presumed dead and the task recovered): nothing is changed then.
pub fn finish(tx: &Transaction, id: &Uuid, attempt: i64, outcome: &Outcome, now_ms: i64) -> rusqlite::Result<bool> {
    let blob = id_bytes(id);
    let state = outcome.state();
    let result = match outcome {
        Outcome::Succeeded(json) => Some(json.as_str()),
        _ => None,
    };
    let changed = tx
        .prepare_cached(
            "UPDATE job_results SET state = ?3, finished_at = ?4, result = ?5, error = coalesce(?6, error)
             WHERE task_id = ?1 AND attempts = ?2 AND state = 'running'",
        )?
        .execute(params![blob, attempt, state.as_str(), now_ms, result, outcome.error()])?;
    if changed == 0 {
        return Ok(false);
    }
    tx.prepare_cached(
        "UPDATE job_attempts SET finished_at = ?3, outcome = ?4, error = ?5 WHERE task_id = ?1 AND attempt = ?2",
    )?
    .execute(params![blob, attempt, now_ms, state.as_str(), outcome.error()])?;
    tx.prepare_cached("UPDATE job_workers SET current_task = NULL WHERE current_task = ?1")?.execute([blob])?;
    set_fang_state(tx, &blob, outcome, now_ms)?;
    Ok(true)
}

/// fang's view of the same change: finished, retried later, or failed with the message.
fn set_fang_state(tx: &Transaction, blob: &[u8], outcome: &Outcome, now_ms: i64) -> rusqlite::Result<()> {
    let now_s = now_ms.div_euclid(1000);
    match outcome {
        Outcome::Succeeded(_) => tx
            .prepare_cached("UPDATE fang_tasks SET state = 'finished', updated_at = ?2 WHERE id = ?1")?
            .execute(params![blob, now_s]),
        Outcome::Failed { error, retry_at_ms: Some(at) } => tx
            .prepare_cached(
                "UPDATE fang_tasks SET state = 'retried', retries = retries + 1, scheduled_at = ?2,
                        error_message = ?3, updated_at = ?4 WHERE id = ?1",
            )?
            .execute(params![blob, fang_seconds(*at), error, now_s]),
        Outcome::Failed { error, .. } | Outcome::TimedOut(error) | Outcome::Cancelled(error) => tx
            .prepare_cached(
                "UPDATE fang_tasks SET state = 'failed', error_message = ?2, updated_at = ?3 WHERE id = ?1",
            )?
            .execute(params![blob, error, now_s]),
    }
    .map(drop)
}

/// What a cancel did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    /// It was waiting: it will not run.
    Removed,
    /// It runs now: its worker is asked to stop it.
    Requested,
    /// It had already ended in this state.
    AlreadyFinal(TaskState),
    NotFound,
}

/// Cancels task `id`: a waiting task leaves the queue (kept in the history as `cancelled`); a
/// running one is flagged, and its worker stops it.
pub fn cancel(tx: &Transaction, id: &Uuid, now_ms: i64) -> rusqlite::Result<CancelOutcome> {
    let blob = id_bytes(id);
    let Some(state) = state_of(tx, &blob)? else { return Ok(CancelOutcome::NotFound) };
    match state {
        TaskState::Pending | TaskState::Retrying => {
            let message = "cancelled before it ran".to_string();
            tx.prepare_cached(
                "UPDATE job_results SET state = 'cancelled', finished_at = ?2, error = ?3 WHERE task_id = ?1",
            )?
            .execute(params![blob, now_ms, message])?;
            set_fang_state(tx, &blob, &Outcome::Cancelled(message), now_ms)?;
            Ok(CancelOutcome::Removed)
        }
        TaskState::Running => {
            tx.prepare_cached("UPDATE job_results SET cancel_requested = 1 WHERE task_id = ?1")?.execute([blob])?;
            Ok(CancelOutcome::Requested)
        }
        done => Ok(CancelOutcome::AlreadyFinal(done)),
    }
}

/// Queues a task that failed, timed out or was cancelled to run again now, with one more run
/// allowed. `Err(state)` for a task in any other state.
pub fn retry(tx: &Transaction, id: &Uuid, now_ms: i64) -> rusqlite::Result<Option<Result<(), TaskState>>> {
    let blob = id_bytes(id);
    let Some(state) = state_of(tx, &blob)? else { return Ok(None) };
    if !matches!(state, TaskState::Failed | TaskState::TimedOut | TaskState::Cancelled) {
        return Ok(Some(Err(state)));
    }
    tx.prepare_cached(
        "UPDATE job_results SET state = 'retrying', cancel_requested = 0, max_retries = max(max_retries, attempts)
         WHERE task_id = ?1",
    )?
    .execute([blob])?;
    tx.prepare_cached("UPDATE fang_tasks SET state = 'retried', scheduled_at = ?2, updated_at = ?2 WHERE id = ?1")?
        .execute(params![blob, now_ms.div_euclid(1000)])?;
    Ok(Some(Ok(())))
}

fn state_of(tx: &Transaction, blob: &[u8]) -> rusqlite::Result<Option<TaskState>> {
    let state: Option<String> = tx
        .prepare_cached("SELECT state FROM job_results WHERE task_id = ?1")?
        .query_row([blob], |row| row.get(0))
        .optional()?;
    Ok(state.and_then(|text| TaskState::parse(&text)))
}

/// Records a running task's progress.
pub fn set_progress(tx: &Transaction, id: &Uuid, done: i64, total: i64) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE job_results SET progress_done = ?2, progress_total = ?3 WHERE task_id = ?1")?
        .execute(params![id_bytes(id), done, total])
        .map(drop)
}

/// Deletes finished tasks older than their retention: successes and cancellations finished
/// before `succeeded_before`, failures and time-outs before `failed_before`. Returns how many.
pub fn prune(tx: &Transaction, succeeded_before: i64, failed_before: i64) -> rusqlite::Result<usize> {
    let old = "SELECT task_id FROM job_results
               WHERE (state IN ('succeeded', 'cancelled') AND finished_at < ?1)
                  OR (state IN ('failed', 'timed_out') AND finished_at < ?2)";
    tx.execute(
        &format!("DELETE FROM job_attempts WHERE task_id IN ({old})"),
        params![succeeded_before, failed_before],
    )?;
    tx.execute(&format!("DELETE FROM fang_tasks WHERE id IN ({old})"), params![succeeded_before, failed_before])?;
    tx.execute(&format!("DELETE FROM job_results WHERE task_id IN ({old})"), params![succeeded_before, failed_before])
}

#[cfg(test)]
mod tests {
    use crate::db::test_support::{migrated_db, query_plan};

    #[test]
    fn a_claim_reads_the_waiting_tasks_in_order_from_their_index_without_sorting_them() {
        let (conn, _dir) = migrated_db();
        let plan = query_plan(&conn, super::CLAIM, [0, 0]);
        assert!(plan.iter().any(|step| step.contains("USING INDEX fang_tasks_due")), "{plan:?}");
        assert!(!plan.iter().any(|step| step.contains("TEMP B-TREE")), "{plan:?}");
    }
}
