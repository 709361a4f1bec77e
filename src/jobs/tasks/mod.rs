//! The task types, one per file, and the registry that checks arguments before anything is
//! queued: an unknown task or a bad argument is refused with every problem named.

pub mod backup;
pub mod import_dataset;
pub mod movie_stats;
pub mod noop;
pub mod recommendations;
pub mod upkeep;
pub mod user_profile;

use fang::{AsyncRunnable, FangError};
use serde::de::DeserializeOwned;

use super::context::TaskContext;

/// The longest demo delay (`simulate_seconds`) a task takes.
pub const MAX_SIMULATE_SECONDS: u32 = 60;

/// One argument's problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgError {
    pub field: String,
    pub message: String,
}

impl ArgError {
    pub fn new(field: &str, message: &str) -> Self {
        Self { field: field.to_string(), message: message.to_string() }
    }
}

/// The rows a task's arguments name, which must exist before it is queued.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct References {
    pub movie_id: Option<i64>,
    pub user_id: Option<i64>,
}

/// Checks a task's arguments beyond their types.
pub trait CheckArgs {
    /// Problems with values of the right type (out of range, unknown choice).
    fn check(&self) -> Vec<ArgError> {
        let seconds = self.simulate_seconds();
        match seconds > MAX_SIMULATE_SECONDS {
            true => vec![ArgError::new("simulate_seconds", &format!("must be at most {MAX_SIMULATE_SECONDS}"))],
            false => Vec::new(),
        }
    }

    fn references(&self) -> References {
        References::default()
    }

    fn simulate_seconds(&self) -> u32 {
        0
    }
}

/// A task built from checked arguments, with the rows it names.
pub struct Built {
    pub task: Box<dyn AsyncRunnable>,
    pub references: References,
}

/// A task type: its name, what it does, and how its arguments become a task.
pub struct TaskKind {
    pub name: &'static str,
    pub description: &'static str,
    build: fn(&serde_json::Value) -> Result<Built, Vec<ArgError>>,
}

/// Every task type the API and the schedules can queue.
pub const KINDS: &[TaskKind] = &[
    kind::<movie_stats::MovieStats>(
        "movie_stats",
        "Statistics of one movie from its raw ratings; corrects drifted aggregates. Args: movie_id, simulate_seconds.",
    ),
    kind::<user_profile::UserProfile>(
        "user_profile",
        "One user's rating count and mean, genre profile and most-tagged words. Args: user_id, simulate_seconds.",
    ),
    kind::<upkeep::RecomputeAggregates>(
        "recompute_aggregates",
        "Checks every stored aggregate against the ratings and corrects drift.",
    ),
    kind::<upkeep::RefreshPrior>(
        "refresh_prior",
        "Refreshes the top-rated prior and rescores the movies, if ratings changed.",
    ),
    kind::<upkeep::PruneTasks>("prune_tasks", "Deletes task records past their retention."),
    kind::<import_dataset::ImportDataset>(
        "import_dataset",
        "Imports a MovieLens folder or zip on the server, with progress. Args: path, replace.",
    ),
    kind::<recommendations::BuildRecommendations>(
        "recommendations.build",
        "Builds the item-item recommendation model and makes it current, with progress in movies; skipped when the \
         current model has the same parameters and data. Args: neighbours, score_neighbours, min_co_raters, normalization, \
         max_user_ratings, threads, evaluate, force.",
    ),
    kind::<backup::CreateBackup>(
        "backup.create",
        "Backs up the live database into the backup folder while it serves. Args: keep (delete the oldest automatic \
         backups beyond this many).",
    ),
    kind::<noop::Noop>(
        "noop",
        "Does nothing; sleep_ms, fail (\"error\" or \"panic\"), retries and retry_delay_secs try out the queue.",
    ),
    kind::<upkeep::EveryThreeMinutes>(
        "scheduled_task_every_3_min",
        "The seed's 3-minute task: refreshes the top-rated prior.",
    ),
    kind::<upkeep::IntervalTask>("scheduled_task_interval", "The seed's interval task: recomputes the aggregates."),
    kind::<upkeep::SpecificTimeTask>(
        "scheduled_task_specific_time",
        "The seed's specific-time task: prunes old task records.",
    ),
];

const fn kind<T>(name: &'static str, description: &'static str) -> TaskKind
where
    T: DeserializeOwned + AsyncRunnable + CheckArgs + 'static,
{
    TaskKind { name, description, build: build::<T> }
}

/// Why a task could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildError {
    UnknownTask(String),
    Args(Vec<ArgError>),
}

/// Builds task `name` from `args` (a JSON object), or says every problem with them.
pub fn build_task(name: &str, args: &serde_json::Value) -> Result<Built, BuildError> {
    let kind = KINDS.iter().find(|kind| kind.name == name).ok_or_else(|| BuildError::UnknownTask(name.to_string()))?;
    (kind.build)(args).map_err(BuildError::Args)
}

/// The known task names, for error messages.
pub fn names() -> Vec<&'static str> {
    KINDS.iter().map(|kind| kind.name).collect()
}

fn build<T>(args: &serde_json::Value) -> Result<Built, Vec<ArgError>>
where
    T: DeserializeOwned + AsyncRunnable + CheckArgs + 'static,
{
    let Some(fields) = args.as_object() else {
        return Err(vec![ArgError::new("args", "must be a JSON object")]);
    };
    // Each field alone first, so that a wrong type is reported against its field (every field
    // has a default, so one field makes a whole task).
    let mut errors: Vec<ArgError> = Vec::new();
    for (field, value) in fields {
        let alone = serde_json::Value::Object([(field.clone(), value.clone())].into_iter().collect());
        if let Err(err) = serde_json::from_value::<T>(alone) {
            let message = err.to_string();
            let message = if message.starts_with("unknown field") {
                "is not an argument of this task".to_string()
            } else {
                message
            };
            errors.push(ArgError { field: format!("args.{field}"), message });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let task: T = serde_json::from_value(args.clone()).map_err(|err| vec![ArgError::new("args", &err.to_string())])?;
    let errors: Vec<ArgError> =
        task.check().into_iter().map(|err| ArgError { field: format!("args.{}", err.field), ..err }).collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let references = task.references();
    if references.movie_id.is_some_and(|id| id < 1) || references.user_id.is_some_and(|id| id < 1) {
        return Err(vec![ArgError::new("args", "ids are at least 1")]);
    }
    Ok(Built { task: Box::new(task), references })
}

/// The seed's default id: 1.
pub fn default_id() -> i64 {
    1
}

/// Waits the demo delay (`simulate_seconds`), then keeps `result` as the task's, saying whether
/// the delay ran to its end or gave way to a cancel or a time limit.
pub async fn finish_simulated(context: &TaskContext, mut result: serde_json::Value, seconds: u32) {
    let completed = context.pause(std::time::Duration::from_secs(seconds.into())).await;
    result["simulated_seconds"] = seconds.into();
    result["simulation_completed"] = completed.into();
    context.set_result(result);
}

/// A database error as a task's failure.
pub fn failed(err: impl std::fmt::Display) -> FangError {
    FangError { description: err.to_string() }
}
