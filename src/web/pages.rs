//! The signed-in state page: the smallest real page behind the sign-in, and the pattern the
//! other page groups follow (guard first, then render).

use poem::Request;
use poem_openapi::payload::Html;
use poem_openapi::OpenApi;

use super::responses::{internal_page, Page};
use super::templates::{self, timestamp, Layout};
use super::{SessionConfig, Sessions, WebTags};

pub struct SessionPageApi {
    pub sessions: Sessions,
    pub config: SessionConfig,
}

#[OpenApi(tag = "WebTags::WebPages")]
impl SessionPageApi {
    /// The signed-in state
    ///
    /// When the session started, when it ends, and a sign-out button. Without a session it
    /// redirects to the sign-in page.
    #[oai(path = "/web/session", method = "get", operation_id = "web_session")]
    async fn session(&self, request: &Request) -> Page {
        let session = match self.sessions.require(request).await {
            Ok(session) => session,
            Err(refusal) => return refusal.into(),
        };
        let context = minijinja::context! {
            created_at => timestamp(session.created_at),
            expires_at => timestamp(session.expires_at),
            idle_minutes => format!("{}", self.config.session_idle_minutes),
            csrf => &session.csrf,
        };
        match templates::render("session.html", context, Layout { title: "Signed in", session: Some(&session) }) {
            Ok(page) => Page::Ok(Html(page)),
            Err(cause) => Page::Internal(internal_page(cause)),
        }
    }
}
