//! The task monitor's answers, each listing what it can really return. The guard's
//! [`Refusal`] turns into the right one with `.into()`.

use poem_openapi::payload::Html;
use poem_openapi::ApiResponse;

use crate::web::responses::{refusal_page, unreadable_form};
use crate::web::{templates, Refusal, Session};

/// A page that says what went wrong with a request (signed in or not, as the layout shows).
pub fn problem_page(title: &str, message: &str, session: Option<&Session>) -> Html<String> {
    Html(templates::message(title, message, session))
}

/// Answers of the live task table (the dashboard's script fetches it every 2 s).
#[derive(ApiResponse)]
#[oai(bad_request_handler = "fragment_bad_request")]
pub enum Fragment {
    /// The counts, workers and task table, as HTML to put inside the dashboard.
    #[oai(status = 200)]
    Ok(Html<String>),
    /// A filter or the cursor is not valid.
    #[oai(status = 400)]
    BadRequest(Html<String>),
    /// No valid session (signed out, or the session ended): the script reloads the page, which
    /// then goes to the sign-in page.
    #[oai(status = 401)]
    Unauthorized(Html<String>),
    /// The server failed.
    #[oai(status = 500)]
    Internal(Html<String>),
}

fn fragment_bad_request(err: poem::Error) -> Fragment {
    Fragment::BadRequest(unreadable_form(&err))
}

impl From<Refusal> for Fragment {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::SignIn(_) | Refusal::Forbidden(_) => {
                Fragment::Unauthorized(Html("<p class=\"problem\">Signed out: reload the page.</p>".to_string()))
            }
            other => Fragment::Internal(refusal_page(&other)),
        }
    }
}

/// Answers of one task's page.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "task_page_bad_request")]
pub enum TaskPage {
    /// The task's page.
    #[oai(status = 200)]
    Ok(Html<String>),
    /// No valid session: to the sign-in page, which comes back here afterwards.
    #[oai(status = 303)]
    SignIn(#[oai(header = "Location")] String),
    /// The id is not a task id (a UUID).
    #[oai(status = 400)]
    BadRequest(Html<String>),
    /// No task has this id (it may have been pruned after its retention).
    #[oai(status = 404)]
    NotFound(Html<String>),
    /// The server failed.
    #[oai(status = 500)]
    Internal(Html<String>),
}

fn task_page_bad_request(err: poem::Error) -> TaskPage {
    TaskPage::BadRequest(unreadable_form(&err))
}

impl From<Refusal> for TaskPage {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::SignIn(location) => TaskPage::SignIn(location),
            other => TaskPage::Internal(refusal_page(&other)),
        }
    }
}

/// Answers of a task's Cancel and Retry buttons (forms, CSRF-checked).
#[derive(ApiResponse)]
#[oai(bad_request_handler = "task_action_bad_request")]
pub enum TaskAction {
    /// Done: back to the task's page.
    #[oai(status = 303)]
    SeeOther(#[oai(header = "Location")] String),
    /// The id is not a task id, or the form could not be read.
    #[oai(status = 400)]
    BadRequest(Html<String>),
    /// Not signed in, the CSRF token is missing or wrong, or the request came from another site;
    /// the page says which.
    #[oai(status = 403)]
    Forbidden(Html<String>),
    /// No task has this id.
    #[oai(status = 404)]
    NotFound(Html<String>),
    /// The task's state does not allow it (a cancel of an ended task, a retry of one that did
    /// not fail); the page says which state it is in.
    #[oai(status = 409)]
    Conflict(Html<String>),
    /// The server failed.
    #[oai(status = 500)]
    Internal(Html<String>),
    /// The server takes no writes (it serves a read-only database).
    #[oai(status = 503)]
    Unavailable(Html<String>),
}

fn task_action_bad_request(err: poem::Error) -> TaskAction {
    TaskAction::BadRequest(unreadable_form(&err))
}

impl From<Refusal> for TaskAction {
    fn from(refusal: Refusal) -> Self {
        let page = refusal_page(&refusal);
        match refusal {
            Refusal::SignIn(_) | Refusal::Forbidden(_) => TaskAction::Forbidden(page),
            Refusal::Unavailable(_) => TaskAction::Unavailable(page),
            Refusal::Internal(_) => TaskAction::Internal(page),
        }
    }
}
