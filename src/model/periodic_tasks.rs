//! Periodic tasks (Celery Beat's schedules) as the API takes and shows them, with
//! django-celery-beat's field names.

use poem_openapi::Object;
use serde::Serialize;

use super::schedules::{ClockedSpec, CrontabSpec, IntervalSpec};

/// A periodic task to create, or the whole of one to replace. Exactly one of `interval`,
/// `crontab` and `clocked` is given.
#[derive(Debug, Clone, Object)]
pub struct PeriodicTaskInput {
    /// Unique.
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: String,
    /// The task type it queues (see `GET /api/tasks/types`).
    pub task: String,
    /// The task's arguments, a JSON object; checked against the task when saved.
    #[oai(default = "empty_object")]
    pub args: serde_json::Value,
    #[oai(default = "yes")]
    pub enabled: bool,
    /// Run once, then disable itself.
    #[oai(default)]
    pub one_off: bool,
    /// No run before this time (RFC 3339).
    #[oai(skip_serializing_if_is_none)]
    pub start_time: Option<String>,
    /// No run after this time (RFC 3339); it then disables itself.
    #[oai(skip_serializing_if_is_none)]
    pub expires: Option<String>,
    #[oai(default, validator(max_length = 2000))]
    pub description: String,
    #[oai(skip_serializing_if_is_none)]
    pub interval: Option<IntervalSpec>,
    #[oai(skip_serializing_if_is_none)]
    pub crontab: Option<CrontabSpec>,
    #[oai(skip_serializing_if_is_none)]
    pub clocked: Option<ClockedSpec>,
}

fn empty_object() -> serde_json::Value {
    serde_json::json!({})
}

fn yes() -> bool {
    true
}

/// A periodic task.
#[derive(Debug, Clone, Object, Serialize)]
pub struct PeriodicTask {
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub id: i64,
    pub name: String,
    pub task: String,
    pub args: serde_json::Value,
    pub enabled: bool,
    pub one_off: bool,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// When it last queued its task.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_run_at: Option<String>,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub total_run_count: i64,
    pub description: String,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<IntervalSpec>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crontab: Option<CrontabSpec>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clocked: Option<ClockedSpec>,
    /// The timing in words, e.g. "every 3 minutes".
    pub schedule: String,
    /// When it runs next; absent when disabled or no run is left.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_run_at: Option<String>,
    /// Its next five run times, from its next one.
    pub next_runs: Vec<String>,
    /// Written by the server at start (task 1 every 3 minutes); its timing follows the code.
    pub defined_in_code: bool,
}
