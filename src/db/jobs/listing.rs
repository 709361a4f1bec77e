//! Reading tasks back: one task, a filtered page of them, and the statistics.

use rusqlite::{params, Connection, OptionalExtension, Row};
use uuid::Uuid;

use super::{id_bytes, id_from_blob, rfc3339_ms};
use crate::model::tasks::{
    TaskAttempt, TaskInfo, TaskPage, TaskProgress, TaskState, TaskStats, TaskTypeStats, WorkerInfo,
};

const TASK_COLUMNS: &str = "r.task_id, r.name, r.args, r.state, r.result, r.error, r.received_at, r.started_at,
     r.finished_at, r.attempts, r.max_retries, r.worker, r.progress_done, r.progress_total,
     r.cancel_requested, s.name";

fn task_from_row(row: &Row) -> rusqlite::Result<TaskInfo> {
    let json = |text: Option<String>| text.and_then(|text| serde_json::from_str(&text).ok());
    let (started, finished): (Option<i64>, Option<i64>) = (row.get(7)?, row.get(8)?);
    let state: String = row.get(3)?;
    let (done, total): (Option<i64>, Option<i64>) = (row.get(12)?, row.get(13)?);
    Ok(TaskInfo {
        id: id_from_blob(&row.get::<_, Vec<u8>>(0)?).to_string(),
        name: row.get(1)?,
        args: json(row.get(2)?).unwrap_or_default(),
        state: TaskState::parse(&state).unwrap_or(TaskState::Failed),
        result: json(row.get(4)?),
        error: row.get(5)?,
        received_at: rfc3339_ms(row.get(6)?),
        started_at: started.map(rfc3339_ms),
        finished_at: finished.map(rfc3339_ms),
        runtime_ms: started.zip(finished).map(|(start, end)| (end - start).max(0)),
        attempts: row.get(9)?,
        max_retries: row.get(10)?,
        worker: row.get(11)?,
        progress: done.zip(total).map(|(done, total)| TaskProgress { done, total }),
        cancel_requested: row.get(14)?,
        schedule: row.get(15)?,
    })
}

/// Task `id`, or `None`.
pub fn get(conn: &Connection, id: &Uuid) -> rusqlite::Result<Option<TaskInfo>> {
    conn.prepare_cached(&format!(
        "SELECT {TASK_COLUMNS} FROM job_results r LEFT JOIN schedules s ON s.id = r.schedule_id WHERE r.task_id = ?1"
    ))?
    .query_row([id_bytes(id)], task_from_row)
    .optional()
}

/// Task `id`'s runs, first to last (none for an unknown id).
pub fn attempts(conn: &Connection, id: &Uuid) -> rusqlite::Result<Vec<TaskAttempt>> {
    let mut statement = conn.prepare_cached(
        "SELECT attempt, worker, started_at, finished_at, outcome, error FROM job_attempts
         WHERE task_id = ?1 ORDER BY attempt",
    )?;
    let rows = statement.query_map([id_bytes(id)], |row| {
        let (started, finished): (i64, Option<i64>) = (row.get(2)?, row.get(3)?);
        Ok(TaskAttempt {
            attempt: row.get(0)?,
            worker: row.get(1)?,
            started_at: rfc3339_ms(started),
            finished_at: finished.map(rfc3339_ms),
            runtime_ms: finished.map(|end| (end - started).max(0)),
            outcome: row.get(4)?,
            error: row.get(5)?,
        })
    })?;
    rows.collect()
}

/// Which tasks to list.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub name: Option<String>,
    pub state: Option<TaskState>,
    /// Received at or after (ms).
    pub since_ms: Option<i64>,
    /// Received before (ms).
    pub until_ms: Option<i64>,
    /// Continue after this (received_at, id), from a previous page's cursor.
    pub after: Option<(i64, Uuid)>,
    pub limit: u32,
}

/// A page of tasks, newest first, with the cursor of the next page.
pub fn list(conn: &Connection, filter: &TaskFilter) -> rusqlite::Result<TaskPage> {
    let (after_at, after_id) = filter.after.map_or((None, None), |(at, id)| (Some(at), Some(id_bytes(&id).to_vec())));
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {TASK_COLUMNS} FROM job_results r LEFT JOIN schedules s ON s.id = r.schedule_id
         WHERE (?1 IS NULL OR r.name = ?1) AND (?2 IS NULL OR r.state = ?2)
           AND (?3 IS NULL OR r.received_at >= ?3) AND (?4 IS NULL OR r.received_at < ?4)
           AND (?5 IS NULL OR (r.received_at, r.task_id) < (?5, ?6))
         ORDER BY r.received_at DESC, r.task_id DESC LIMIT ?7"
    ))?;
    let limit = i64::from(filter.limit);
    let rows = statement.query_map(
        params![
            filter.name,
            filter.state.map(TaskState::as_str),
            filter.since_ms,
            filter.until_ms,
            after_at,
            after_id,
            limit + 1
        ],
        |row| Ok((row.get::<_, i64>(6)?, task_from_row(row)?)),
    )?;
    let mut tasks: Vec<(i64, TaskInfo)> = rows.collect::<rusqlite::Result<_>>()?;
    let next_cursor = if tasks.len() as i64 > limit {
        tasks.truncate(filter.limit as usize);
        tasks.last().map(|(at, task)| format!("{at}.{}", task.id))
    } else {
        None
    };
    Ok(TaskPage { tasks: tasks.into_iter().map(|(_, task)| task).collect(), next_cursor })
}

/// Reads a cursor made by [`list`]: `received_at.id`.
pub fn parse_cursor(cursor: &str) -> Option<(i64, Uuid)> {
    let (at, id) = cursor.split_once('.')?;
    Some((at.parse().ok()?, Uuid::parse_str(id).ok()?))
}

/// Counts per task type and state, run times, the queue's length and the live workers (those
/// whose heartbeat is at or after `alive_since`, ms).
pub fn stats(conn: &Connection, now_ms: i64, alive_since: i64) -> rusqlite::Result<TaskStats> {
    let mut by_name: Vec<TaskTypeStats> = Vec::new();
    let mut counts =
        conn.prepare_cached("SELECT name, state, count(*) FROM job_results GROUP BY name, state ORDER BY name")?;
    let rows =
        counts.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, i64>(2)?)))?;
    for row in rows {
        let (name, state, count) = row?;
        if by_name.last().is_none_or(|last| last.name != name) {
            by_name.push(empty_stats(name));
        }
        let stats = by_name.last_mut().expect("pushed above");
        match TaskState::parse(&state) {
            Some(TaskState::Pending) => stats.pending = count,
            Some(TaskState::Running) => stats.running = count,
            Some(TaskState::Succeeded) => stats.succeeded = count,
            Some(TaskState::Failed) => stats.failed = count,
            Some(TaskState::Retrying) => stats.retrying = count,
            Some(TaskState::Cancelled) => stats.cancelled = count,
            Some(TaskState::TimedOut) => stats.timed_out = count,
            None => {}
        }
    }
    let mut runtimes = conn.prepare_cached(
        "SELECT finished_at - started_at FROM job_results WHERE name = ?1 AND state = 'succeeded' ORDER BY 1",
    )?;
    for stats in &mut by_name {
        let times: Vec<i64> = runtimes.query_map([&stats.name], |row| row.get(0))?.collect::<rusqlite::Result<_>>()?;
        if !times.is_empty() {
            stats.mean_runtime_ms = Some(times.iter().sum::<i64>() as f64 / times.len() as f64);
            let rank = ((times.len() as f64 * 0.95).ceil() as usize).clamp(1, times.len());
            stats.p95_runtime_ms = Some(times[rank - 1] as f64);
        }
    }
    let queue_length = conn
        .prepare_cached("SELECT count(*) FROM fang_tasks WHERE state IN ('new', 'retried') AND scheduled_at <= ?1")?
        .query_row([now_ms.div_euclid(1000)], |row| row.get(0))?;
    Ok(TaskStats { queue_length, by_name, workers: workers(conn, alive_since)? })
}

/// Tasks per type and state, for the metrics: `(name, state, count)`, by name and state.
pub fn counts_by_name_and_state(conn: &Connection) -> rusqlite::Result<Vec<(String, String, i64)>> {
    let mut counts =
        conn.prepare_cached("SELECT name, state, count(*) FROM job_results GROUP BY name, state ORDER BY name, state")?;
    let rows = counts.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
    rows.collect()
}

fn empty_stats(name: String) -> TaskTypeStats {
    TaskTypeStats {
        name,
        pending: 0,
        running: 0,
        succeeded: 0,
        failed: 0,
        retrying: 0,
        cancelled: 0,
        timed_out: 0,
        mean_runtime_ms: None,
        p95_runtime_ms: None,
    }
}

fn workers(conn: &Connection, alive_since: i64) -> rusqlite::Result<Vec<WorkerInfo>> {
    let mut statement = conn.prepare_cached(
        "SELECT w.id, w.pid, w.started_at, w.heartbeat_at, w.current_task, r.name
         FROM job_workers w LEFT JOIN job_results r ON r.task_id = w.current_task
         WHERE w.stopped_at IS NULL AND w.heartbeat_at >= ?1 ORDER BY w.id",
    )?;
    let rows = statement.query_map([alive_since], |row| {
        let current: Option<Vec<u8>> = row.get(4)?;
        Ok(WorkerInfo {
            id: row.get(0)?,
            pid: row.get(1)?,
            started_at: rfc3339_ms(row.get(2)?),
            heartbeat_at: rfc3339_ms(row.get(3)?),
            current_task: current.map(|blob| id_from_blob(&blob).to_string()),
            current_task_name: row.get(5)?,
        })
    })?;
    rows.collect()
}
