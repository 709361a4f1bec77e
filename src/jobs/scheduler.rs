//! The scheduler (Celery Beat): queues each schedule's task when its next run comes.
//!
//! - It reads the `schedules` table every quarter second, so changes made through the API or by
//!   another process are picked up within a second, without a restart.
//! - A slot is claimed and its task queued in one transaction that first checks the slot is still
//!   the schedule's next run: two schedulers on one file never fire one slot twice.
//! - Runs missed while no scheduler ran fire once, not once per missed slot: the next run is
//!   always planned from the time of the firing.
//! - Disabled schedules never fire; an expired one disables itself instead of firing; a one-off
//!   (and a clocked schedule) disables itself after its run.

use std::time::Duration;

use tokio::sync::watch;
use uuid::Uuid;

use super::queue::{self, Enqueue};
use super::schedule::CompiledTiming;
use super::submit::Jobs;
use super::tasks;
use crate::db::jobs::schedules::{self, ScheduleRow};
use crate::db::jobs::{now_ms, queue as store};
use crate::db::{Db, DbError};
use crate::model::schedules::Timing;

const TICK: Duration = Duration::from_millis(250);

/// A schedule the code defines, written into the table at start (Celery's `beat_schedule`).
#[derive(Debug, Clone)]
pub struct CodeSchedule {
    pub name: &'static str,
    pub task: &'static str,
    pub timing: Timing,
    pub description: String,
}

/// The schedules the code defines: the seed's task every 3 minutes, which refreshes the
/// top-rated prior (every `prior_refresh`; 3 minutes by default, as in the seed).
pub fn code_schedules(prior_refresh: Duration) -> Vec<CodeSchedule> {
    use crate::model::schedules::{IntervalSpec, Period};
    vec![CodeSchedule {
        name: "scheduled_task_every_3_min",
        task: "scheduled_task_every_3_min",
        timing: Timing::Interval(IntervalSpec {
            every: prior_refresh.as_secs().max(1) as i64,
            period: Period::Seconds,
        }),
        description: "The seed's task every 3 minutes (serve --prior-refresh): refreshes the top-rated prior and \
                      rescores the movies when ratings changed."
            .to_string(),
    }]
}

/// A running scheduler; [`Beat::stop`] ends it.
pub struct Beat {
    stop: watch::Sender<bool>,
    handle: tokio::task::JoinHandle<()>,
}

impl Beat {
    /// Writes `code` into the table (retried every second while the database is busy), then
    /// fires due schedules.
    pub fn start(jobs: Jobs, code: Vec<CodeSchedule>) -> Self {
        let (stop, stopping) = watch::channel(false);
        let db = jobs.queue.db().clone();
        let code = std::sync::Arc::new(code);
        let setup = move || -> futures_util::future::BoxFuture<'static, Result<(), DbError>> {
            let (db, code) = (db.clone(), code.clone());
            Box::pin(async move { define_in_code(&db, &code).await })
        };
        let handle = tokio::spawn(super::retry_then(setup, stopping.clone(), run(jobs, stopping)));
        Self { stop, handle }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.handle.await;
    }
}

/// When schedule timing `timing` runs next, given its window and when it last ran.
///
/// Never run: an interval first runs one period after `start_time` (or after `now`); a crontab
/// at its first slot at or after `start_time` and after `now`; a clocked schedule at its time,
/// at once if that has passed. After a run at `last_run`: the next slot after it (a clocked
/// schedule has none). A time past `expires` is none.
pub fn plan_next(
    timing: &CompiledTiming,
    start_time: Option<i64>,
    expires: Option<i64>,
    last_run: Option<i64>,
    now: i64,
) -> Option<i64> {
    let at = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
    let next = match (timing, last_run) {
        (CompiledTiming::Clocked(clocked), None) => Some(clocked.timestamp_millis()),
        (CompiledTiming::Clocked(_), Some(_)) => None,
        (CompiledTiming::Interval(_), None) => {
            timing.next_after(at(start_time.unwrap_or(now))).map(|t| t.timestamp_millis())
        }
        (CompiledTiming::Crontab(_), None) => {
            let from = start_time.map_or(now, |start| start.max(now + 1) - 1);
            timing.next_after(at(from)).map(|t| t.timestamp_millis())
        }
        (_, Some(last)) => {
            let from = start_time.map_or(last, |start| last.max(start - 1));
            timing.next_after(at(from)).map(|t| t.timestamp_millis())
        }
    };
    next.filter(|next| expires.is_none_or(|expires| *next <= expires))
}

/// Reads a stored timing; a row that no longer compiles (written by another version) is an error.
pub fn compile_stored(timing: &str) -> Result<CompiledTiming, String> {
    let timing: Timing = serde_json::from_str(timing).map_err(|err| format!("unreadable timing: {err}"))?;
    timing.compile().map_err(|errors| {
        errors.iter().map(|err| format!("{}: {}", err.field, err.message)).collect::<Vec<_>>().join("; ")
    })
}

/// Writes the code's schedules into the table, keeping their history; a restart adds none twice.
pub async fn define_in_code(db: &Db, schedules: &[CodeSchedule]) -> Result<(), DbError> {
    if schedules.is_empty() {
        return Ok(());
    }
    let schedules = schedules.to_vec();
    db.write("schedules.define_in_code", move |tx| {
        let now = now_ms();
        for schedule in &schedules {
            let timing_json = serde_json::to_string(&schedule.timing).unwrap_or_default();
            let compiled = schedule.timing.compile().map_err(|_| {
                DbError::Invalid(format!("the code's schedule {} does not compile", schedule.name), None)
            })?;
            match schedules::get_by_name(tx, schedule.name)? {
                Some(row) if row.timing == timing_json && row.task == schedule.task => {}
                Some(row) => {
                    let next =
                        row.enabled.then(|| plan_next(&compiled, None, row.expires, row.last_run_at, now)).flatten();
                    let updated =
                        ScheduleRow { task: schedule.task.into(), timing: timing_json, next_run_at: next, ..row };
                    schedules::update(tx, &updated, now)?;
                }
                None => {
                    let row = ScheduleRow {
                        id: 0,
                        name: schedule.name.into(),
                        task: schedule.task.into(),
                        args: "{}".into(),
                        timing: timing_json,
                        enabled: true,
                        one_off: false,
                        start_time: None,
                        expires: None,
                        last_run_at: None,
                        total_run_count: 0,
                        description: schedule.description.clone(),
                        next_run_at: plan_next(&compiled, None, None, None, now),
                        defined_in_code: true,
                    };
                    schedules::insert(tx, &row, now)?;
                }
            }
        }
        Ok(())
    })
    .await
}

/// Fires due schedules until `stopping` becomes true.
pub async fn run(jobs: Jobs, mut stopping: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(TICK) => {}
            _ = stopping.changed() => return,
        }
        let due =
            jobs.queue.db().run("schedules.due", |conn| schedules::due(conn, now_ms()).map_err(DbError::from)).await;
        let due = match due {
            Ok(due) => due,
            Err(err) => {
                tracing::warn!(error = %err, "reading the due schedules failed");
                continue;
            }
        };
        for (id, slot) in due {
            match fire(jobs.queue.db(), id, slot).await {
                Ok(Some(task)) => {
                    tracing::debug!(schedule = id, %task, "a schedule queued its task");
                    jobs.queue.wake_all();
                }
                Ok(None) => {}
                Err(err) => tracing::warn!(schedule = id, error = %err, "firing a schedule failed"),
            }
        }
    }
}

/// Claims slot `slot` of schedule `id` and queues its task, in one transaction. `None` when
/// the slot is no longer due (another scheduler took it, or the schedule changed or expired).
pub async fn fire(db: &Db, id: i64, slot: i64) -> Result<Option<Uuid>, DbError> {
    db.write("schedules.fire", move |tx| {
        let Some(row) = schedules::get(tx, id)? else { return Ok(None) };
        if !row.enabled || row.next_run_at != Some(slot) {
            return Ok(None);
        }
        let now = now_ms();
        if row.expires.is_some_and(|expires| now > expires) {
            schedules::expire(tx, id, slot)?;
            tracing::info!(schedule = %row.name, "a schedule expired and disabled itself");
            return Ok(None);
        }
        let args: serde_json::Value = serde_json::from_str(&row.args).unwrap_or_default();
        let (timing, built) = match (compile_stored(&row.timing), tasks::build_task(&row.task, &args)) {
            (Ok(timing), Ok(built)) => (timing, built),
            (timing, built) => {
                // Written by another version, perhaps: say so once and stop firing it.
                tracing::error!(schedule = %row.name, timing = ?timing.err(), task = built.is_err(), "a schedule cannot run; disabling it");
                schedules::expire(tx, id, slot)?;
                return Ok(None);
            }
        };
        let next = plan_next(&timing, row.start_time, row.expires, Some(now), now);
        if !schedules::claim_slot(tx, id, slot, next, now)? {
            return Ok(None);
        }
        let task = queue::new_task(built.task.as_ref(), Enqueue { run_at_ms: None, schedule_id: Some(id) })?;
        store::insert(tx, &task, now)?;
        Ok(Some(task.id))
    })
    .await
}
