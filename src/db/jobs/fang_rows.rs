//! fang's rows as fang sees them, for the parts of its queue API that work on them directly:
//! find, remove and set a state. Our `job_results` row follows every change.

use rusqlite::{params, OptionalExtension, Transaction};
use uuid::Uuid;

use super::{id_bytes, id_from_blob};

/// A `fang_tasks` row. Times are seconds since the Unix epoch, as fang stores them.
#[derive(Debug, Clone)]
pub struct FangRow {
    pub id: Uuid,
    pub metadata: String,
    pub error_message: Option<String>,
    pub state: String,
    pub task_type: String,
    pub uniq_hash: Option<String>,
    pub retries: i32,
    pub scheduled_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Task `id`'s fang row, or `None`.
pub fn find(tx: &Transaction, id: &Uuid) -> rusqlite::Result<Option<FangRow>> {
    tx.prepare_cached(
        "SELECT id, metadata, error_message, state, task_type, uniq_hash, retries, scheduled_at, created_at,
                updated_at
         FROM fang_tasks WHERE id = ?1",
    )?
    .query_row([id_bytes(id)], |row| {
        Ok(FangRow {
            id: id_from_blob(&row.get::<_, Vec<u8>>(0)?),
            metadata: row.get(1)?,
            error_message: row.get(2)?,
            state: row.get(3)?,
            task_type: row.get(4)?,
            uniq_hash: row.get(5)?,
            retries: row.get(6)?,
            scheduled_at: row.get(7)?,
            created_at: row.get(8)?,
            updated_at: row.get(9)?,
        })
    })
    .optional()
}

/// Which rows [`remove`] deletes.
pub enum Selection {
    All,
    /// Those due after `now_s`.
    ScheduledAfter(i64),
    One(Uuid),
    UniqHash(String),
    TaskType(String),
}

/// Deletes the selected tasks from fang's table and ours; returns how many fang rows went.
pub fn remove(tx: &Transaction, selection: Selection) -> rusqlite::Result<u64> {
    let (condition, value): (&str, rusqlite::types::Value) = match selection {
        Selection::All => ("1", rusqlite::types::Value::Null),
        Selection::ScheduledAfter(now_s) => ("scheduled_at > ?1", now_s.into()),
        Selection::One(id) => ("id = ?1", id_bytes(&id).to_vec().into()),
        Selection::UniqHash(hash) => ("uniq_hash = ?1", hash.into()),
        Selection::TaskType(task_type) => ("task_type = ?1", task_type.into()),
    };
    let ids = format!("SELECT id FROM fang_tasks WHERE {condition}");
    let uses_value = condition.contains("?1");
    let run = |sql: String| match uses_value {
        true => tx.execute(&sql, [&value]),
        false => tx.execute(&sql, []),
    };
    run(format!("DELETE FROM job_attempts WHERE task_id IN ({ids})"))?;
    run(format!("DELETE FROM job_results WHERE task_id IN ({ids})"))?;
    Ok(run(format!("DELETE FROM fang_tasks WHERE {condition}"))? as u64)
}

/// Sets fang's state (and error message) of task `id`, and the matching state of ours:
/// new → pending, in_progress → running, finished → succeeded, failed → failed, retried →
/// retrying (due at `scheduled_at`, seconds, when given).
pub fn set_state(
    tx: &Transaction,
    id: &Uuid,
    fang_state: &str,
    error: Option<&str>,
    scheduled_at: Option<i64>,
    now_ms: i64,
) -> rusqlite::Result<()> {
    let ours = match fang_state {
        "new" => "pending",
        "in_progress" => "running",
        "finished" => "succeeded",
        "retried" => "retrying",
        _ => "failed",
    };
    let blob = id_bytes(id);
    tx.prepare_cached(
        "UPDATE fang_tasks SET state = ?2, error_message = coalesce(?3, error_message),
                scheduled_at = coalesce(?4, scheduled_at), updated_at = ?5,
                retries = retries + (?2 = 'retried')
         WHERE id = ?1",
    )?
    .execute(params![blob, fang_state, error, scheduled_at, now_ms.div_euclid(1000)])?;
    let finished = matches!(ours, "succeeded" | "failed").then_some(now_ms);
    tx.prepare_cached(
        "UPDATE job_results SET state = ?2, error = coalesce(?3, error), finished_at = coalesce(?4, finished_at)
         WHERE task_id = ?1",
    )?
    .execute(params![blob, ours, error, finished])?;
    Ok(())
}
