//! `recommendations.build`: the item-item model computed in the background, with progress in
//! movies done out of all, and a cancel that leaves the previous model current. A build whose
//! model would equal the current one (same data version, same parameters) is skipped unless
//! `force` is set: the schedule fires it often, and it builds only when the data changed.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use fang::{typetag, AsyncQueueable, AsyncRunnable, FangError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{failed, ArgError, CheckArgs};
use crate::db::jobs::now_ms;
use crate::db::recommendations as store;
use crate::db::DbError;
use crate::jobs::context::TaskContext;
use crate::jobs::queue::{new_task, Enqueue, JobQueue};
use crate::jobs::scheduler::CodeSchedule;
use crate::model::schedules::{IntervalSpec, Period, Timing};
use crate::recommend::build::{self, BuildOptions, Tracker};
use crate::recommend::{Normalization, Params};

/// The task's name.
pub const NAME: &str = "recommendations.build";
/// How often the task records its progress and looks for a cancel.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildRecommendations {
    /// Neighbours kept per movie (default 50).
    #[serde(default = "default_neighbours")]
    pub neighbours: u32,
    /// The first neighbours of each rated movie that score a pick (default 20).
    #[serde(default = "default_score_neighbours")]
    pub score_neighbours: u32,
    /// Pairs rated by fewer users are dropped (default 2).
    #[serde(default = "default_min_co_raters")]
    pub min_co_raters: u32,
    /// `binary` (default) or `centred`.
    #[serde(default = "default_normalization")]
    pub normalization: Normalization,
    /// A user's most recent ratings that count (default 1000).
    #[serde(default = "default_max_user_ratings")]
    pub max_user_ratings: u64,
    /// Threads to compute with (default 1, so that requests keep the other cores).
    #[serde(default = "default_threads")]
    pub threads: u16,
    /// Evaluate too (default: with at most 2,000,000 ratings).
    #[serde(default)]
    pub evaluate: Option<bool>,
    /// Build even when the current model has these parameters and the data did not change.
    #[serde(default)]
    pub force: bool,
}

/// The defaults, as a build queued with no arguments has them.
impl Default for BuildRecommendations {
    fn default() -> Self {
        Self {
            neighbours: default_neighbours(),
            score_neighbours: default_score_neighbours(),
            min_co_raters: default_min_co_raters(),
            normalization: default_normalization(),
            max_user_ratings: default_max_user_ratings(),
            threads: default_threads(),
            evaluate: None,
            force: false,
        }
    }
}

fn default_neighbours() -> u32 {
    Params::default().neighbours as u32
}
fn default_score_neighbours() -> u32 {
    Params::default().score_neighbours as u32
}
fn default_min_co_raters() -> u32 {
    Params::default().min_co_raters
}
fn default_normalization() -> Normalization {
    Params::default().normalization
}
fn default_max_user_ratings() -> u64 {
    Params::default().max_user_ratings as u64
}
fn default_threads() -> u16 {
    1
}

impl CheckArgs for BuildRecommendations {
    fn check(&self) -> Vec<ArgError> {
        let mut errors = Vec::new();
        if !(1..=1000).contains(&self.neighbours) {
            errors.push(ArgError::new("neighbours", "must be from 1 to 1000"));
        }
        if !(1..=1000).contains(&self.score_neighbours) {
            errors.push(ArgError::new("score_neighbours", "must be from 1 to 1000"));
        }
        if !(1..=1_000_000).contains(&self.min_co_raters) {
            errors.push(ArgError::new("min_co_raters", "must be from 1 to 1000000"));
        }
        if self.max_user_ratings < 1 {
            errors.push(ArgError::new("max_user_ratings", "must be at least 1"));
        }
        if !(1..=64).contains(&self.threads) {
            errors.push(ArgError::new("threads", "must be from 1 to 64"));
        }
        errors
    }
}

impl BuildRecommendations {
    /// Whether `model` was built with these parameters.
    fn matches(&self, model: &crate::model::recommendations::RecommendationModel) -> bool {
        model.neighbours == i64::from(self.neighbours)
            && model.score_neighbours == i64::from(self.score_neighbours)
            && model.min_co_raters == i64::from(self.min_co_raters)
            && model.normalization == self.normalization.as_str()
            && model.max_user_ratings == self.max_user_ratings as i64
    }

    fn options(&self) -> BuildOptions {
        let params = Params {
            neighbours: self.neighbours as usize,
            score_neighbours: self.score_neighbours as usize,
            min_co_raters: self.min_co_raters,
            normalization: self.normalization,
            max_user_ratings: self.max_user_ratings as usize,
        };
        BuildOptions { params, threads: usize::from(self.threads), evaluate: self.evaluate }
    }
}

#[typetag::serde(name = "recommendations.build")]
#[fang::async_trait]
impl AsyncRunnable for BuildRecommendations {
    async fn run(&self, _queue: &dyn AsyncQueueable) -> Result<(), FangError> {
        let context = TaskContext::current();
        if !self.force {
            let current = context
                .db()
                .read("jobs.recommendations.current", |tx| {
                    Ok::<_, DbError>((store::current_model(tx)?, store::data_generation(tx)?))
                })
                .await
                .map_err(failed)?;
            if let (Some(model), generation) = current {
                if !model.stale && self.matches(&model) {
                    context.set_result(json!({"built": false, "reason": "the current model has these parameters and the data did not change", "model_id": model.id, "data_generation": generation}));
                    return Ok(());
                }
            }
        }
        let tracker = Arc::new(Tracker::default());
        let watcher = tokio::spawn(report_progress(context.clone(), tracker.clone()));
        // The worker drops this future when a stop outlasts its grace: the guard then stops
        // the computation on the blocking threads too.
        let _guard = StopOnDrop { tracker: tracker.clone(), watcher };
        let built = build::run(context.db(), self.options(), tracker.clone()).await;
        let (done, total) = (tracker.done.load(Ordering::Relaxed), tracker.total.load(Ordering::Relaxed));
        let _ = context.progress(done as i64, total as i64).await;
        match built.map_err(failed)? {
            Some(summary) => context.set_result(json!({
                "built": true,
                "model_id": summary.model_id,
                "data_generation": summary.data_generation,
                "movies": summary.movies,
                "neighbour_rows": summary.neighbour_rows,
                "ratings": summary.ratings,
                "ratings_used": summary.ratings_used,
                "elapsed_ms": summary.elapsed_ms,
                "evaluation": summary.evaluation,
            })),
            None => {
                context.set_result(json!({"built": false, "reason": "stopped; the previous model is still current"}))
            }
        }
        Ok(())
    }

    /// A build that failed would meet the same failure again; the schedule runs it later.
    fn max_retries(&self) -> i32 {
        0
    }
}

/// Records movies done every half second, and turns a stop request into the build's at once.
async fn report_progress(context: TaskContext, tracker: Arc<Tracker>) {
    let stopper = {
        let (context, tracker) = (context.clone(), tracker.clone());
        async move {
            context.stop_requested().await;
            tracker.stop.store(true, Ordering::Relaxed);
        }
    };
    let reporter = async move {
        loop {
            tokio::time::sleep(PROGRESS_EVERY).await;
            let (done, total) = (tracker.done.load(Ordering::Relaxed), tracker.total.load(Ordering::Relaxed));
            let _ = context.progress(done as i64, total as i64).await;
        }
    };
    tokio::join!(stopper, reporter);
}

/// Stops the build and its progress reports when the task's future ends or is dropped.
struct StopOnDrop {
    tracker: Arc<Tracker>,
    watcher: tokio::task::JoinHandle<()>,
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.tracker.stop.store(true, Ordering::Relaxed);
        self.watcher.abort();
    }
}

/// The schedule that rebuilds the model every `every` when the data changed (serve
/// `--recommendations-every-secs`).
pub fn schedule(every: Duration) -> CodeSchedule {
    CodeSchedule {
        name: "recommendations_refresh",
        task: NAME,
        timing: Timing::Interval(IntervalSpec { every: every.as_secs().max(1) as i64, period: Period::Seconds }),
        description: "Rebuilds the recommendation model (serve --recommendations-every-secs) when the data changed \
                      since the current one."
            .to_string(),
    }
}

/// Queues a build with the default parameters after an import run by a worker. It goes through
/// the worker's own queue, whose enqueue wakes an idle worker of this process as an HTTP
/// submission does: a queue made here would wake nobody, and the build would wait for a poll.
pub async fn queue_build(queue: &dyn AsyncQueueable) -> Result<uuid::Uuid, fang::AsyncQueueError> {
    Ok(queue.insert_task(&BuildRecommendations::default()).await?.id)
}

/// Queues a build with the default parameters in `tx`, for the command line's import: it runs
/// no workers, so the next server or `movielens worker` on the file builds it.
pub fn queue_build_in(tx: &rusqlite::Transaction) -> Result<uuid::Uuid, DbError> {
    let new = new_task(&BuildRecommendations::default(), Enqueue::default())?;
    crate::db::jobs::queue::insert(tx, &new, now_ms())?;
    Ok(new.id)
}

/// At a server's start: queues one build when the data has ratings but no model was built from
/// it, and no build waits or runs already (checked and queued in one transaction). This is what
/// ends the first start's 503 "not built yet" by itself.
pub async fn queue_first_build(queue: &JobQueue) -> Result<Option<uuid::Uuid>, DbError> {
    let new = new_task(&BuildRecommendations::default(), Enqueue::default())?;
    let queued = queue
        .db()
        .write("jobs.recommendations.first_build", move |tx| {
            if !store::first_build_needed(tx, NAME)? {
                return Ok(None);
            }
            crate::db::jobs::queue::insert(tx, &new, now_ms())?;
            Ok::<_, DbError>(Some(new.id))
        })
        .await?;
    if queued.is_some() {
        queue.wake_all();
    }
    Ok(queued)
}
