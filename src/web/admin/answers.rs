//! The answers of the admin's pages that the shared ones do not cover: a page that may be a 404,
//! and a backup's download.

use poem::Body;
use poem_openapi::payload::{Binary, Html};
use poem_openapi::ApiResponse;

use crate::web::responses::{refusal_page, unreadable_form};
use crate::web::Refusal;

/// Answers of an admin page that names something (a model, a periodic task).
#[derive(ApiResponse)]
#[oai(bad_request_handler = "page_bad_request")]
pub enum AdminPage {
    /// The page.
    #[oai(status = 200)]
    Ok(Html<String>),
    /// No valid session: to the sign-in page, which comes back here afterwards.
    #[oai(status = 303)]
    SignIn(#[oai(header = "Location")] String),
    /// A parameter is not valid.
    #[oai(status = 400)]
    BadRequest(Html<String>),
    /// Nothing has this name or id.
    #[oai(status = 404)]
    NotFound(Html<String>),
    /// The server failed.
    #[oai(status = 500)]
    Internal(Html<String>),
}

fn page_bad_request(err: poem::Error) -> AdminPage {
    AdminPage::BadRequest(unreadable_form(&err))
}

impl From<Refusal> for AdminPage {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::SignIn(location) => AdminPage::SignIn(location),
            other => AdminPage::Internal(refusal_page(&other)),
        }
    }
}

/// Answers of a backup's download from the admin.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "download_bad_request")]
pub enum BackupFile {
    /// The backup file, a SQLite database.
    #[oai(status = 200, content_type = "application/vnd.sqlite3")]
    Ok(Binary<Body>, #[oai(header = "Content-Disposition")] String),
    /// No valid session: to the sign-in page, which comes back here afterwards.
    #[oai(status = 303)]
    SignIn(#[oai(header = "Location")] String),
    /// The name is not valid.
    #[oai(status = 400)]
    BadRequest(Html<String>),
    /// No backup in the list has this name.
    #[oai(status = 404)]
    NotFound(Html<String>),
    /// The server failed.
    #[oai(status = 500)]
    Internal(Html<String>),
}

fn download_bad_request(err: poem::Error) -> BackupFile {
    BackupFile::BadRequest(unreadable_form(&err))
}

impl From<Refusal> for BackupFile {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::SignIn(location) => BackupFile::SignIn(location),
            other => BackupFile::Internal(refusal_page(&other)),
        }
    }
}

/// Answers of a posted form that is shown again when it has problems.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "form_page_bad_request")]
pub enum FormPage {
    /// Saved: on to the list.
    #[oai(status = 303)]
    SeeOther(#[oai(header = "Location")] String),
    /// The form again: its next runs previewed.
    #[oai(status = 200)]
    Ok(Html<String>),
    /// The form again, each problem next to its field (or the form could not be read).
    #[oai(status = 400)]
    BadRequest(Html<String>),
    /// Not signed in, the CSRF token is missing or wrong, or the request came from another site.
    #[oai(status = 403)]
    Forbidden(Html<String>),
    /// Nothing has this id.
    #[oai(status = 404)]
    NotFound(Html<String>),
    /// The server failed.
    #[oai(status = 500)]
    Internal(Html<String>),
    /// The server cannot do this now (it serves a read-only database).
    #[oai(status = 503)]
    Unavailable(Html<String>),
}

fn form_page_bad_request(err: poem::Error) -> FormPage {
    FormPage::BadRequest(unreadable_form(&err))
}

impl From<Refusal> for FormPage {
    fn from(refusal: Refusal) -> Self {
        let page = refusal_page(&refusal);
        match refusal {
            Refusal::SignIn(_) | Refusal::Forbidden(_) => FormPage::Forbidden(page),
            Refusal::Unavailable(_) => FormPage::Unavailable(page),
            Refusal::Internal(_) => FormPage::Internal(page),
        }
    }
}

impl From<AdminPage> for FormPage {
    fn from(page: AdminPage) -> Self {
        match page {
            AdminPage::Ok(html) => FormPage::Ok(html),
            AdminPage::SignIn(location) => FormPage::SeeOther(location),
            AdminPage::BadRequest(html) => FormPage::BadRequest(html),
            AdminPage::NotFound(html) => FormPage::NotFound(html),
            AdminPage::Internal(html) => FormPage::Internal(html),
        }
    }
}
