//! The periodic task form: its fields as the browser sends them, their conversion to the API's
//! input (checked by the same code as `/api/schedules`), and each problem placed by its field.

use std::collections::BTreeMap;

use poem_openapi::Object;
use serde::{Deserialize, Serialize};

use crate::db::jobs::schedules::ScheduleRow;
use crate::model::periodic_tasks::{PeriodicTask, PeriodicTaskInput};
use crate::model::schedules::{CrontabSpec, IntervalSpec, Period, Timing};

/// The form's fields (text as typed; checked on the server).
#[derive(Debug, Clone, Default, Object, Deserialize, Serialize)]
#[serde(default)]
pub struct PeriodicForm {
    /// The session's CSRF token.
    #[oai(default, validator(max_length = 128))]
    pub csrf: String,
    /// `save`, or `preview` to show the next runs without saving.
    #[oai(default, validator(max_length = 16))]
    pub intent: String,
    #[oai(default, validator(max_length = 200))]
    pub name: String,
    #[oai(default, validator(max_length = 100))]
    pub task: String,
    /// The task's arguments, a JSON object.
    #[oai(default, validator(max_length = 4000))]
    pub args: String,
    /// `on` when ticked.
    #[oai(default, validator(max_length = 8))]
    pub enabled: String,
    /// `interval` or `crontab`.
    #[oai(default, validator(max_length = 16))]
    pub kind: String,
    #[oai(default, validator(max_length = 20))]
    pub every: String,
    #[oai(default, validator(max_length = 16))]
    pub period: String,
    #[oai(default, validator(max_length = 200))]
    pub minute: String,
    #[oai(default, validator(max_length = 200))]
    pub hour: String,
    #[oai(default, validator(max_length = 200))]
    pub day_of_week: String,
    #[oai(default, validator(max_length = 200))]
    pub day_of_month: String,
    #[oai(default, validator(max_length = 200))]
    pub month_of_year: String,
    #[oai(default, validator(max_length = 200))]
    pub timezone: String,
    #[oai(default, validator(max_length = 2000))]
    pub description: String,
}

/// Problems by form field.
pub type FieldErrors = BTreeMap<String, String>;

impl PeriodicForm {
    /// A new task's form: every minute of crontab's defaults, every 60 seconds of interval's.
    pub fn blank() -> Self {
        let crontab = CrontabSpec::default();
        Self {
            args: "{}".into(),
            enabled: "on".into(),
            kind: "interval".into(),
            every: "60".into(),
            period: "seconds".into(),
            minute: crontab.minute,
            hour: crontab.hour,
            day_of_week: crontab.day_of_week,
            day_of_month: crontab.day_of_month,
            month_of_year: crontab.month_of_year,
            timezone: crontab.timezone,
            ..Self::default()
        }
    }

    /// The form of a stored task.
    pub fn of(task: &PeriodicTask) -> Self {
        let mut form = Self::blank();
        form.name = task.name.clone();
        form.task = task.task.clone();
        form.args = task.args.to_string();
        form.enabled = if task.enabled { "on".into() } else { String::new() };
        form.description = task.description.clone();
        if let Some(interval) = &task.interval {
            form.kind = "interval".into();
            form.every = interval.every.to_string();
            form.period = serde_json::to_value(interval.period)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
        }
        if let Some(crontab) = &task.crontab {
            form.kind = "crontab".into();
            (form.minute, form.hour, form.day_of_week) =
                (crontab.minute.clone(), crontab.hour.clone(), crontab.day_of_week.clone());
            (form.day_of_month, form.month_of_year, form.timezone) =
                (crontab.day_of_month.clone(), crontab.month_of_year.clone(), crontab.timezone.clone());
        }
        form
    }

    /// The API's input, or the problems the form alone shows (the rest are the API's checks).
    pub fn input(&self, previous: Option<&ScheduleRow>) -> Result<PeriodicTaskInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let args = match serde_json::from_str::<serde_json::Value>(self.args.trim()) {
            Ok(args @ serde_json::Value::Object(_)) => args,
            _ => {
                errors.insert("args".into(), "must be a JSON object, e.g. {} or {\"keep\": 7}".into());
                serde_json::json!({})
            }
        };
        let timing = match self.kind.as_str() {
            "interval" => {
                let every = self.every.trim().parse::<i64>().unwrap_or_else(|_| {
                    errors.insert("every".into(), "must be a whole number".into());
                    1
                });
                let period = match self.period.as_str() {
                    "seconds" => Period::Seconds,
                    "minutes" => Period::Minutes,
                    "hours" => Period::Hours,
                    "days" => Period::Days,
                    _ => {
                        errors.insert("period".into(), "must be seconds, minutes, hours or days".into());
                        Period::Seconds
                    }
                };
                Some(Timing::Interval(IntervalSpec { every, period }))
            }
            "crontab" => Some(Timing::Crontab(CrontabSpec {
                minute: self.minute.trim().to_string(),
                hour: self.hour.trim().to_string(),
                day_of_week: self.day_of_week.trim().to_string(),
                day_of_month: self.day_of_month.trim().to_string(),
                month_of_year: self.month_of_year.trim().to_string(),
                timezone: self.timezone.trim().to_string(),
            })),
            _ => {
                errors.insert("kind".into(), "must be interval or crontab".into());
                None
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let (interval, crontab) = match timing {
            Some(Timing::Interval(interval)) => (Some(interval), None),
            Some(Timing::Crontab(crontab)) => (None, Some(crontab)),
            _ => (None, None),
        };
        // The form edits interval and crontab schedules; the rest of a stored one is kept.
        Ok(PeriodicTaskInput {
            name: self.name.clone(),
            task: self.task.clone(),
            args,
            enabled: self.enabled == "on",
            one_off: previous.is_some_and(|row| row.one_off),
            start_time: previous.and_then(|row| row.start_time).and_then(rfc3339),
            expires: previous.and_then(|row| row.expires).and_then(rfc3339),
            description: self.description.clone(),
            interval,
            crontab,
            clocked: None,
        })
    }
}

fn rfc3339(millis: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(millis).map(|at| at.to_rfc3339())
}

/// The API's problems by form field: `interval.every` is `every`, `args.keep` is `args`.
pub fn place(problems: Vec<(String, String)>) -> FieldErrors {
    let mut errors = FieldErrors::new();
    for (field, message) in problems {
        let placed = match field.as_str() {
            "interval" => "kind",
            "name" | "task" | "description" | "start_time" | "expires" => field.as_str(),
            other => match other.split_once('.') {
                Some(("args", _)) => "args",
                Some(("interval" | "crontab", inner)) => inner,
                _ if other == "args" => "args",
                _ => "form",
            },
        }
        .to_string();
        let placed = if matches!(placed.as_str(), "start_time" | "expires") { "form".to_string() } else { placed };
        errors.entry(placed).and_modify(|all: &mut String| all.push_str(&format!("; {message}"))).or_insert(message);
    }
    errors
}
