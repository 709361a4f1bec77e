//! The task monitor (Flower's job) at `/flower/`: the dashboard with its live task table, one
//! task's page, and its Cancel and Retry buttons. Admin-only through the shared sign-in; the
//! buttons call the same actions as the task API (`crate::jobs::{cancel, retry}`).

pub mod answers;
mod dashboard;
mod display;
mod task_page;

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Form, Html};
use poem_openapi::{Object, OpenApi};
use serde::Deserialize;
use uuid::Uuid;

use super::responses::{internal_page, Page};
use super::{Refusal, Sessions, WebTags};
use crate::db::jobs::queue::CancelOutcome;
use crate::jobs::submit::Jobs;
use crate::jobs::RetryOutcome;
use answers::{problem_page, Fragment, TaskAction, TaskPage};
use dashboard::Filters;

pub struct FlowerApi {
    pub sessions: Sessions,
    pub jobs: Jobs,
}

/// The form of a task's Cancel and Retry buttons.
#[derive(Debug, Object, Deserialize)]
pub struct TaskActionForm {
    /// The session's CSRF token, as the task page's buttons carry it.
    #[oai(default, validator(max_length = 128))]
    #[serde(default)]
    pub csrf: String,
}

enum Act {
    Cancel,
    Retry,
}

impl FlowerApi {
    /// The live part of the dashboard, or why it cannot be shown.
    async fn live(&self, request: &Request, filters: Result<Filters, String>) -> Fragment {
        if let Err(refusal) = self.sessions.require(request).await {
            return refusal.into();
        }
        let filters = match filters {
            Ok(filters) => filters,
            Err(why) => return Fragment::BadRequest(Html(format!("<p class=\"problem\">{}</p>", escape(&why)))),
        };
        let rendered = match dashboard::load(&self.jobs, &filters, false).await {
            Ok(snapshot) => dashboard::render_live(&snapshot, &filters),
            Err(err) => return Refusal::from(err).into(),
        };
        match rendered {
            Ok(html) => Fragment::Ok(Html(html)),
            Err(cause) => Fragment::Internal(internal_page(cause)),
        }
    }

    async fn act(&self, request: &Request, task_id: &str, csrf: &str, act: Act) -> TaskAction {
        if csrf.len() > 128 {
            return TaskAction::BadRequest(problem_page("Bad request", "The CSRF field is too long.", None));
        }
        let session = match self.sessions.require_form(request, csrf).await {
            Ok(session) => session,
            Err(refusal) => return refusal.into(),
        };
        let Ok(id) = Uuid::parse_str(task_id) else {
            return TaskAction::BadRequest(problem_page("Bad request", "That is not a task id.", Some(&session)));
        };
        let refused = |title: &str, message: String| problem_page(title, &message, Some(&session));
        let done = match act {
            Act::Cancel => {
                crate::jobs::cancel(self.jobs.queue.db(), &self.jobs.running, id).await.map(|outcome| match outcome {
                    CancelOutcome::NotFound => Err(TaskAction::NotFound(refused("Not found", no_task(id)))),
                    CancelOutcome::AlreadyFinal(state) => Err(TaskAction::Conflict(refused(
                        "Cannot cancel",
                        format!("This task has already ended (it is {}), so it cannot be cancelled.", state.as_str()),
                    ))),
                    CancelOutcome::Removed | CancelOutcome::Requested => Ok(()),
                })
            }
            Act::Retry => crate::jobs::retry(&self.jobs.queue, id).await.map(|outcome| match outcome {
                RetryOutcome::NotFound => Err(TaskAction::NotFound(refused("Not found", no_task(id)))),
                RetryOutcome::NotRetryable(state) => Err(TaskAction::Conflict(refused(
                    "Cannot retry",
                    format!(
                        "Only a failed, timed-out or cancelled task can be retried; this one is {}.",
                        state.as_str()
                    ),
                ))),
                RetryOutcome::Queued => Ok(()),
            }),
        };
        match done {
            Ok(Ok(())) => TaskAction::SeeOther(format!("/flower/task/{id}")),
            Ok(Err(answer)) => answer,
            Err(err) => Refusal::from(err).into(),
        }
    }
}

fn no_task(id: Uuid) -> String {
    format!("No task has id {id}. Finished tasks are removed after their retention.")
}

/// The few characters that matter in HTML text, for the one message built outside a template.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[OpenApi(tag = "WebTags::WebPages")]
impl FlowerApi {
    /// The task monitor
    ///
    /// Counts per task type and state with mean and 95th-percentile run times, the queue's
    /// length, the live workers and what each runs, the tasks newest first (filtered by type and
    /// state, 50 a page, "Older" for more) and the schedules with their next runs. The page
    /// refreshes its counts and tasks every 2 s. Without a session it redirects to sign-in.
    #[oai(path = "/flower", method = "get", operation_id = "flower_dashboard")]
    async fn dashboard(
        &self,
        request: &Request,
        /// Only tasks of this type (empty: all).
        #[oai(validator(max_length = 200))]
        name: Query<Option<String>>,
        /// Only tasks in this state (empty: all).
        #[oai(validator(pattern = r"^(pending|running|succeeded|failed|retrying|cancelled|timed_out)?$"))]
        state: Query<Option<String>>,
        /// Where the page starts: the cursor of the previous page's "Older" link.
        #[oai(validator(pattern = r"^[0-9]{1,15}\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"))]
        cursor: Query<Option<String>>,
    ) -> Page {
        let session = match self.sessions.require(request).await {
            Ok(session) => session,
            Err(refusal) => return refusal.into(),
        };
        let filters = match Filters::read(name.0, state.0, cursor.0) {
            Ok(filters) => filters,
            Err(why) => return Page::BadRequest(problem_page("Bad request", &why, Some(&session))),
        };
        let rendered = match dashboard::load(&self.jobs, &filters, true).await {
            Ok(snapshot) => dashboard::render_page(&snapshot, &filters, &session),
            Err(err) => return Refusal::from(err).into(),
        };
        match rendered {
            Ok(page) => Page::Ok(Html(page)),
            Err(cause) => Page::Internal(internal_page(cause)),
        }
    }

    /// The task monitor's live part
    ///
    /// The counts, queue, workers and task list of `/flower/` with the same filters, as an HTML
    /// fragment: the dashboard's script fetches it every 2 s and swaps it in. Without a session
    /// it answers 401, and the script reloads the page.
    #[oai(path = "/flower/fragments/tasks", method = "get", operation_id = "flower_tasks_fragment")]
    async fn fragment(
        &self,
        request: &Request,
        /// Only tasks of this type (empty: all).
        #[oai(validator(max_length = 200))]
        name: Query<Option<String>>,
        /// Only tasks in this state (empty: all).
        #[oai(validator(pattern = r"^(pending|running|succeeded|failed|retrying|cancelled|timed_out)?$"))]
        state: Query<Option<String>>,
        /// Where the list starts: the cursor of an "Older" link.
        #[oai(validator(pattern = r"^[0-9]{1,15}\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"))]
        cursor: Query<Option<String>>,
    ) -> Fragment {
        self.live(request, Filters::read(name.0, state.0, cursor.0)).await
    }

    /// One task in the task monitor
    ///
    /// Its state, arguments and result (pretty-printed), error, times, attempts, worker,
    /// progress and schedule, every run with its worker and outcome, and Cancel or Retry as its
    /// state allows. Without a session it redirects to sign-in.
    #[oai(path = "/flower/task/:task_id", method = "get", operation_id = "flower_task")]
    async fn task(
        &self,
        request: &Request,
        /// The task's id (a UUID).
        #[oai(validator(pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"))]
        task_id: Path<String>,
    ) -> TaskPage {
        let session = match self.sessions.require(request).await {
            Ok(session) => session,
            Err(refusal) => return refusal.into(),
        };
        let Ok(id) = Uuid::parse_str(&task_id.0) else {
            return TaskPage::BadRequest(problem_page("Bad request", "That is not a task id.", Some(&session)));
        };
        let rendered = match task_page::load(&self.jobs, id).await {
            Ok(Some((task, attempts))) => task_page::render(&task, &attempts, &session),
            Ok(None) => return TaskPage::NotFound(problem_page("Not found", &no_task(id), Some(&session))),
            Err(err) => return Refusal::from(err).into(),
        };
        match rendered {
            Ok(page) => TaskPage::Ok(Html(page)),
            Err(cause) => TaskPage::Internal(internal_page(cause)),
        }
    }

    /// Cancel a task from the task monitor
    ///
    /// A waiting task leaves the queue; a running one is told to stop. Then back to the task's
    /// page. A task that has already ended is a 409.
    #[oai(path = "/flower/task/:task_id/cancel", method = "post", operation_id = "flower_task_cancel")]
    async fn cancel(
        &self,
        request: &Request,
        /// The task's id (a UUID).
        #[oai(validator(pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"))]
        task_id: Path<String>,
        form: Form<TaskActionForm>,
    ) -> TaskAction {
        self.act(request, &task_id.0, &form.0.csrf, Act::Cancel).await
    }

    /// Retry a task from the task monitor
    ///
    /// Queues a failed, timed-out or cancelled task to run again now, with one more run allowed.
    /// Then back to the task's page. A task in any other state is a 409.
    #[oai(path = "/flower/task/:task_id/retry", method = "post", operation_id = "flower_task_retry")]
    async fn retry(
        &self,
        request: &Request,
        /// The task's id (a UUID).
        #[oai(validator(pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"))]
        task_id: Path<String>,
        form: Form<TaskActionForm>,
    ) -> TaskAction {
        self.act(request, &task_id.0, &form.0.csrf, Act::Retry).await
    }
}
