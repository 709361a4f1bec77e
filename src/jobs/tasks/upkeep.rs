//! Upkeep tasks: recompute every aggregate, refresh the top-rated prior, prune old task
//! records; and the seed's three scheduled task names, each doing one of them.

use fang::{typetag, AsyncQueueable, AsyncRunnable, FangError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{failed, CheckArgs};
use crate::db::jobs::{now_ms, queue};
use crate::db::{aggregates, scores, DbError};
use crate::jobs::context::TaskContext;

/// Checks every stored aggregate against the ratings and corrects any drift.
async fn recompute() -> Result<serde_json::Value, FangError> {
    let context = TaskContext::current();
    let write = context.db().write("jobs.recompute_aggregates", |tx| {
        let drift = aggregates::recompute_all(tx)?;
        // The corrected sums may move the prior: rescore against it.
        let prior = scores::refresh_prior(tx, false)?;
        Ok::<_, DbError>((drift, prior.is_some()))
    });
    let (drift, rescored) = write.await.map_err(failed)?;
    Ok(json!({ "drift": drift, "prior_refreshed": rescored }))
}

/// Takes a new prior and rescores every movie, if the ratings changed since the last one.
async fn refresh_prior() -> Result<serde_json::Value, FangError> {
    let context = TaskContext::current();
    let write = context.db().write("jobs.refresh_prior", |tx| scores::refresh_prior(tx, false).map_err(DbError::from));
    Ok(match write.await.map_err(failed)? {
        Some(prior) => json!({"refreshed": true, "mean": prior.mean, "rating_count": prior.rating_count}),
        None => json!({"refreshed": false, "reason": "no rating changed since the last refresh"}),
    })
}

/// Deletes task records past their retention (the configured ages).
async fn prune() -> Result<serde_json::Value, FangError> {
    let context = TaskContext::current();
    let retention = context.retention();
    let now = now_ms();
    let (succeeded_before, failed_before) = (now - retention.succeeded_ms, now - retention.failed_ms);
    let write = context
        .db()
        .write("jobs.prune", move |tx| queue::prune(tx, succeeded_before, failed_before).map_err(DbError::from));
    Ok(json!({ "tasks_deleted": write.await.map_err(failed)? }))
}

/// Declares a task type with no arguments whose run is `$work`.
macro_rules! upkeep_task {
    ($type:ident, $name:literal, $work:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Default, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $type {}

        impl CheckArgs for $type {}

        #[typetag::serde(name = $name)]
        #[fang::async_trait]
        impl AsyncRunnable for $type {
            async fn run(&self, _queue: &dyn AsyncQueueable) -> Result<(), FangError> {
                let result = $work().await?;
                TaskContext::current().set_result(result);
                Ok(())
            }

            fn max_retries(&self) -> i32 {
                2
            }
        }
    };
}

upkeep_task!(RecomputeAggregates, "recompute_aggregates", recompute, "Checks and corrects every aggregate.");
upkeep_task!(RefreshPrior, "refresh_prior", refresh_prior, "Refreshes the top-rated prior.");
upkeep_task!(PruneTasks, "prune_tasks", prune, "Deletes task records past their retention.");
upkeep_task!(
    EveryThreeMinutes,
    "scheduled_task_every_3_min",
    refresh_prior,
    "The seed's task every 3 minutes: refresh the prior."
);
upkeep_task!(IntervalTask, "scheduled_task_interval", recompute, "The seed's interval task: recompute the aggregates.");
upkeep_task!(
    SpecificTimeTask,
    "scheduled_task_specific_time",
    prune,
    "The seed's specific-time task: prune task records."
);
