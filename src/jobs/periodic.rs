//! Periodic tasks as they are shown: a stored schedule row read back into the API's shape.

use super::schedule::CompiledTiming;
use super::scheduler::compile_stored;
use crate::db::jobs::rfc3339_ms;
use crate::db::jobs::schedules::ScheduleRow;
use crate::model::periodic_tasks::PeriodicTask;
use crate::model::schedules::Timing;

/// A stored schedule as the API and the task monitor show it: its timing read back into
/// django-celery-beat's fields, described in words, with its next run and the four after it.
pub fn periodic_task(row: ScheduleRow) -> PeriodicTask {
    let timing: Option<Timing> = serde_json::from_str(&row.timing).ok();
    let compiled: Option<CompiledTiming> = compile_stored(&row.timing).ok();
    let next_runs = match (&compiled, row.next_run_at) {
        (Some(compiled), Some(next)) => {
            let first = chrono::DateTime::from_timestamp_millis(next).unwrap_or_default();
            let later = match compiled {
                CompiledTiming::Clocked(_) => Vec::new(),
                _ => compiled.upcoming(first, 4),
            };
            std::iter::once(first).chain(later).map(|at| rfc3339_ms(at.timestamp_millis())).collect()
        }
        _ => Vec::new(),
    };
    let (mut interval, mut crontab, mut clocked) = (None, None, None);
    match timing {
        Some(Timing::Interval(spec)) => interval = Some(spec),
        Some(Timing::Crontab(spec)) => crontab = Some(spec),
        Some(Timing::Clocked(spec)) => clocked = Some(spec),
        None => {}
    }
    PeriodicTask {
        id: row.id,
        name: row.name,
        task: row.task,
        args: serde_json::from_str(&row.args).unwrap_or_default(),
        enabled: row.enabled,
        one_off: row.one_off,
        start_time: row.start_time.map(rfc3339_ms),
        expires: row.expires.map(rfc3339_ms),
        last_run_at: row.last_run_at.map(rfc3339_ms),
        total_run_count: row.total_run_count,
        description: row.description,
        interval,
        crontab,
        clocked,
        schedule: compiled.map_or_else(|| "unreadable timing".to_string(), |compiled| compiled.describe()),
        next_run_at: row.next_run_at.map(rfc3339_ms),
        next_runs,
        defined_in_code: row.defined_in_code,
    }
}
