//! When scheduled tasks run: django-celery-beat's interval, crontab and clocked schedules, checked
//! and turned into run times. Pure computation: no database, no clock, no async.
//!
//! The rules, each pinned by a test in `tests*.rs`:
//!
//! - **Interval**: the next run is `after` plus `every` periods; `every` is at least 1 and the
//!   period at most 366 days.
//! - **Clocked**: one run at `clocked_time` if that is after `after`, else none.
//! - **Crontab**: Celery's field syntax (see [`fields`]); day_of_week is 0-6 with Sunday = 0, and 7
//!   is Sunday too. A day must match day_of_month, month_of_year AND day_of_week, as in Celery
//!   (Vixie cron runs when either day field matches). Fields are parsed here into value sets and
//!   handed to the `cron` crate as an explicit expression (seconds `0`, number lists, weekdays by
//!   name), see [`CompiledTiming::cron_expression`]. Combinations that can never occur, such as
//!   the 30th of February, are refused by `compile`.
//! - **Time zones**: crontab fields are read on the wall clock of the schedule's IANA zone. When
//!   daylight saving time skips a wall time (New York, 2026-03-08, 02:00-03:00), a run due in the
//!   gap happens at the first instant after it (03:00 EDT), once however many matches the gap
//!   held, as Vixie cron does; the `cron` crate alone would skip that day. When a wall time occurs
//!   twice (2026-11-01, 01:00-02:00), it runs once, at its first occurrence; the `cron` crate alone
//!   would run it twice.
//! - Run times come back strictly increasing. Crontab times end in 2100 (the `cron` crate's last
//!   year), after which `next_after` gives None.

mod crontab;
pub mod fields;
mod interval;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_crontab;
#[cfg(test)]
mod tests_properties;
#[cfg(test)]
mod tests_zones;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use crate::model::schedules::{ClockedSpec, CrontabSpec, IntervalSpec, Period, Timing};
pub use crontab::CompiledCrontab;
pub use interval::{CompiledInterval, MAX_INTERVAL_SECONDS};

/// One problem with a schedule, naming the field as the JSON spells it: `crontab.day_of_week`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// A schedule that passed every check, ready to give run times.
#[derive(Debug, Clone)]
pub enum CompiledTiming {
    Interval(CompiledInterval),
    Crontab(Box<CompiledCrontab>),
    Clocked(DateTime<Utc>),
}

impl Timing {
    /// Checks every field and returns all the problems at once, each naming its field.
    pub fn compile(&self) -> Result<CompiledTiming, Vec<FieldError>> {
        match self {
            Timing::Interval(spec) => interval::compile_interval(spec).map(CompiledTiming::Interval),
            Timing::Crontab(spec) => crontab::compile(spec).map(|compiled| CompiledTiming::Crontab(Box::new(compiled))),
            Timing::Clocked(spec) => interval::compile_clocked(spec).map(CompiledTiming::Clocked),
        }
    }
}

impl CompiledTiming {
    /// The first run time strictly after `after`; None when there is none (a clocked time that
    /// has passed).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            CompiledTiming::Interval(interval) => interval.next_after(after),
            CompiledTiming::Crontab(crontab) => crontab.next_after(after),
            CompiledTiming::Clocked(at) => Some(*at).filter(|at| *at > after),
        }
    }

    /// The next `n` run times strictly after `after`, in order (fewer when the schedule ends).
    pub fn upcoming(&self, after: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
        std::iter::successors(self.next_after(after), |previous| self.next_after(*previous)).take(n).collect()
    }

    /// For crontabs, the expression given to the `cron` crate, such as `0 30 14 * * *`.
    pub fn cron_expression(&self) -> Option<&str> {
        match self {
            CompiledTiming::Crontab(crontab) => Some(crontab.expression()),
            _ => None,
        }
    }

    /// A short description for people: "every 10 seconds", "at 14:30 every day (Africa/Cairo)",
    /// "once at 2026-12-01 10:00 UTC".
    pub fn describe(&self) -> String {
        match self {
            CompiledTiming::Interval(interval) => interval.describe(),
            CompiledTiming::Crontab(crontab) => crontab.describe(),
            CompiledTiming::Clocked(at) => interval::describe_clocked(*at),
        }
    }
}
