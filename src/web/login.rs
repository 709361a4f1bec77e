//! Sign-in and sign-out. The sign-in form is protected like every other form: its `csrf` field
//! must match the `movielens_login_csrf` cookie the form page set (double submit), so another
//! site's page cannot sign a browser in with the attacker's token.

use poem::Request;
use poem_openapi::param::Query;
use poem_openapi::payload::{Form, Html};
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;

use super::responses::{internal_page, refusal_page, unreadable_form};
use super::templates::{self, Layout};
use super::{cookies, csrf, local_path, Refusal, Sessions, WebTags};
use crate::api::auth::AdminAuth;

/// The sign-in form.
#[derive(Debug, Object, Deserialize)]
pub struct SignIn {
    /// The admin token.
    #[oai(validator(max_length = 1024))]
    pub token: String,
    /// Where to go after signing in: a path on this site (anything else goes to `/flower/`).
    #[oai(validator(max_length = 2048))]
    #[serde(default)]
    pub next: Option<String>,
    /// The CSRF token the sign-in page put in its form (and in its cookie).
    #[oai(validator(max_length = 128))]
    pub csrf: String,
}

/// The sign-out form.
#[derive(Debug, Object, Deserialize)]
pub struct SignOut {
    /// The session's CSRF token, as the page's sign-out button carries it.
    #[oai(validator(max_length = 128))]
    pub csrf: String,
}

/// Answers of the sign-in page.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "form_page_bad_request")]
pub enum SignInPage {
    /// The sign-in form; the cookie is the form's CSRF token (HttpOnly, SameSite=Strict, Path=/login).
    #[oai(status = 200)]
    Ok(Html<String>, #[oai(header = "Set-Cookie")] String),
    /// A parameter is not valid.
    #[oai(status = 400)]
    BadRequest(Html<String>),
    /// The server failed.
    #[oai(status = 500)]
    Internal(Html<String>),
    /// Sign-in is impossible: the server serves a read-only database and cannot store sessions.
    #[oai(status = 503)]
    Unavailable(Html<String>),
}

fn form_page_bad_request(err: poem::Error) -> SignInPage {
    SignInPage::BadRequest(unreadable_form(&err))
}

/// Answers of the sign-in form.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "signed_in_bad_request")]
pub enum SignedIn {
    /// Signed in: the session cookie (HttpOnly, SameSite=Strict, Path=/, Secure over https),
    /// and on to `next`.
    #[oai(status = 303)]
    SeeOther(#[oai(header = "Location")] String, #[oai(header = "Set-Cookie")] String),
    /// The form could not be read (a field missing or too long, or not a form).
    #[oai(status = 400)]
    BadRequest(Html<String>),
    /// No token was given: the form again, saying so.
    #[oai(status = 401)]
    Unauthorized(Html<String>),
    /// The token is not the admin token (the form again, saying so), the CSRF token does not
    /// match its cookie, or the request came from another site.
    #[oai(status = 403)]
    Forbidden(Html<String>),
    /// The server failed.
    #[oai(status = 500)]
    Internal(Html<String>),
    /// The server serves a read-only database and cannot store sessions.
    #[oai(status = 503)]
    Unavailable(Html<String>),
}

fn signed_in_bad_request(err: poem::Error) -> SignedIn {
    SignedIn::BadRequest(unreadable_form(&err))
}

impl From<Refusal> for SignedIn {
    fn from(refusal: Refusal) -> Self {
        let page = refusal_page(&refusal);
        match refusal {
            Refusal::SignIn(_) | Refusal::Forbidden(_) => SignedIn::Forbidden(page),
            Refusal::Unavailable(_) => SignedIn::Unavailable(page),
            Refusal::Internal(_) => SignedIn::Internal(page),
        }
    }
}

/// Answers of the sign-out form.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "signed_out_bad_request")]
pub enum SignedOut {
    /// Signed out: the session is deleted on the server, the cookie cleared, and on to `/login`.
    #[oai(status = 303)]
    SeeOther(#[oai(header = "Location")] String, #[oai(header = "Set-Cookie")] String),
    /// The form could not be read.
    #[oai(status = 400)]
    BadRequest(Html<String>),
    /// Not signed in, the CSRF token is missing or wrong, or the request came from another site.
    #[oai(status = 403)]
    Forbidden(Html<String>),
    /// The server failed.
    #[oai(status = 500)]
    Internal(Html<String>),
    /// The server serves a read-only database and cannot delete the session.
    #[oai(status = 503)]
    Unavailable(Html<String>),
}

fn signed_out_bad_request(err: poem::Error) -> SignedOut {
    SignedOut::BadRequest(unreadable_form(&err))
}

impl From<Refusal> for SignedOut {
    fn from(refusal: Refusal) -> Self {
        let page = refusal_page(&refusal);
        match refusal {
            Refusal::SignIn(_) | Refusal::Forbidden(_) => SignedOut::Forbidden(page),
            Refusal::Unavailable(_) => SignedOut::Unavailable(page),
            Refusal::Internal(_) => SignedOut::Internal(page),
        }
    }
}

const READ_ONLY: &str = "Signing in is not possible on this server: it serves a read-only database \
     (serve --read-only), and a sign-in must be stored in the database. Use a server that takes writes.";

pub struct LoginApi {
    pub sessions: Sessions,
    pub auth: AdminAuth,
}

impl LoginApi {
    /// The form page, with `problem` said above the form.
    fn form(&self, next: &str, csrf: &str, problem: Option<&str>) -> anyhow::Result<Html<String>> {
        let context = minijinja::context! { next => local_path(next), csrf => csrf, problem => problem };
        Ok(Html(templates::render("login.html", context, Layout { title: "Sign in", session: None })?))
    }
}

#[OpenApi(tag = "WebTags::WebPages")]
impl LoginApi {
    /// The sign-in page
    ///
    /// A form asking for the admin token. It sets the form's CSRF cookie.
    #[oai(path = "/login", method = "get", operation_id = "web_login_page")]
    async fn login_page(
        &self,
        request: &Request,
        /// Where to go after signing in: a path on this site (anything else goes to `/flower/`).
        #[oai(validator(max_length = 2048))]
        next: Query<Option<String>>,
    ) -> SignInPage {
        if !self.sessions.can_sign_in() {
            return SignInPage::Unavailable(Html(templates::message("Sign in", READ_ONLY, None)));
        }
        let token = match cookies::token(request, cookies::LOGIN_CSRF).map(Ok).unwrap_or_else(csrf::random_token) {
            Ok(token) => token,
            Err(cause) => return SignInPage::Internal(internal_page(cause)),
        };
        let cookie = cookies::set(
            cookies::LOGIN_CSRF,
            &token,
            "/login",
            cookies::LOGIN_CSRF_MAX_AGE_SECS,
            cookies::over_https(request),
        );
        match self.form(next.0.as_deref().unwrap_or_default(), &token, None) {
            Ok(page) => SignInPage::Ok(page, cookie),
            Err(cause) => SignInPage::Internal(internal_page(cause)),
        }
    }

    /// Sign in
    ///
    /// Checks the admin token; on success sets the session cookie and redirects to `next`.
    #[oai(path = "/login", method = "post", operation_id = "web_login")]
    async fn login(&self, request: &Request, form: Form<SignIn>) -> SignedIn {
        let Form(SignIn { token, next, csrf: csrf_field }) = form;
        let next = next.unwrap_or_default();
        if token.len() > 1024 || next.len() > 2048 || csrf_field.len() > 128 {
            return SignedIn::BadRequest(Html(templates::message("Bad request", "A field is too long.", None)));
        }
        if let Err(why) = csrf::check_origin(request) {
            return Refusal::Forbidden(why).into();
        }
        let Some(expected) = cookies::token(request, cookies::LOGIN_CSRF) else {
            let why = "the sign-in form's CSRF cookie is missing (cookies must be allowed for this site); \
                       reload the sign-in page and try again";
            return Refusal::Forbidden(why.to_string()).into();
        };
        if !csrf::tokens_match(&expected, &csrf_field) {
            let why = "the sign-in form's CSRF token does not match its cookie; reload the sign-in page";
            return Refusal::Forbidden(why.to_string()).into();
        }
        if !self.sessions.can_sign_in() {
            return SignedIn::Unavailable(Html(templates::message("Sign in", READ_ONLY, None)));
        }
        let problem = match token.is_empty() {
            true => Some("Enter the admin token."),
            false => self.auth.verify_token(&token).err().map(|_| "That is not the admin token."),
        };
        if let Some(problem) = problem {
            return match (self.form(&next, &expected, Some(problem)), token.is_empty()) {
                (Ok(page), true) => SignedIn::Unauthorized(page),
                (Ok(page), false) => SignedIn::Forbidden(page),
                (Err(cause), _) => SignedIn::Internal(internal_page(cause)),
            };
        }
        match self.sessions.start().await {
            Ok((id, _)) => SignedIn::SeeOther(local_path(&next).to_string(), self.sessions.cookie(request, &id)),
            Err(refusal) => refusal.into(),
        }
    }

    /// Sign out
    ///
    /// Deletes the session on the server, clears its cookie and redirects to `/login`.
    #[oai(path = "/logout", method = "post", operation_id = "web_logout")]
    async fn logout(&self, request: &Request, form: Form<SignOut>) -> SignedOut {
        if form.csrf.len() > 128 {
            return SignedOut::BadRequest(Html(templates::message("Bad request", "A field is too long.", None)));
        }
        let ended = match self.sessions.require_form(request, &form.csrf).await {
            Ok(session) => self.sessions.end(&session).await,
            Err(refusal) => Err(refusal),
        };
        match ended {
            Ok(()) => SignedOut::SeeOther(
                "/login".to_string(),
                cookies::clear(cookies::SESSION, "/", cookies::over_https(request)),
            ),
            Err(refusal) => refusal.into(),
        }
    }
}
