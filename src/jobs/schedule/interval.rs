//! Interval and clocked schedules: a fixed period after each run, or one run at a set time.

use chrono::{DateTime, TimeDelta, Utc};

use super::FieldError;
use crate::model::schedules::{ClockedSpec, IntervalSpec, Period};

/// The longest interval: a schedule that runs less than once a year is better written as a crontab.
pub const MAX_INTERVAL_SECONDS: i64 = 366 * 86_400;

/// A checked interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledInterval {
    every: i64,
    period: Period,
}

pub fn compile_interval(spec: &IntervalSpec) -> Result<CompiledInterval, Vec<FieldError>> {
    let error = |message: String| Err(vec![FieldError::new("interval.every", message)]);
    if spec.every < 1 {
        return error("must be at least 1".to_string());
    }
    let seconds = spec.every.saturating_mul(period_seconds(spec.period));
    if seconds > MAX_INTERVAL_SECONDS {
        let most = MAX_INTERVAL_SECONDS / period_seconds(spec.period);
        return error(format!(
            "{} {} is longer than the limit of 366 days; use at most {most} {}",
            spec.every,
            unit(spec.period, spec.every),
            unit(spec.period, most)
        ));
    }
    Ok(CompiledInterval { every: spec.every, period: spec.period })
}

fn period_seconds(period: Period) -> i64 {
    match period {
        Period::Seconds => 1,
        Period::Minutes => 60,
        Period::Hours => 3_600,
        Period::Days => 86_400,
    }
}

fn unit(period: Period, count: i64) -> &'static str {
    match (period, count == 1) {
        (Period::Seconds, true) => "second",
        (Period::Seconds, false) => "seconds",
        (Period::Minutes, true) => "minute",
        (Period::Minutes, false) => "minutes",
        (Period::Hours, true) => "hour",
        (Period::Hours, false) => "hours",
        (Period::Days, true) => "day",
        (Period::Days, false) => "days",
    }
}

impl CompiledInterval {
    pub fn length(&self) -> TimeDelta {
        TimeDelta::seconds(self.every * period_seconds(self.period))
    }

    /// `after` plus one interval; None only past the end of representable time.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        after.checked_add_signed(self.length())
    }

    /// "every 10 seconds", "every minute".
    pub fn describe(&self) -> String {
        match self.every {
            1 => format!("every {}", unit(self.period, 1)),
            every => format!("every {every} {}", unit(self.period, every)),
        }
    }
}

/// A clocked time must carry its offset: a bare local time would be read in some unknown zone.
pub fn compile_clocked(spec: &ClockedSpec) -> Result<DateTime<Utc>, Vec<FieldError>> {
    DateTime::parse_from_rfc3339(spec.clocked_time.trim()).map(|time| time.with_timezone(&Utc)).map_err(|_| {
        let message =
            format!("{:?} is not an RFC 3339 time with an offset, such as 2026-12-01T10:00:00Z", spec.clocked_time);
        vec![FieldError::new("clocked.clocked_time", message)]
    })
}

/// "once at 2026-12-01 10:00 UTC" (seconds shown only when there are some).
pub fn describe_clocked(at: DateTime<Utc>) -> String {
    let format = if at.timestamp() % 60 == 0 { "%Y-%m-%d %H:%M" } else { "%Y-%m-%d %H:%M:%S" };
    format!("once at {} UTC", at.format(format))
}
