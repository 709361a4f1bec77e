//! The queue: fang's queue API (`AsyncQueueable`) over the `fang_tasks` table, through the one
//! database writer.
//!
//! fang's own `AsyncQueue` would open a second pool of connections (sqlx's) that competes with
//! ours for SQLite's write lock; going through our writer keeps one queue of writes per process.
//! Its claim is replaced by our atomic one (see `db::jobs::queue`).

use std::sync::Arc;

use fang::{AsyncQueueError, AsyncQueueable, AsyncRunnable, FangTaskState, Scheduled, Task};
use ring::digest::{digest, SHA256};
use rusqlite::Transaction;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::db::jobs::fang_rows::{self, FangRow, Selection};
use crate::db::jobs::queue::{self as store, NewTask};
use crate::db::jobs::{now_ms, queue::Claimed};
use crate::db::{Db, DbError};
use crate::jobs::waiting::WaitingCount;

/// The queue handle: cheap to clone; every clone wakes the same workers.
#[derive(Clone)]
pub struct JobQueue {
    db: Db,
    wake: Arc<Notify>,
    waiting: WaitingCount,
}

/// When and why a task is queued.
#[derive(Debug, Clone, Copy, Default)]
pub struct Enqueue {
    /// Not before this time (ms since the epoch); now when `None`.
    pub run_at_ms: Option<i64>,
    /// The schedule that queues it.
    pub schedule_id: Option<i64>,
}

impl JobQueue {
    pub fn new(db: Db) -> Self {
        Self { db, wake: Arc::new(Notify::new()), waiting: WaitingCount::default() }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Queues `task` and wakes an idle worker of this process. A task type that is unique while
    /// queued (`uniq()`) returns the waiting task's id instead of queuing a second.
    pub async fn enqueue(&self, task: &dyn AsyncRunnable, when: Enqueue) -> Result<Uuid, DbError> {
        self.enqueue_checked(task, when, |_| Ok::<_, DbError>(())).await
    }

    /// [`JobQueue::enqueue`], once `check` passes in the same transaction: what it checked still
    /// holds when the task is queued. Nothing is queued if it fails.
    pub async fn enqueue_checked<E>(
        &self,
        task: &dyn AsyncRunnable,
        when: Enqueue,
        check: impl FnOnce(&Transaction) -> Result<(), E> + Send + 'static,
    ) -> Result<Uuid, E>
    where
        E: From<DbError> + Send + 'static,
    {
        let new = new_task(task, when)?;
        let id = self
            .db
            .write("jobs.enqueue", move |tx| {
                check(tx)?;
                if let Some(hash) = &new.uniq_hash {
                    if let Some(waiting) = store::find_waiting_by_hash(tx, hash).map_err(DbError::from)? {
                        return Ok(waiting);
                    }
                }
                store::insert(tx, &new, now_ms()).map_err(DbError::from)?;
                Ok::<_, E>(new.id)
            })
            .await?;
        self.wake.notify_one();
        self.waiting.add_one();
        Ok(id)
    }

    /// How many tasks wait (see [`WaitingCount`]).
    pub async fn waiting(&self) -> Result<i64, DbError> {
        self.waiting.get(&self.db).await
    }

    /// Resolves when a task is queued in this process (or [`JobQueue::wake_all`] is called).
    pub async fn woken(&self) {
        self.wake.notified().await
    }

    /// Wakes every waiting worker: for shutdown and for retries queued by the API.
    pub fn wake_all(&self) {
        self.wake.notify_waiters();
    }

    /// Claims the next due task for `worker`.
    pub async fn claim(&self, worker: String, task_type: Option<String>) -> Result<Option<Claimed>, DbError> {
        self.db
            .write("jobs.claim", move |tx| {
                store::claim(tx, &worker, now_ms(), task_type.as_deref()).map_err(DbError::from)
            })
            .await
    }

    /// Whether any task is due, read without the write lock: idle workers poll this.
    pub async fn has_due(&self) -> Result<bool, DbError> {
        self.db
            .run("jobs.has_due", |conn| {
                conn.prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM fang_tasks INDEXED BY fang_tasks_due
                     WHERE state IN ('new', 'retried') AND scheduled_at <= ?1)",
                )?
                .query_row([now_ms().div_euclid(1000)], |row| row.get(0))
                .map_err(DbError::from)
            })
            .await
    }
}

/// The rows for `task`: its name and arguments come from fang's serialization of it.
pub fn new_task(task: &dyn AsyncRunnable, when: Enqueue) -> Result<NewTask, DbError> {
    let invalid = |err: serde_json::Error| DbError::Invalid(format!("the task cannot be serialized: {err}"), None);
    let metadata = serde_json::to_value(task).map_err(invalid)?;
    let mut args = metadata.as_object().cloned().unwrap_or_default();
    let name = match args.remove("type") {
        Some(serde_json::Value::String(name)) => name,
        _ => return Err(DbError::Invalid("a task must serialize to an object with a type".to_string(), None)),
    };
    let metadata = metadata.to_string();
    let uniq_hash = task.uniq().then(|| hex(digest(&SHA256, metadata.as_bytes()).as_ref()));
    Ok(NewTask {
        // Time-ordered: each new id goes at the end of the two tables' primary keys, where a
        // random one would dirty a page anywhere in them (most of what each enqueue wrote).
        id: Uuid::now_v7(),
        name,
        metadata,
        args: serde_json::Value::Object(args).to_string(),
        task_type: task.task_type(),
        uniq_hash,
        max_retries: i64::from(task.max_retries().clamp(0, 1000)),
        run_at_ms: when.run_at_ms.unwrap_or_else(now_ms),
        schedule_id: when.schedule_id,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn queue_error(err: DbError) -> AsyncQueueError {
    AsyncQueueError::SqlXError(sqlx::Error::Protocol(err.to_string()))
}

fn to_task(row: FangRow) -> Task {
    let time = |seconds: i64| chrono::DateTime::from_timestamp(seconds, 0).unwrap_or_default();
    Task {
        id: row.id,
        metadata: serde_json::from_str(&row.metadata).unwrap_or_default(),
        error_message: row.error_message,
        state: FangTaskState::from(row.state.as_str()),
        task_type: row.task_type,
        uniq_hash: row.uniq_hash,
        retries: row.retries,
        scheduled_at: time(row.scheduled_at),
        created_at: time(row.created_at),
        updated_at: time(row.updated_at),
    }
}

fn fang_state_name(state: &FangTaskState) -> &'static str {
    match state {
        FangTaskState::New => "new",
        FangTaskState::InProgress => "in_progress",
        FangTaskState::Failed => "failed",
        FangTaskState::Finished => "finished",
        FangTaskState::Retried => "retried",
    }
}

impl JobQueue {
    async fn find(&self, id: Uuid) -> Result<Task, AsyncQueueError> {
        let row = self.db.write("jobs.find", move |tx| fang_rows::find(tx, &id).map_err(DbError::from)).await;
        row.map_err(queue_error)?.map(to_task).ok_or(AsyncQueueError::ResultError { expected: 1, found: 0 })
    }

    async fn remove(&self, selection: Selection) -> Result<u64, AsyncQueueError> {
        self.db
            .write("jobs.remove", move |tx| fang_rows::remove(tx, selection).map_err(DbError::from))
            .await
            .map_err(queue_error)
    }

    async fn set_state(
        &self,
        task: &Task,
        state: &'static str,
        error: Option<String>,
        scheduled_at: Option<i64>,
    ) -> Result<Task, AsyncQueueError> {
        let id = task.id;
        self.db
            .write("jobs.set_state", move |tx| {
                fang_rows::set_state(tx, &id, state, error.as_deref(), scheduled_at, now_ms()).map_err(DbError::from)
            })
            .await
            .map_err(queue_error)?;
        self.find(id).await
    }
}

/// fang's queue API over our tables, so tasks (and fang code) can queue and manage tasks.
#[fang::async_trait]
impl AsyncQueueable for JobQueue {
    async fn fetch_and_touch_task(&self, task_type: Option<String>) -> Result<Option<Task>, AsyncQueueError> {
        let task_type = task_type.unwrap_or_else(|| fang::DEFAULT_TASK_TYPE.to_string());
        match self.claim("fang".to_string(), Some(task_type)).await.map_err(queue_error)? {
            Some(claimed) => self.find(claimed.id).await.map(Some),
            None => Ok(None),
        }
    }

    async fn insert_task(&self, task: &dyn AsyncRunnable) -> Result<Task, AsyncQueueError> {
        let id = self.enqueue(task, Enqueue::default()).await.map_err(queue_error)?;
        self.find(id).await
    }

    async fn remove_all_tasks(&self) -> Result<u64, AsyncQueueError> {
        self.remove(Selection::All).await
    }

    async fn remove_all_scheduled_tasks(&self) -> Result<u64, AsyncQueueError> {
        let now_s = now_ms().div_euclid(1000);
        self.remove(Selection::ScheduledAfter(now_s)).await
    }

    async fn remove_task(&self, id: &Uuid) -> Result<u64, AsyncQueueError> {
        self.remove(Selection::One(*id)).await
    }

    async fn remove_task_by_metadata(&self, task: &dyn AsyncRunnable) -> Result<u64, AsyncQueueError> {
        if !task.uniq() {
            return Err(AsyncQueueError::TaskNotUniqError);
        }
        let metadata = serde_json::to_value(task)?.to_string();
        self.remove(Selection::UniqHash(hex(digest(&SHA256, metadata.as_bytes()).as_ref()))).await
    }

    async fn remove_tasks_type(&self, task_type: &str) -> Result<u64, AsyncQueueError> {
        self.remove(Selection::TaskType(task_type.to_string())).await
    }

    async fn find_task_by_id(&self, id: &Uuid) -> Result<Task, AsyncQueueError> {
        self.find(*id).await
    }

    async fn update_task_state(&self, task: &Task, state: FangTaskState) -> Result<Task, AsyncQueueError> {
        self.set_state(task, fang_state_name(&state), None, None).await
    }

    async fn fail_task(&self, task: &Task, error_message: &str) -> Result<Task, AsyncQueueError> {
        self.set_state(task, "failed", Some(error_message.to_string()), None).await
    }

    /// A one-off time, or a cron pattern's next time: either queues the task once for then.
    /// Repeating schedules are the scheduler's (`/api/schedules`).
    async fn schedule_task(&self, task: &dyn AsyncRunnable) -> Result<Task, AsyncQueueError> {
        let run_at = match task.cron() {
            Some(Scheduled::ScheduleOnce(at)) => at,
            Some(Scheduled::CronPattern(pattern)) => {
                let schedule: cron::Schedule = pattern.parse()?;
                schedule
                    .upcoming(chrono::Utc)
                    .next()
                    .ok_or(AsyncQueueError::CronError(fang::CronError::NoTimestampsError))?
            }
            None => return Err(AsyncQueueError::CronError(fang::CronError::TaskNotSchedulableError)),
        };
        let when = Enqueue { run_at_ms: Some(run_at.timestamp_millis()), schedule_id: None };
        let id = self.enqueue(task, when).await.map_err(queue_error)?;
        self.find(id).await
    }

    async fn schedule_retry(&self, task: &Task, backoff_seconds: u32, error: &str) -> Result<Task, AsyncQueueError> {
        let at = now_ms().div_euclid(1000) + i64::from(backoff_seconds);
        self.set_state(task, "retried", Some(error.to_string()), Some(at)).await
    }
}
