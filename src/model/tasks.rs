//! Background tasks as the API shows them: their states, details, listings and statistics.

use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};

/// Where a task is in its life. `pending` and `retrying` wait in the queue; the last four are
/// final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Pending,
    Running,
    Succeeded,
    Failed,
    Retrying,
    Cancelled,
    TimedOut,
}

impl TaskState {
    pub const ALL: [TaskState; 7] =
        [Self::Pending, Self::Running, Self::Succeeded, Self::Failed, Self::Retrying, Self::Cancelled, Self::TimedOut];

    /// The name stored in `job_results.state` and shown in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Retrying => "retrying",
            Self::Cancelled => "cancelled",
            Self::TimedOut => "timed_out",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == text)
    }

    /// Whether the task will not run again.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled | Self::TimedOut)
    }
}

/// How far a running task has come.
#[derive(Debug, Clone, PartialEq, Object, Serialize)]
pub struct TaskProgress {
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub done: i64,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub total: i64,
}

/// One task: what it is, where it is, and what came of it.
#[derive(Debug, Clone, Object, Serialize)]
pub struct TaskInfo {
    /// The task's id (a UUID).
    pub id: String,
    /// The task type, e.g. `movie_stats`.
    pub name: String,
    /// The arguments it was queued with.
    pub args: serde_json::Value,
    pub state: TaskState,
    /// What it returned, once it succeeded.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    /// The last failure's message.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When it was queued (RFC 3339, UTC, milliseconds).
    pub received_at: String,
    /// When its latest attempt started.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When its latest attempt ended.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// The latest attempt's run time in milliseconds, once it ended.
    #[oai(skip_serializing_if_is_none, validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_ms: Option<i64>,
    /// Runs started so far.
    #[oai(validator(minimum(value = "0"), maximum(value = "1000")))]
    pub attempts: i64,
    /// How many runs after the first a failure may get.
    #[oai(validator(minimum(value = "0"), maximum(value = "1000")))]
    pub max_retries: i64,
    /// The worker of its latest attempt.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<TaskProgress>,
    /// Whether a cancel was asked for while it ran.
    pub cancel_requested: bool,
    /// The schedule that queued it, if one did.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
}

/// A page of tasks, newest first.
#[derive(Debug, Clone, Object, Serialize)]
pub struct TaskPage {
    pub tasks: Vec<TaskInfo>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The answer to queuing a task: the seed's keys, and where to follow it.
#[derive(Debug, Clone, Object, Serialize)]
pub struct TaskQueued {
    /// The task type.
    pub task: String,
    pub task_id: String,
    /// `pending` when queued.
    pub status: String,
    /// The task's page in the task monitor.
    pub monitor: String,
    /// The task's JSON, also sent as the `Location` header.
    pub location: String,
}

/// Counts of one task type's tasks by state, and its run times.
#[derive(Debug, Clone, Object, Serialize)]
pub struct TaskTypeStats {
    pub name: String,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub pending: i64,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub running: i64,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub succeeded: i64,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub failed: i64,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub retrying: i64,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub cancelled: i64,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub timed_out: i64,
    /// Mean run time of its succeeded tasks, in milliseconds.
    #[oai(skip_serializing_if_is_none, validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_runtime_ms: Option<f64>,
    /// The 95th percentile of those run times, in milliseconds.
    #[oai(skip_serializing_if_is_none, validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p95_runtime_ms: Option<f64>,
}

/// A worker that has beaten its heartbeat within the lease.
#[derive(Debug, Clone, Object, Serialize)]
pub struct WorkerInfo {
    /// `host:pid:start:n`.
    pub id: String,
    #[oai(validator(minimum(value = "0"), maximum(value = "4294967295")))]
    pub pid: i64,
    pub started_at: String,
    pub heartbeat_at: String,
    /// The task it runs now.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_task: Option<String>,
    /// That task's type.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_task_name: Option<String>,
}

/// `GET /api/tasks/stats`.
#[derive(Debug, Clone, Object, Serialize)]
pub struct TaskStats {
    /// Tasks waiting to run now (pending, and retrying whose delay has passed).
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub queue_length: i64,
    /// Per task type, in name order.
    pub by_name: Vec<TaskTypeStats>,
    pub workers: Vec<WorkerInfo>,
}

/// One run of a task: who ran it, when, and how it ended.
#[derive(Debug, Clone, Serialize)]
pub struct TaskAttempt {
    /// The run's number, from 1.
    pub attempt: i64,
    pub worker: String,
    pub started_at: String,
    /// Absent while it runs.
    pub finished_at: Option<String>,
    pub runtime_ms: Option<i64>,
    /// How it ended (a task state); absent while it runs.
    pub outcome: Option<String>,
    pub error: Option<String>,
}
