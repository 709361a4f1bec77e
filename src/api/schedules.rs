//! Periodic tasks (Celery Beat with django-celery-beat), admin-only: create, list, get, replace,
//! enable or disable, delete and run now.

use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::OpenApi;

use super::auth::{AdminAuth, AdminBearer};
use super::error::AppError;
use super::json::FastJson;
use super::task_responses::{Action, Queued, Saved};
use super::write_responses::Deleted;
use super::ApiTags;
use crate::db::jobs::now_ms;
use crate::db::jobs::schedules::{self, ScheduleRow};
use crate::db::DbError;
use crate::jobs::periodic::periodic_task;
use crate::jobs::queue::Enqueue;
use crate::jobs::scheduler::{compile_stored, plan_next};
use crate::jobs::submit::{Jobs, SubmitError};
use crate::model::periodic_tasks::{PeriodicTask, PeriodicTaskInput};
use crate::model::schedules::Timing;

pub struct SchedulesApi {
    pub jobs: Jobs,
    pub auth: AdminAuth,
}

/// Every problem with `input`, each naming its field; or the row it describes, with its next
/// run planned (keeping `previous`'s history).
fn to_row(input: PeriodicTaskInput, previous: Option<&ScheduleRow>, now: i64) -> Result<ScheduleRow, AppError> {
    check_schedule(input, previous, now).map_err(|problems| {
        let message = problems.iter().map(|(field, message)| format!("{field}: {message}")).collect::<Vec<_>>();
        let fields = problems.iter().map(|(field, _)| field.as_str()).collect::<Vec<_>>().join(", ");
        AppError::BadRequest(format!("invalid schedule: {}", message.join("; ")), Some(fields))
    })
}

/// Like `to_row`, with the problems as (field, message) pairs (the web form shows each by its field).
pub fn check_schedule(
    input: PeriodicTaskInput,
    previous: Option<&ScheduleRow>,
    now: i64,
) -> Result<ScheduleRow, Vec<(String, String)>> {
    let mut problems: Vec<(String, String)> = Vec::new();
    let name = input.name.trim().to_string();
    if name.is_empty() {
        problems.push(("name".into(), "must not be blank".into()));
    }
    let given: Vec<Timing> =
        [input.interval.map(Timing::Interval), input.crontab.map(Timing::Crontab), input.clocked.map(Timing::Clocked)]
            .into_iter()
            .flatten()
            .collect();
    let timing = match given.len() {
        1 => given.into_iter().next(),
        0 => {
            problems.push(("interval".into(), "give one of interval, crontab or clocked".into()));
            None
        }
        _ => {
            problems.push(("interval".into(), "give only one of interval, crontab or clocked".into()));
            None
        }
    };
    let compiled = timing.as_ref().and_then(|timing| match timing.compile() {
        Ok(compiled) => Some(compiled),
        Err(errors) => {
            problems.extend(errors.into_iter().map(|err| (err.field, err.message)));
            None
        }
    });
    if let Err(err) = Jobs::check(&input.task, &input.args) {
        match err {
            SubmitError::Args(errors) => problems.extend(errors.into_iter().map(|err| (err.field, err.message))),
            other => problems.push(("task".into(), other.to_string())),
        }
    }
    let mut time = |text: &Option<String>, field: &str| {
        let parsed = text.as_deref().map(chrono::DateTime::parse_from_rfc3339).transpose();
        parsed.map(|at| at.map(|at| at.timestamp_millis())).unwrap_or_else(|_| {
            problems.push((field.into(), "must be an RFC 3339 time, e.g. 2026-12-01T10:00:00Z".into()));
            None
        })
    };
    let (start_time, expires) = (time(&input.start_time, "start_time"), time(&input.expires, "expires"));
    if let (Some(start), Some(end)) = (start_time, expires) {
        if end <= start {
            problems.push(("expires".into(), "must be after start_time".into()));
        }
    }
    let (Some(timing), Some(compiled), true) = (timing, compiled, problems.is_empty()) else {
        return Err(problems);
    };
    let last_run_at = previous.and_then(|row| row.last_run_at);
    let next_run_at = input.enabled.then(|| plan_next(&compiled, start_time, expires, last_run_at, now)).flatten();
    Ok(ScheduleRow {
        id: previous.map_or(0, |row| row.id),
        name,
        task: input.task,
        args: input.args.to_string(),
        timing: serde_json::to_string(&timing).unwrap_or_default(),
        // Nothing left to run (a clocked time already run, or past `expires`): off.
        enabled: input.enabled && next_run_at.is_some(),
        one_off: input.one_off,
        start_time,
        expires,
        last_run_at,
        total_run_count: previous.map_or(0, |row| row.total_run_count),
        description: input.description,
        next_run_at,
        defined_in_code: previous.is_some_and(|row| row.defined_in_code),
    })
}

/// A taken name is a 409; other database errors as usual.
pub fn saved(err: DbError, name: &str) -> AppError {
    match &err {
        DbError::Sqlite(inner) if inner.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) => {
            AppError::Conflict(format!("a schedule named {name:?} already exists"))
        }
        _ => err.into(),
    }
}

impl SchedulesApi {
    async fn row(&self, id: i64) -> Result<ScheduleRow, AppError> {
        let found =
            self.jobs.queue.db().run("schedules.get", move |conn| schedules::get(conn, id).map_err(DbError::from));
        found.await?.ok_or_else(|| AppError::NotFound(format!("no schedule has id {id}")))
    }

    /// Applies `change` to schedule `id` and stores it, replanning its next run.
    async fn change(
        &self,
        id: i64,
        change: impl FnOnce(&ScheduleRow) -> Result<ScheduleRow, AppError>,
    ) -> Result<PeriodicTask, AppError> {
        let previous = self.row(id).await?;
        let row = change(&previous)?;
        let name = row.name.clone();
        let stored = row.clone();
        let updated = self
            .jobs
            .queue
            .db()
            .write("schedules.update", move |tx| schedules::update(tx, &stored, now_ms()).map_err(DbError::from));
        match updated.await.map_err(|err| saved(err, &name))? {
            true => Ok(periodic_task(row)),
            false => Err(AppError::NotFound(format!("no schedule has id {id}"))),
        }
    }

    async fn set_enabled(&self, id: i64, enabled: bool) -> Result<PeriodicTask, AppError> {
        self.change(id, |row| {
            let compiled = compile_stored(&row.timing).map_err(AppError::Conflict)?;
            let now = now_ms();
            let next =
                enabled.then(|| plan_next(&compiled, row.start_time, row.expires, row.last_run_at, now)).flatten();
            if enabled && next.is_none() {
                return Err(AppError::Conflict("the schedule has no run left (its time or expiry has passed)".into()));
            }
            Ok(ScheduleRow { enabled, next_run_at: next, ..row.clone() })
        })
        .await
    }
}

#[OpenApi(prefix_path = "/api", tag = "ApiTags::Schedules")]
impl SchedulesApi {
    /// Create a periodic task (admin)
    ///
    /// Give exactly one of `interval`, `crontab` (Celery's fields; day of week 0 or 7 = Sunday)
    /// or `clocked`. The task and its arguments are checked now; every problem is listed.
    #[oai(path = "/schedules", method = "post", operation_id = "schedule_create")]
    async fn create(&self, token: AdminBearer, body: Json<PeriodicTaskInput>) -> Saved<PeriodicTask> {
        let result = async {
            self.auth.verify(&token)?;
            let now = now_ms();
            let row = to_row(body.0, None, now)?;
            let (name, stored) = (row.name.clone(), row.clone());
            let id = self
                .jobs
                .queue
                .db()
                .write("schedules.create", move |tx| schedules::insert(tx, &stored, now).map_err(DbError::from));
            let id = id.await.map_err(|err| saved(err, &name))?;
            Ok::<_, AppError>(periodic_task(ScheduleRow { id, ..row }))
        };
        match result.await {
            Ok(task) => {
                let location = format!("/api/schedules/{}", task.id);
                Saved::Created(FastJson(task), location)
            }
            Err(err) => err.into(),
        }
    }

    /// Periodic tasks (admin)
    ///
    /// Every schedule by name, with its next run and the five after it.
    #[oai(path = "/schedules", method = "get", operation_id = "schedule_list")]
    async fn list(&self, token: AdminBearer) -> Action<Vec<PeriodicTask>> {
        if let Err(err) = self.auth.verify(&token) {
            return err.into();
        }
        let rows = self.jobs.queue.db().run("schedules.list", |conn| schedules::list(conn).map_err(DbError::from));
        rows.await.map(|rows| rows.into_iter().map(periodic_task).collect::<Vec<_>>()).into()
    }

    /// One periodic task (admin)
    #[oai(path = "/schedules/:id", method = "get", operation_id = "schedule_get")]
    async fn get(
        &self,
        token: AdminBearer,
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))] id: Path<i64>,
    ) -> Action<PeriodicTask> {
        let result = async {
            self.auth.verify(&token)?;
            self.row(id.0).await.map(periodic_task)
        };
        result.await.into()
    }

    /// Replace a periodic task (admin)
    ///
    /// Its run history is kept; its next run is planned again. A schedule defined in code keeps
    /// its name and timing.
    #[oai(path = "/schedules/:id", method = "put", operation_id = "schedule_replace")]
    async fn replace(
        &self,
        token: AdminBearer,
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))] id: Path<i64>,
        body: Json<PeriodicTaskInput>,
    ) -> Action<PeriodicTask> {
        let result = async {
            self.auth.verify(&token)?;
            self.change(id.0, |previous| {
                let row = to_row(body.0, Some(previous), now_ms())?;
                if previous.defined_in_code && (row.name != previous.name || row.timing != previous.timing) {
                    return Err(AppError::Conflict("a schedule defined in code keeps its name and timing".into()));
                }
                Ok(row)
            })
            .await
        };
        result.await.into()
    }

    /// Enable a periodic task (admin)
    #[oai(path = "/schedules/:id/enable", method = "post", operation_id = "schedule_enable")]
    async fn enable(
        &self,
        token: AdminBearer,
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))] id: Path<i64>,
    ) -> Action<PeriodicTask> {
        let result = async {
            self.auth.verify(&token)?;
            self.set_enabled(id.0, true).await
        };
        result.await.into()
    }

    /// Disable a periodic task (admin)
    #[oai(path = "/schedules/:id/disable", method = "post", operation_id = "schedule_disable")]
    async fn disable(
        &self,
        token: AdminBearer,
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))] id: Path<i64>,
    ) -> Action<PeriodicTask> {
        let result = async {
            self.auth.verify(&token)?;
            self.set_enabled(id.0, false).await
        };
        result.await.into()
    }

    /// Delete a periodic task (admin)
    ///
    /// Its queued and past tasks stay. A schedule defined in code comes back at the next start;
    /// disable it to keep it off.
    #[oai(path = "/schedules/:id", method = "delete", operation_id = "schedule_delete")]
    async fn delete(
        &self,
        token: AdminBearer,
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))] id: Path<i64>,
    ) -> Deleted {
        if let Err(err) = self.auth.verify(&token) {
            return err.into();
        }
        let id = id.0;
        match self
            .jobs
            .queue
            .db()
            .write("schedules.delete", move |tx| schedules::delete(tx, id).map_err(DbError::from))
            .await
        {
            Ok(true) => Deleted::Deleted,
            Ok(false) => AppError::NotFound(format!("no schedule has id {id}")).into(),
            Err(err) => AppError::from(err).into(),
        }
    }

    /// Run a periodic task now (admin)
    ///
    /// Queues its task at once, outside its timing: the next run stays as planned.
    #[oai(path = "/schedules/:id/run", method = "post", operation_id = "schedule_run")]
    async fn run_now(
        &self,
        token: AdminBearer,
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))] id: Path<i64>,
    ) -> Queued {
        let result = async {
            self.auth.verify(&token)?;
            let row = self.row(id.0).await?;
            let args: serde_json::Value = serde_json::from_str(&row.args).unwrap_or_default();
            let when = Enqueue { run_at_ms: None, schedule_id: Some(row.id) };
            let task_id = self.jobs.submit(&row.task, &args, when).await?;
            Ok::<_, AppError>((row.task, task_id))
        };
        match result.await {
            Ok((task, id)) => Queued::accepted(task, id),
            Err(err) => err.into(),
        }
    }
}
