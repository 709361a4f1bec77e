//! Periodic tasks in the admin (django-celery-beat's admin): list, create, edit with the next
//! runs previewed, enable or disable, delete. The same checks and storage as `/api/schedules`.

use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::payload::{Form, Html};
use poem_openapi::OpenApi;

use super::answers::{AdminPage, FormPage};
use super::periodic_form::{place, FieldErrors, PeriodicForm};
use super::{problem, CsrfForm};
use crate::api::error::AppError;
use crate::api::schedules::{check_schedule, saved};
use crate::db::jobs::now_ms;
use crate::db::jobs::schedules::{self, ScheduleRow};
use crate::db::DbError;
use crate::jobs::periodic::periodic_task;
use crate::jobs::scheduler::{compile_stored, plan_next};
use crate::jobs::submit::Jobs;
use crate::jobs::tasks::names;
use crate::web::responses::{internal_page, FormDone, Page};
use crate::web::templates::{self, Layout};
use crate::web::{Session, Sessions, WebTags};

pub struct AdminPeriodicApi {
    pub sessions: Sessions,
    pub jobs: Jobs,
}

const LIST: &str = "/admin/periodic-tasks";

impl AdminPeriodicApi {
    async fn row(&self, id: i64) -> Result<Option<ScheduleRow>, DbError> {
        self.jobs.queue.db().run("admin.schedule", move |conn| schedules::get(conn, id).map_err(DbError::from)).await
    }

    fn form_page(
        &self,
        session: &Session,
        action: &str,
        form: &PeriodicForm,
        errors: &FieldErrors,
        next_runs: Option<Vec<String>>,
    ) -> AdminPage {
        let title = if action.ends_with("/new") { "Add a periodic task" } else { "Change a periodic task" };
        let context = minijinja::context! {
            action => action,
            form => form,
            errors => errors,
            kinds => names(),
            previewed => next_runs.is_some(),
            next_runs => next_runs.unwrap_or_default(),
            csrf => session.csrf.clone(),
        };
        let rendered = templates::render("admin/periodic_form.html", context, Layout { title, session: Some(session) });
        match (rendered, errors.is_empty()) {
            (Ok(page), true) => AdminPage::Ok(Html(page)),
            (Ok(page), false) => AdminPage::BadRequest(Html(page)),
            (Err(cause), _) => AdminPage::Internal(internal_page(cause)),
        }
    }

    /// Checks the form and, on `save`, stores it (`id` None: a new task); else shows it again
    /// with its problems, or its next runs.
    async fn submit(&self, request: &Request, id: Option<i64>, form: PeriodicForm) -> FormPage {
        let session = match self.sessions.require_form(request, &form.csrf).await {
            Ok(session) => session,
            Err(refusal) => return refusal.into(),
        };
        let action = id.map_or_else(|| format!("{LIST}/new"), |id| format!("{LIST}/{id}"));
        let previous = match id {
            Some(id) => match self.row(id).await {
                Ok(Some(row)) => Some(row),
                Ok(None) => return FormPage::NotFound(problem("Not found", "No periodic task has this id.", &session)),
                Err(err) => return FormPage::Internal(internal_page(err.into())),
            },
            None => None,
        };
        let now = now_ms();
        let checked = form.input(previous.as_ref()).and_then(|input| {
            let row = check_schedule(input, previous.as_ref(), now).map_err(place)?;
            match &previous {
                Some(old) if old.defined_in_code && (row.name != old.name || row.timing != old.timing) => Err(
                    FieldErrors::from([("form".into(), "a schedule defined in code keeps its name and timing".into())]),
                ),
                _ => Ok(row),
            }
        });
        let row = match checked {
            Ok(row) => row,
            Err(errors) => return self.form_page(&session, &action, &form, &errors, None).into(),
        };
        if form.intent != "save" {
            let runs = periodic_task(row.clone()).next_runs;
            return self.form_page(&session, &action, &form, &FieldErrors::new(), Some(runs)).into();
        }
        let (name, stored) = (row.name.clone(), row.clone());
        let db = self.jobs.queue.db();
        let written = match id {
            None => {
                db.write("admin.schedule_create", move |tx| {
                    schedules::insert(tx, &stored, now).map(drop).map_err(DbError::from)
                })
                .await
            }
            Some(_) => {
                db.write("admin.schedule_update", move |tx| {
                    schedules::update(tx, &stored, now).map(drop).map_err(DbError::from)
                })
                .await
            }
        };
        match written.map_err(|err| saved(err, &name)) {
            Ok(()) => FormPage::SeeOther(LIST.to_string()),
            Err(AppError::Conflict(why)) => {
                let errors = FieldErrors::from([("name".into(), why)]);
                self.form_page(&session, &action, &form, &errors, None).into()
            }
            Err(err) => FormPage::Internal(internal_page(anyhow::anyhow!("{err}"))),
        }
    }

    /// Enables, disables or deletes schedule `id` from a CSRF-checked button.
    async fn act(&self, request: &Request, id: i64, csrf: &str, act: &'static str) -> FormDone {
        if let Err(refusal) = self.sessions.require_form(request, csrf).await {
            return refusal.into();
        }
        let db = self.jobs.queue.db();
        let done = match act {
            "delete" => {
                db.write("admin.schedule_delete", move |tx| schedules::delete(tx, id).map(drop).map_err(DbError::from))
                    .await
            }
            _ => {
                let enabled = act == "enable";
                db.write("admin.schedule_enable", move |tx| {
                    let Some(row) = schedules::get(tx, id).map_err(DbError::from)? else { return Ok(()) };
                    let now = now_ms();
                    let next = match compile_stored(&row.timing) {
                        Ok(compiled) if enabled => {
                            plan_next(&compiled, row.start_time, row.expires, row.last_run_at, now)
                        }
                        _ => None,
                    };
                    let changed = ScheduleRow { enabled: enabled && next.is_some(), next_run_at: next, ..row };
                    schedules::update(tx, &changed, now).map(drop).map_err(DbError::from)
                })
                .await
            }
        };
        match done {
            Ok(()) => FormDone::SeeOther(LIST.to_string()),
            Err(err) => FormDone::Internal(internal_page(err.into())),
        }
    }
}

#[OpenApi(tag = "WebTags::WebPages")]
impl AdminPeriodicApi {
    /// Periodic tasks
    ///
    /// Every schedule with its task, timing, next run and run count, and buttons to enable,
    /// disable or delete it. Without a session it redirects to sign-in.
    #[oai(path = "/admin/periodic-tasks", method = "get", operation_id = "admin_periodic_tasks")]
    async fn list(&self, request: &Request) -> Page {
        let session = match self.sessions.require(request).await {
            Ok(session) => session,
            Err(refusal) => return refusal.into(),
        };
        let rows = self.jobs.queue.db().run("admin.schedules", |conn| schedules::list(conn).map_err(DbError::from));
        let tasks: Vec<_> = match rows.await {
            Ok(rows) => rows.into_iter().map(periodic_task).collect(),
            Err(err) => return Page::Internal(internal_page(err.into())),
        };
        let context = minijinja::context! { tasks => tasks, csrf => session.csrf.clone() };
        let layout = Layout { title: "Periodic tasks", session: Some(&session) };
        let rendered = templates::render("admin/periodic_list.html", context, layout);
        rendered.map_or_else(|cause| Page::Internal(internal_page(cause)), |page| Page::Ok(Html(page)))
    }

    /// Add a periodic task: the form
    #[oai(path = "/admin/periodic-tasks/new", method = "get", operation_id = "admin_periodic_task_new")]
    async fn new_form(&self, request: &Request) -> AdminPage {
        let session = match self.sessions.require(request).await {
            Ok(session) => session,
            Err(refusal) => return refusal.into(),
        };
        self.form_page(&session, &format!("{LIST}/new"), &PeriodicForm::blank(), &FieldErrors::new(), None)
    }

    /// Add a periodic task
    ///
    /// `intent=preview` shows the next runs without saving; `save` stores it and goes to the
    /// list. Problems are shown next to their fields (400).
    #[oai(path = "/admin/periodic-tasks/new", method = "post", operation_id = "admin_periodic_task_create")]
    async fn create(&self, request: &Request, form: Form<PeriodicForm>) -> FormPage {
        self.submit(request, None, form.0).await
    }

    /// Change a periodic task: the form, with its next runs
    #[oai(path = "/admin/periodic-tasks/:id", method = "get", operation_id = "admin_periodic_task")]
    async fn edit_form(
        &self,
        request: &Request,
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))] id: Path<i64>,
    ) -> AdminPage {
        let session = match self.sessions.require(request).await {
            Ok(session) => session,
            Err(refusal) => return refusal.into(),
        };
        let task = match self.row(id.0).await {
            Ok(Some(row)) => periodic_task(row),
            Ok(None) => return AdminPage::NotFound(problem("Not found", "No periodic task has this id.", &session)),
            Err(err) => return AdminPage::Internal(internal_page(err.into())),
        };
        let runs = task.next_runs.clone();
        self.form_page(&session, &format!("{LIST}/{}", id.0), &PeriodicForm::of(&task), &FieldErrors::new(), Some(runs))
    }

    /// Change a periodic task
    #[oai(path = "/admin/periodic-tasks/:id", method = "post", operation_id = "admin_periodic_task_save")]
    async fn save(
        &self,
        request: &Request,
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))] id: Path<i64>,
        form: Form<PeriodicForm>,
    ) -> FormPage {
        self.submit(request, Some(id.0), form.0).await
    }

    /// Enable a periodic task
    #[oai(path = "/admin/periodic-tasks/:id/enable", method = "post", operation_id = "admin_periodic_task_enable")]
    async fn enable(
        &self,
        request: &Request,
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))] id: Path<i64>,
        form: Form<CsrfForm>,
    ) -> FormDone {
        self.act(request, id.0, &form.0.csrf, "enable").await
    }

    /// Disable a periodic task
    #[oai(path = "/admin/periodic-tasks/:id/disable", method = "post", operation_id = "admin_periodic_task_disable")]
    async fn disable(
        &self,
        request: &Request,
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))] id: Path<i64>,
        form: Form<CsrfForm>,
    ) -> FormDone {
        self.act(request, id.0, &form.0.csrf, "disable").await
    }

    /// Delete a periodic task
    #[oai(path = "/admin/periodic-tasks/:id/delete", method = "post", operation_id = "admin_periodic_task_delete")]
    async fn delete(
        &self,
        request: &Request,
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))] id: Path<i64>,
        form: Form<CsrfForm>,
    ) -> FormDone {
        self.act(request, id.0, &form.0.csrf, "delete").await
    }
}
