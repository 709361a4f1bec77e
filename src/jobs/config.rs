//! The background jobs' flags, shared by `serve` and `worker` (flattened into both).

use std::time::Duration;

use clap::Args;

/// Background workers and schedules, for `serve` and `worker`.
#[derive(Debug, Clone, Args)]
pub struct JobsConfig {
    /// Workers that run background tasks in this process.
    #[arg(long, env = "MOVIELENS_WORKERS", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub workers: u16,

    /// Run no scheduler in this process (schedules fire only where one runs; two never fire one
    /// slot twice).
    #[arg(long, env = "MOVIELENS_NO_SCHEDULER")]
    pub no_scheduler: bool,

    /// A task's hard time limit in seconds: it is stopped and marked `timed_out` (Celery's
    /// task_time_limit; the seed set 30 minutes).
    #[arg(long, env = "MOVIELENS_TASK_TIME_LIMIT", default_value_t = 1800.0, value_parser = parse_seconds)]
    pub task_time_limit_secs: f64,

    /// A task's soft time limit in seconds: it is told to wrap up (the seed set 25 minutes).
    #[arg(long, env = "MOVIELENS_TASK_SOFT_TIME_LIMIT", default_value_t = 1500.0, value_parser = parse_seconds)]
    pub task_soft_time_limit_secs: f64,

    /// One task type's limits, `NAME=HARD[:SOFT]` in seconds; repeat it or separate with commas.
    #[arg(long = "task-limit", env = "MOVIELENS_TASK_LIMITS", value_delimiter = ',', value_parser = crate::jobs::limits::parse_task_limit)]
    pub task_limits: Vec<(String, crate::jobs::limits::Limits)>,

    /// Seconds without a heartbeat after which a worker is presumed dead and its running task
    /// is recovered.
    #[arg(long, env = "MOVIELENS_JOB_LEASE", default_value_t = 30, value_parser = clap::value_parser!(u64).range(3..=3600))]
    pub job_lease_secs: u64,

    /// Milliseconds between an idle worker's looks for tasks queued by other processes.
    #[arg(long, env = "MOVIELENS_JOB_POLL_MS", default_value_t = 100, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub job_poll_ms: u64,

    /// Hours to keep succeeded and cancelled tasks (Celery's result_expires is a day).
    #[arg(long, env = "MOVIELENS_KEEP_SUCCEEDED_HOURS", default_value_t = 24, value_parser = clap::value_parser!(u64).range(0..=87_600))]
    pub keep_succeeded_hours: u64,

    /// Days to keep failed and timed-out tasks.
    #[arg(long, env = "MOVIELENS_KEEP_FAILED_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(0..=3_650))]
    pub keep_failed_days: u64,

    /// Tasks that may wait in the queue; beyond it, queuing answers 503 until it drains.
    #[arg(long, env = "MOVIELENS_MAX_QUEUED_TASKS", default_value_t = 10_000, value_parser = clap::value_parser!(i64).range(1..))]
    pub max_queued_tasks: i64,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            workers: 2,
            no_scheduler: false,
            task_time_limit_secs: 1800.0,
            task_soft_time_limit_secs: 1500.0,
            task_limits: Vec::new(),
            job_lease_secs: 30,
            job_poll_ms: 100,
            keep_succeeded_hours: 24,
            keep_failed_days: 30,
            max_queued_tasks: 10_000,
        }
    }
}

impl JobsConfig {
    /// The workers' settings.
    pub fn settings(&self) -> crate::jobs::JobSettings {
        use crate::jobs::limits::{Limits, TimeLimits};
        let default = Limits {
            hard: Duration::from_secs_f64(self.task_time_limit_secs),
            soft: Duration::from_secs_f64(self.task_soft_time_limit_secs.min(self.task_time_limit_secs)),
        };
        crate::jobs::JobSettings {
            workers: usize::from(self.workers),
            limits: TimeLimits { default, per_task: self.task_limits.iter().cloned().collect() },
            retention: crate::jobs::Retention {
                succeeded_ms: (self.keep_succeeded_hours * 3_600_000) as i64,
                failed_ms: (self.keep_failed_days * 86_400_000) as i64,
            },
            lease: Duration::from_secs(self.job_lease_secs),
            poll: Duration::from_millis(self.job_poll_ms),
        }
    }
}

/// Seconds, more than 0 and at most a week.
fn parse_seconds(value: &str) -> Result<f64, String> {
    let seconds: f64 = value.parse().map_err(|_| format!("'{value}' is not a number of seconds"))?;
    match seconds > 0.0 && seconds <= 7.0 * 86_400.0 {
        true => Ok(seconds),
        false => Err("expected more than 0 and at most 604800 seconds".to_string()),
    }
}
