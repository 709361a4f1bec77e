//! The answers of a recorded request's page, listing what it can really return.

use poem_openapi::payload::Html;
use poem_openapi::ApiResponse;

use crate::web::responses::{refusal_page, unreadable_form};
use crate::web::{templates, Refusal, Session};

/// A page that says what went wrong (signed in or not, as the layout shows).
pub fn problem(title: &str, message: &str, session: Option<&Session>) -> Html<String> {
    Html(templates::message(title, message, session))
}

/// Answers of one recorded request's page.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "detail_bad_request")]
pub enum DetailPage {
    /// The request's page.
    #[oai(status = 200)]
    Ok(Html<String>),
    /// No valid session: to the sign-in page, which comes back here afterwards.
    #[oai(status = 303)]
    SignIn(#[oai(header = "Location")] String),
    /// The id or the statement is not valid.
    #[oai(status = 400)]
    BadRequest(Html<String>),
    /// No recorded request has this id (it may have been pruned).
    #[oai(status = 404)]
    NotFound(Html<String>),
    /// The server failed.
    #[oai(status = 500)]
    Internal(Html<String>),
}

fn detail_bad_request(err: poem::Error) -> DetailPage {
    DetailPage::BadRequest(unreadable_form(&err))
}

impl From<Refusal> for DetailPage {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::SignIn(location) => DetailPage::SignIn(location),
            other => DetailPage::Internal(refusal_page(&other)),
        }
    }
}
