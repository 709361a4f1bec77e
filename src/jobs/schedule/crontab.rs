//! Crontab schedules: Celery's fields turned into an explicit `cron` expression, read in the
//! schedule's time zone with our own rule for the hours that daylight saving time skips or repeats.

use std::str::FromStr;

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::fields::{self, parse_field, FieldKind, ValueSet};
use super::FieldError;
use crate::model::schedules::CrontabSpec;

/// The days of the week as the `cron` crate reads them, Sunday first (it numbers them 1-7).
const CRON_WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const DAY_NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTH_NAMES: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
/// The most days each month can have (February's 29th exists in leap years).
const MONTH_LENGTHS: [u8; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/// Wall-clock matches tried per call before giving up; only a repeated hour needs more than one
/// (one per minute of it), so this is far beyond any real zone.
const MAX_WALL_STEPS: usize = 2_000;

/// A checked crontab: the value sets, the expression handed to `cron`, and the zone.
#[derive(Debug, Clone)]
pub struct CompiledCrontab {
    minutes: ValueSet,
    hours: ValueSet,
    days_of_month: ValueSet,
    months: ValueSet,
    days_of_week: ValueSet,
    zone: Tz,
    expression: String,
    schedule: cron::Schedule,
}

/// Checks every field of `spec`, collecting every problem.
pub fn compile(spec: &CrontabSpec) -> Result<CompiledCrontab, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut field = |kind: &FieldKind, text: &str| {
        parse_field(kind, text)
            .map_err(|message| errors.push(FieldError::new(format!("crontab.{}", kind.name), message)))
    };
    let minutes = field(&fields::MINUTE, &spec.minute);
    let hours = field(&fields::HOUR, &spec.hour);
    let days_of_week = field(&fields::DAY_OF_WEEK, &spec.day_of_week);
    let days_of_month = field(&fields::DAY_OF_MONTH, &spec.day_of_month);
    let months = field(&fields::MONTH_OF_YEAR, &spec.month_of_year);
    let zone = Tz::from_str(spec.timezone.trim()).map_err(|_| {
        let message = format!("unknown time zone {:?}; use an IANA name such as Europe/Paris", spec.timezone);
        errors.push(FieldError::new("crontab.timezone", message));
    });
    if let (Ok(days), Ok(months)) = (days_of_month, months) {
        if !some_day_exists(days, months) {
            let message = format!(
                "no month in month_of_year ({}) has a day {}, so the schedule would never run",
                fields::compact(months),
                fields::compact(days)
            );
            errors.push(FieldError::new("crontab.day_of_month", message));
        }
    }
    let (Ok(minutes), Ok(hours), Ok(days_of_week), Ok(days_of_month), Ok(months), Ok(zone)) =
        (minutes, hours, days_of_week, days_of_month, months, zone)
    else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let expression = cron_expression(minutes, hours, days_of_month, months, days_of_week);
    let schedule = cron::Schedule::from_str(&expression)
        .map_err(|err| vec![FieldError::new("crontab", format!("could not be compiled ({expression}): {err}"))])?;
    Ok(CompiledCrontab { minutes, hours, days_of_month, months, days_of_week, zone, expression, schedule })
}

fn some_day_exists(days: ValueSet, months: ValueSet) -> bool {
    fields::values(months).any(|month| fields::values(days).any(|day| day <= MONTH_LENGTHS[month as usize - 1]))
}

/// Seconds first, then explicit lists; weekdays by name so no numbering can be confused. Both
/// day fields go to `cron`, which requires a day to match both when both are restricted: the
/// same as Celery (`crontab.remaining_delta` checks month, day of month AND day of week), unlike
/// Vixie cron, which runs on either.
fn cron_expression(minutes: ValueSet, hours: ValueSet, days: ValueSet, months: ValueSet, weekdays: ValueSet) -> String {
    let numbers = |set: ValueSet, kind: &FieldKind| {
        if set == kind.all() {
            "*".to_string()
        } else {
            fields::values(set).map(|value| value.to_string()).collect::<Vec<_>>().join(",")
        }
    };
    let weekdays = if weekdays == fields::DAY_OF_WEEK.all() {
        "*".to_string()
    } else {
        fields::values(weekdays).map(|day| CRON_WEEKDAYS[day as usize]).collect::<Vec<_>>().join(",")
    };
    format!(
        "0 {} {} {} {} {weekdays}",
        numbers(minutes, &fields::MINUTE),
        numbers(hours, &fields::HOUR),
        numbers(days, &fields::DAY_OF_MONTH),
        numbers(months, &fields::MONTH_OF_YEAR),
    )
}

impl CompiledCrontab {
    pub fn expression(&self) -> &str {
        &self.expression
    }

    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The first run strictly after `after`. `cron` is asked for wall-clock matches only (on a
    /// zone-free clock, so it never sees a gap or an overlap); each match then becomes an
    /// instant in the zone: the first instant showing that wall time when the hour repeats, so
    /// it runs once; the first instant after the gap when the wall time is skipped.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut wall = after.with_timezone(&self.zone).naive_local();
        for _ in 0..MAX_WALL_STEPS {
            let next_wall = self.schedule.after(&wall.and_utc()).next()?.naive_utc();
            let instant = first_instant_showing(self.zone, next_wall)?;
            if instant > after {
                return Some(instant);
            }
            // A repeated hour's wall time that already ran in the first pass, or a skipped
            // time whose run was at the end of a gap that is already behind us.
            wall = next_wall;
        }
        None
    }

    /// "at 14:30 every day (Africa/Cairo)", or the matching minutes, hours and days spelt out.
    pub fn describe(&self) -> String {
        let time = match (self.minutes.count_ones(), self.hours.count_ones()) {
            (1, 1) => format!("at {:02}:{:02}", self.hours.trailing_zeros(), self.minutes.trailing_zeros()),
            _ => {
                let minute_text = self.set_text(self.minutes, &fields::MINUTE, "every minute", "minute");
                let hour_text = self.set_text(self.hours, &fields::HOUR, "every hour", "hour");
                format!("at {minute_text} of {hour_text}")
            }
        };
        let mut days = Vec::new();
        if self.days_of_month != fields::DAY_OF_MONTH.all() {
            days.push(format!("on day {} of the month", fields::compact(self.days_of_month)));
        }
        if self.days_of_week != fields::DAY_OF_WEEK.all() {
            let names = fields::values(self.days_of_week).map(|day| DAY_NAMES[day as usize]);
            days.push(format!("on {}", names.collect::<Vec<_>>().join(", ")));
        }
        if days.is_empty() {
            days.push("every day".to_string());
        }
        if self.months != fields::MONTH_OF_YEAR.all() {
            let names = fields::values(self.months).map(|month| MONTH_NAMES[month as usize - 1]);
            days.push(format!("in {}", names.collect::<Vec<_>>().join(", ")));
        }
        format!("{time} {} ({})", days.join(" "), self.zone.name())
    }

    fn set_text(&self, set: ValueSet, kind: &FieldKind, all: &str, unit: &str) -> String {
        if set == kind.all() {
            all.to_string()
        } else {
            format!("{unit} {}", fields::compact(set))
        }
    }
}

/// The first instant whose wall clock in `zone` shows `wall`, or, when daylight saving time skips
/// `wall`, the first instant after the gap. None only past the end of representable time.
fn first_instant_showing(zone: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&wall) {
        LocalResult::Single(instant) | LocalResult::Ambiguous(instant, _) => Some(instant.with_timezone(&Utc)),
        LocalResult::None => first_instant_at_or_after(zone, wall),
    }
}

/// Binary search for the first second whose wall clock is at or past `wall`. UTC offsets lie
/// within -12h..+14h, so the answer is within 15 hours before and 13 after `wall` read as UTC.
fn first_instant_at_or_after(zone: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    let shows_at_least = |seconds: i64| {
        DateTime::from_timestamp(seconds, 0).is_some_and(|instant| instant.with_timezone(&zone).naive_local() >= wall)
    };
    let as_utc = wall.and_utc().timestamp();
    let (mut before, mut at_or_after) = (as_utc - 15 * 3600, as_utc + 13 * 3600);
    while at_or_after - before > 1 {
        let middle = before + (at_or_after - before) / 2;
        if shows_at_least(middle) {
            at_or_after = middle;
        } else {
            before = middle;
        }
    }
    DateTime::from_timestamp(at_or_after, 0).filter(|_| shows_at_least(at_or_after))
}
