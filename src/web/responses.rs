//! The answers pages share: a page behind the sign-in ([`Page`]) and a form it posts
//! ([`FormDone`]). Each lists what it can really answer; a [`Refusal`] from the guard turns into
//! the right one with `?`-like ease (`Err(refusal) => return refusal.into()`).

use poem_openapi::payload::Html;
use poem_openapi::ApiResponse;

use super::templates;
use super::Refusal;

/// The page that says why a request was refused (an internal error is logged here, not shown).
pub fn refusal_page(refusal: &Refusal) -> Html<String> {
    let (title, message) = match refusal {
        Refusal::SignIn(_) => ("Sign in", "Sign in to see this page.".to_string()),
        Refusal::Forbidden(why) => ("Refused", format!("This request was refused: {why}.")),
        Refusal::Unavailable(why) => ("Unavailable", format!("This is not available now: {why}.")),
        Refusal::Internal(cause) => {
            tracing::error!(error = ?cause, "a web page failed");
            ("Server error", "The server failed to handle this request; its log says why.".to_string())
        }
    };
    Html(templates::message(title, &message, None))
}

/// The page for a failure inside the server; the cause is logged, not shown.
pub fn internal_page(cause: anyhow::Error) -> Html<String> {
    refusal_page(&Refusal::Internal(cause))
}

/// The page for a form that could not be read (a missing field, a value too long, not a form).
pub fn unreadable_form(err: &poem::Error) -> Html<String> {
    Html(templates::message("Bad request", &format!("The form could not be read: {err}."), None))
}

/// Answers of a page behind the sign-in.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "page_bad_request")]
pub enum Page {
    /// The page.
    #[oai(status = 200)]
    Ok(Html<String>),
    /// No valid session: to the sign-in page, which comes back here afterwards.
    #[oai(status = 303)]
    SignIn(#[oai(header = "Location")] String),
    /// A parameter is not valid.
    #[oai(status = 400)]
    BadRequest(Html<String>),
    /// The server failed.
    #[oai(status = 500)]
    Internal(Html<String>),
}

fn page_bad_request(err: poem::Error) -> Page {
    Page::BadRequest(unreadable_form(&err))
}

impl From<Refusal> for Page {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::SignIn(location) => Page::SignIn(location),
            // A GET is never refused otherwise: reading a session needs no write.
            other => Page::Internal(refusal_page(&other)),
        }
    }
}

/// Answers of a form a page posts (state-changing: CSRF-checked).
#[derive(ApiResponse)]
#[oai(bad_request_handler = "form_bad_request")]
pub enum FormDone {
    /// Done: on to the next page.
    #[oai(status = 303)]
    SeeOther(#[oai(header = "Location")] String),
    /// The form could not be read (a field missing or too long, or not a form).
    #[oai(status = 400)]
    BadRequest(Html<String>),
    /// Not signed in, the CSRF token is missing or wrong, or the request came from another site;
    /// the page says which.
    #[oai(status = 403)]
    Forbidden(Html<String>),
    /// The server failed.
    #[oai(status = 500)]
    Internal(Html<String>),
    /// The server cannot do this now (it serves a read-only database).
    #[oai(status = 503)]
    Unavailable(Html<String>),
}

fn form_bad_request(err: poem::Error) -> FormDone {
    FormDone::BadRequest(unreadable_form(&err))
}

impl From<Refusal> for FormDone {
    fn from(refusal: Refusal) -> Self {
        let page = refusal_page(&refusal);
        match refusal {
            Refusal::SignIn(_) | Refusal::Forbidden(_) => FormDone::Forbidden(page),
            Refusal::Unavailable(_) => FormDone::Unavailable(page),
            Refusal::Internal(_) => FormDone::Internal(page),
        }
    }
}
