//! Background tasks: the seed's two heavy tasks at its paths, and the task API (Flower's data).

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use super::auth::{AdminAuth, AdminBearer};
use super::error::{AppError, Lookup, Read};
use super::json::FastJson;
use super::task_responses::{Action, Queued};
use super::ApiTags;
use crate::db::jobs::{listing, now_ms, queue as store};
use crate::db::DbError;
use crate::jobs::queue::Enqueue;
use crate::jobs::submit::{Jobs, SubmitError};
use crate::jobs::tasks::KINDS;
use crate::jobs::RetryOutcome;
use crate::model::tasks::{TaskInfo, TaskPage, TaskState, TaskStats};

/// Seconds a client is asked to wait when the queue is full.
const QUEUE_FULL_RETRY_SECS: u64 = 5;

pub struct TasksApi {
    pub jobs: Jobs,
    pub auth: AdminAuth,
}

/// A task type that can be queued.
#[derive(Debug, Clone, Object, serde::Serialize)]
pub struct TaskType {
    pub name: String,
    pub description: String,
}

/// A task to queue by name.
#[derive(Debug, Clone, Object)]
pub struct NewTask {
    /// A task type from `GET /api/tasks/types`.
    pub name: String,
    /// Its arguments, a JSON object (`{}` when it takes none).
    #[oai(default)]
    pub args: serde_json::Value,
    /// Seconds to wait before it may start (Celery's `countdown`).
    #[oai(default, validator(minimum(value = "0"), maximum(value = "31536000")))]
    pub countdown: u32,
}

impl From<SubmitError> for AppError {
    fn from(err: SubmitError) -> Self {
        match err {
            SubmitError::Db(err) => err.into(),
            SubmitError::NotFound(message) => AppError::NotFound(message),
            SubmitError::QueueFull(_) => {
                AppError::Unavailable { message: err.to_string(), retry_after_secs: Some(QUEUE_FULL_RETRY_SECS) }
            }
            other => AppError::BadRequest(other.to_string(), other.fields()),
        }
    }
}

fn task_id(text: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(text)
        .map_err(|_| AppError::BadRequest(format!("{text:?} is not a task id (a UUID)"), Some("task_id".into())))
}

/// RFC 3339 to milliseconds since the epoch.
fn instant(text: &str, parameter: &str) -> Result<i64, AppError> {
    chrono::DateTime::parse_from_rfc3339(text).map(|at| at.timestamp_millis()).map_err(|_| {
        AppError::BadRequest(
            format!("{parameter} must be an RFC 3339 time, e.g. 2026-11-30T12:00:00Z"),
            Some(parameter.into()),
        )
    })
}

impl TasksApi {
    async fn queue(&self, name: &str, args: serde_json::Value, when: Enqueue) -> Queued {
        match self.jobs.submit(name, &args, when).await {
            Ok(id) => Queued::accepted(name.to_string(), id),
            Err(err) => AppError::from(err).into(),
        }
    }

    async fn task(&self, id: Uuid) -> Result<TaskInfo, AppError> {
        let found =
            self.jobs.queue.db().run("tasks.get", move |conn| listing::get(conn, &id).map_err(DbError::from)).await?;
        found.ok_or_else(|| AppError::NotFound(format!("no task has id {id}")))
    }
}

fn seed_args(id_name: &str, id: i64, simulate_seconds: u32) -> serde_json::Value {
    serde_json::json!({ id_name: id, "simulate_seconds": simulate_seconds })
}

#[OpenApi(prefix_path = "/api", tag = "ApiTags::Tasks")]
impl TasksApi {
    /// Task 1: one movie's statistics (GET, as the seed)
    ///
    /// Queues `movie_stats` and answers 202 at once. The task computes the movie's rating count,
    /// mean, median, standard deviation, histogram and ratings per year from the raw ratings, and
    /// corrects its stored aggregates if they drifted.
    #[oai(path = "/celery/task1", method = "get", operation_id = "celery_task1")]
    async fn task1(
        &self,
        /// The movie (default 1).
        #[oai(default = "default_id", validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        movie_id: Query<i64>,
        /// A demo delay after the work, like the seed's 5 s sleep (default 0, at most 60).
        #[oai(default, validator(minimum(value = "0"), maximum(value = "60")))]
        simulate_seconds: Query<u32>,
    ) -> Queued {
        self.queue("movie_stats", seed_args("movie_id", movie_id.0, simulate_seconds.0), Enqueue::default()).await
    }

    /// Task 1: one movie's statistics (POST)
    #[oai(path = "/celery/task1", method = "post", operation_id = "celery_task1_post")]
    async fn task1_post(
        &self,
        /// The movie (default 1).
        #[oai(default = "default_id", validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        movie_id: Query<i64>,
        /// A demo delay after the work (default 0, at most 60).
        #[oai(default, validator(minimum(value = "0"), maximum(value = "60")))]
        simulate_seconds: Query<u32>,
    ) -> Queued {
        self.task1(movie_id, simulate_seconds).await
    }

    /// Task 2: one user's ratings in bulk (GET, as the seed)
    ///
    /// Queues `user_profile` and answers 202 at once. The task computes the user's rating count
    /// and mean, the mean and count per genre, and the most used tag words.
    #[oai(path = "/celery/task2", method = "get", operation_id = "celery_task2")]
    async fn task2(
        &self,
        /// The user (default 1).
        #[oai(default = "default_id", validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        user_id: Query<i64>,
        /// A demo delay after the work, like the seed's 8 s sleep (default 0, at most 60).
        #[oai(default, validator(minimum(value = "0"), maximum(value = "60")))]
        simulate_seconds: Query<u32>,
    ) -> Queued {
        self.queue("user_profile", seed_args("user_id", user_id.0, simulate_seconds.0), Enqueue::default()).await
    }

    /// Task 2: one user's ratings in bulk (POST)
    #[oai(path = "/celery/task2", method = "post", operation_id = "celery_task2_post")]
    async fn task2_post(
        &self,
        /// The user (default 1).
        #[oai(default = "default_id", validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        user_id: Query<i64>,
        /// A demo delay after the work (default 0, at most 60).
        #[oai(default, validator(minimum(value = "0"), maximum(value = "60")))]
        simulate_seconds: Query<u32>,
    ) -> Queued {
        self.task2(user_id, simulate_seconds).await
    }

    /// Queue any task type (admin)
    ///
    /// The arguments are checked before anything is queued: an unknown task or a bad argument is
    /// a 400 naming it, an unknown movie or user a 404.
    #[oai(path = "/tasks", method = "post", operation_id = "task_create")]
    async fn create(&self, token: AdminBearer, body: Json<NewTask>) -> Queued {
        if let Err(err) = self.auth.verify(&token) {
            return err.into();
        }
        let args = match body.0.args {
            serde_json::Value::Null => serde_json::json!({}),
            args => args,
        };
        let when = Enqueue { run_at_ms: Some(now_ms() + i64::from(body.0.countdown) * 1000), schedule_id: None };
        self.queue(&body.0.name, args, when).await
    }

    /// Tasks, newest first
    ///
    /// Filter by task type, state and the time they were queued; follow `next_cursor` for more.
    #[oai(path = "/tasks", method = "get", operation_id = "task_list")]
    async fn list(
        &self,
        /// Only this task type.
        name: Query<Option<String>>,
        /// Only tasks in this state.
        state: Query<Option<TaskState>>,
        /// Queued at or after this time (RFC 3339).
        #[oai(validator(
            pattern = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$"
        ))]
        since: Query<Option<String>>,
        /// Queued before this time (RFC 3339).
        #[oai(validator(
            pattern = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$"
        ))]
        until: Query<Option<String>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Tasks per page (default 50).
        #[oai(default = "default_limit", validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<u32>,
    ) -> Read<TaskPage> {
        let filter = (|| {
            Ok::<_, AppError>(listing::TaskFilter {
                name: name.0,
                state: state.0,
                since_ms: since.0.as_deref().map(|text| instant(text, "since")).transpose()?,
                until_ms: until.0.as_deref().map(|text| instant(text, "until")).transpose()?,
                after: match cursor.0.as_deref() {
                    Some(text) => Some(listing::parse_cursor(text).ok_or_else(|| {
                        AppError::BadRequest("the cursor is not one this API gave".into(), Some("cursor".into()))
                    })?),
                    None => None,
                },
                limit: limit.0,
            })
        })();
        let filter = match filter {
            Ok(filter) => filter,
            Err(err) => return err.into(),
        };
        self.jobs
            .queue
            .db()
            .run("tasks.list", move |conn| listing::list(conn, &filter).map_err(DbError::from))
            .await
            .into()
    }

    /// Task statistics
    ///
    /// Counts per task type and state, mean and 95th-percentile run times, the queue's length,
    /// and the live workers with what each runs now.
    #[oai(path = "/tasks/stats", method = "get", operation_id = "task_stats")]
    async fn stats(&self) -> Read<TaskStats> {
        let now = now_ms();
        let alive_since = now - self.jobs.lease.as_millis() as i64;
        self.jobs
            .queue
            .db()
            .run("tasks.stats", move |conn| listing::stats(conn, now, alive_since).map_err(DbError::from))
            .await
            .into()
    }

    /// Task types
    ///
    /// What `POST /api/tasks` and the schedules can queue.
    #[oai(path = "/tasks/types", method = "get", operation_id = "task_types")]
    async fn types(&self) -> FastJson<Vec<TaskType>> {
        FastJson(
            KINDS
                .iter()
                .map(|kind| TaskType { name: kind.name.into(), description: kind.description.into() })
                .collect(),
        )
    }

    /// One task
    ///
    /// Its state, arguments, result or error, times, attempts and worker.
    #[oai(path = "/tasks/:task_id", method = "get", operation_id = "task_get")]
    async fn get(
        &self,
        #[oai(validator(pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"))]
        task_id: Path<String>,
    ) -> Lookup<TaskInfo> {
        match self::task_id(&task_id.0) {
            Ok(id) => self.task(id).await.into(),
            Err(err) => err.into(),
        }
    }

    /// Cancel a task (admin)
    ///
    /// A waiting task leaves the queue; a running one is told to stop, and ends `cancelled`.
    /// A task that has already ended is a 409.
    #[oai(path = "/tasks/:task_id/cancel", method = "post", operation_id = "task_cancel")]
    async fn cancel(
        &self,
        token: AdminBearer,
        #[oai(validator(pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"))]
        task_id: Path<String>,
    ) -> Action<TaskInfo> {
        let result = async {
            self.auth.verify(&token)?;
            let id = self::task_id(&task_id.0)?;
            match crate::jobs::cancel(self.jobs.queue.db(), &self.jobs.running, id).await? {
                store::CancelOutcome::NotFound => return Err(AppError::NotFound(format!("no task has id {id}"))),
                store::CancelOutcome::AlreadyFinal(state) => {
                    return Err(AppError::Conflict(format!("the task has already ended: it is {}", state.as_str())))
                }
                store::CancelOutcome::Removed | store::CancelOutcome::Requested => {}
            }
            self.task(id).await
        };
        result.await.into()
    }

    /// Retry a task (admin)
    ///
    /// Queues a task that failed, timed out or was cancelled to run again now, with one more run
    /// allowed. Any other state is a 409.
    #[oai(path = "/tasks/:task_id/retry", method = "post", operation_id = "task_retry")]
    async fn retry(
        &self,
        token: AdminBearer,
        #[oai(validator(pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"))]
        task_id: Path<String>,
    ) -> Action<TaskInfo> {
        let result = async {
            self.auth.verify(&token)?;
            let id = self::task_id(&task_id.0)?;
            match crate::jobs::retry(&self.jobs.queue, id).await? {
                RetryOutcome::NotFound => return Err(AppError::NotFound(format!("no task has id {id}"))),
                RetryOutcome::NotRetryable(state) => {
                    return Err(AppError::Conflict(format!(
                        "only a failed, timed-out or cancelled task can be retried; this one is {}",
                        state.as_str()
                    )))
                }
                RetryOutcome::Queued => {}
            }
            self.task(id).await
        };
        result.await.into()
    }
}

fn default_id() -> i64 {
    1
}

fn default_limit() -> u32 {
    50
}
