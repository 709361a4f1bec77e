//! How a schedule decides its run times, in django-celery-beat's three kinds and JSON shapes. The
//! types only carry what the user wrote; `jobs::schedule` checks them (naming each bad field) and
//! computes run times from them.

use poem_openapi::{Enum, Object, Union};
use serde::{Deserialize, Serialize};

/// When a scheduled task runs: exactly one of `interval`, `crontab` or `clocked`, for example
/// `{"interval": {"every": 10, "period": "seconds"}}`.
#[derive(Debug, Clone, PartialEq, Union, Serialize, Deserialize)]
#[oai(externally_tagged, rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Timing {
    /// Every fixed period, counted from the previous run.
    Interval(IntervalSpec),
    /// At the minutes, hours and days that match, in the schedule's time zone.
    Crontab(CrontabSpec),
    /// Once, at a given time.
    Clocked(ClockedSpec),
}

/// The unit of an interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Seconds,
    Minutes,
    Hours,
    Days,
}

/// django-celery-beat's `IntervalSchedule`: every `every` `period`s, at most 366 days.
#[derive(Debug, Clone, PartialEq, Object, Serialize, Deserialize)]
pub struct IntervalSpec {
    /// How many periods between runs: at least 1, and at most 366 days in all.
    #[oai(validator(minimum(value = "1"), maximum(value = "31622400")))]
    pub every: i64,
    pub period: Period,
}

/// django-celery-beat's `CrontabSchedule`, in Celery's syntax: each field takes `*`, numbers,
/// ranges `a-b`, lists `a,b,c` and steps `*/15` or `a-b/n`. A day must match `day_of_month`,
/// `month_of_year` AND `day_of_week` to run, as in Celery (not cron's either-or).
#[derive(Debug, Clone, PartialEq, Object, Serialize, Deserialize)]
pub struct CrontabSpec {
    /// Minutes of the hour, 0-59.
    #[oai(default = "every_value")]
    #[serde(default = "every_value")]
    pub minute: String,
    /// Hours of the day, 0-23.
    #[oai(default = "every_value")]
    #[serde(default = "every_value")]
    pub hour: String,
    /// Days of the week, 0-6 with Sunday = 0 (7 is Sunday too), or names: `sun`..`sat`,
    /// `mon-fri`. A backwards range wraps: `fri-mon` is Friday to Monday.
    #[oai(default = "every_value")]
    #[serde(default = "every_value")]
    pub day_of_week: String,
    /// Days of the month, 1-31.
    #[oai(default = "every_value")]
    #[serde(default = "every_value")]
    pub day_of_month: String,
    /// Months, 1-12.
    #[oai(default = "every_value")]
    #[serde(default = "every_value")]
    pub month_of_year: String,
    /// The IANA time zone the fields are read in, such as `Europe/Paris`.
    #[oai(default = "utc")]
    #[serde(default = "utc")]
    pub timezone: String,
}

impl Default for CrontabSpec {
    fn default() -> Self {
        Self {
            minute: every_value(),
            hour: every_value(),
            day_of_week: every_value(),
            day_of_month: every_value(),
            month_of_year: every_value(),
            timezone: utc(),
        }
    }
}

/// django-celery-beat's `ClockedSchedule`: one run.
#[derive(Debug, Clone, PartialEq, Object, Serialize, Deserialize)]
pub struct ClockedSpec {
    /// When to run, in RFC 3339 with an offset, such as `2026-12-01T10:00:00Z`.
    pub clocked_time: String,
}

fn every_value() -> String {
    "*".to_string()
}

fn utc() -> String {
    "UTC".to_string()
}
