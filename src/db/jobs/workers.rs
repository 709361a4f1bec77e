//! Workers: their rows and heartbeats, and the recovery of tasks whose worker died.
//!
//! The policy for a task found `running` under a dead worker (a process killed with `kill -9`,
//! a power cut): it is queued to run again if it has retries left, else marked failed, with an
//! error that says what happened. A worker is dead when its process has shut down cleanly
//! (`stopped_at`), when its heartbeat is older than the lease, or, at start, when it ran on this
//! host under a process id that no longer exists. Tasks are therefore run at least once: one
//! interrupted by a crash may run again, so tasks are written to be safe to repeat.

use rusqlite::{params, Transaction};
use uuid::Uuid;

use super::id_from_blob;

/// Adds (or, for a reused process id, replaces) worker `id`'s row.
pub fn register(tx: &Transaction, id: &str, host: &str, pid: u32, now_ms: i64) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO job_workers (id, host, pid, started_at, heartbeat_at) VALUES (?1, ?2, ?3, ?4, ?4)",
    )?
    .execute(params![id, host, pid, now_ms])
    .map(drop)
}

/// Renews the lease of every worker of process `pid` on `host`.
pub fn heartbeat(tx: &Transaction, host: &str, pid: u32, now_ms: i64) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE job_workers SET heartbeat_at = ?3 WHERE host = ?1 AND pid = ?2 AND stopped_at IS NULL")?
        .execute(params![host, pid, now_ms])
        .map(drop)
}

/// Marks the workers of process `pid` on `host` stopped.
pub fn stopped(tx: &Transaction, host: &str, pid: u32, now_ms: i64) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE job_workers SET stopped_at = ?3, current_task = NULL WHERE host = ?1 AND pid = ?2 AND stopped_at IS NULL",
    )?
    .execute(params![host, pid, now_ms])
    .map(drop)
}

/// The live workers' (host, pid) pairs, for the caller to check which processes still exist.
pub fn live_processes(tx: &Transaction) -> rusqlite::Result<Vec<(String, u32)>> {
    let mut statement = tx.prepare_cached("SELECT DISTINCT host, pid FROM job_workers WHERE stopped_at IS NULL")?;
    let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
    rows.collect()
}

/// A task taken back from a dead worker.
#[derive(Debug, Clone)]
pub struct Recovered {
    pub id: Uuid,
    pub worker: String,
    /// Whether it was queued again (else it is failed: no retries were left).
    pub requeued: bool,
}

/// Recovers the running tasks of dead workers: those stopped, those whose heartbeat is older
/// than `stale_before` (ms), and those of the processes in `gone` (host, pid).
pub fn recover(
    tx: &Transaction,
    now_ms: i64,
    stale_before: i64,
    gone: &[(String, u32)],
) -> rusqlite::Result<Vec<Recovered>> {
    for (host, pid) in gone {
        stopped(tx, host, *pid, now_ms)?;
    }
    let mut statement = tx.prepare_cached(
        "SELECT r.task_id, coalesce(r.worker, ''), r.attempts, r.max_retries
         FROM job_results r LEFT JOIN job_workers w ON w.id = r.worker
         WHERE r.state = 'running'
           AND (w.id IS NULL OR w.stopped_at IS NOT NULL OR w.heartbeat_at < ?1)",
    )?;
    let orphans: Vec<(Vec<u8>, String, i64, i64)> = statement
        .query_map([stale_before], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut recovered = Vec::with_capacity(orphans.len());
    for (blob, worker, attempts, max_retries) in orphans {
        let requeued = attempts <= max_retries;
        let error = format!("its worker {worker} stopped without finishing it (the process died or lost its lease)");
        let state = if requeued { "retrying" } else { "failed" };
        tx.prepare_cached(
            "UPDATE job_results SET state = ?2, finished_at = ?3, error = ?4 WHERE task_id = ?1 AND state = 'running'",
        )?
        .execute(params![blob, state, now_ms, error])?;
        tx.prepare_cached(
            "UPDATE job_attempts SET finished_at = ?2, outcome = 'failed', error = ?3
             WHERE task_id = ?1 AND finished_at IS NULL",
        )?
        .execute(params![blob, now_ms, error])?;
        let fang_state = if requeued { "retried" } else { "failed" };
        tx.prepare_cached(
            "UPDATE fang_tasks SET state = ?2, error_message = ?3, updated_at = ?4,
                    scheduled_at = CASE WHEN ?2 = 'retried' THEN ?4 ELSE scheduled_at END,
                    retries = retries + (?2 = 'retried')
             WHERE id = ?1",
        )?
        .execute(params![blob, fang_state, error, now_ms.div_euclid(1000)])?;
        recovered.push(Recovered { id: id_from_blob(&blob), worker, requeued });
    }
    Ok(recovered)
}

/// The running tasks of process `pid` on `host` that were asked to cancel.
pub fn cancel_requests(tx: &Transaction, host: &str, pid: u32) -> rusqlite::Result<Vec<Uuid>> {
    let mut statement = tx.prepare_cached(
        "SELECT r.task_id FROM job_results r JOIN job_workers w ON w.id = r.worker
         WHERE r.state = 'running' AND r.cancel_requested AND w.host = ?1 AND w.pid = ?2",
    )?;
    let rows = statement.query_map(params![host, pid], |row| row.get::<_, Vec<u8>>(0))?;
    rows.map(|blob| blob.map(|blob| id_from_blob(&blob))).collect()
}
