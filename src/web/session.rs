//! Sign-in sessions: kept in SQLite (so they survive restarts and hold across processes on one
//! file), found by the SHA-256 of the cookie's random id, ended by sign-out, by their absolute
//! lifetime or by idleness. [`Sessions::require`] and [`Sessions::require_form`] are the guard
//! every page calls first.

use std::time::{SystemTime, UNIX_EPOCH};

use poem::http::Method;
use poem::Request;
use ring::digest::{digest, SHA256};

use super::{cookies, csrf, SessionConfig};
use crate::db::web_sessions::{self, StoredSession};
use crate::db::{Db, DbError};

/// Activity is written at most this often per session: every write commits, and every commit
/// makes the API's response cache start over, so a page that refreshes itself must not write
/// on each view. The idle timeout is thus exact to within this.
const TOUCH_EVERY_SECS: i64 = 60;

/// A signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    id_hash: String,
    /// The token every form of this session sends back as its `csrf` field.
    pub csrf: String,
    /// When the sign-in happened (unix seconds).
    pub created_at: i64,
    /// When the session ends, however active (unix seconds).
    pub expires_at: i64,
}

/// Why a page cannot be shown or a form cannot be accepted.
#[derive(Debug)]
pub enum Refusal {
    /// No valid session on a GET: sign in first, at this URL (which comes back afterwards).
    SignIn(String),
    /// The request is refused, and this says why.
    Forbidden(String),
    /// The server cannot store sessions now (a read-only database), and this says why.
    Unavailable(String),
    /// The server failed; logged here with its cause.
    Internal(anyhow::Error),
}

impl From<DbError> for Refusal {
    fn from(err: DbError) -> Self {
        match err {
            DbError::WritesRefused => Refusal::Unavailable(
                "this server serves a read-only database (--read-only), so it cannot store a sign-in".to_string(),
            ),
            other => Refusal::Internal(other.into()),
        }
    }
}

/// The session store.
#[derive(Clone)]
pub struct Sessions {
    db: Db,
    config: SessionConfig,
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs() as i64)
}

fn sha256_hex(text: &str) -> String {
    digest(&SHA256, text.as_bytes()).as_ref().iter().map(|byte| format!("{byte:02x}")).collect()
}

impl Sessions {
    pub fn new(db: Db, config: SessionConfig) -> Self {
        Self { db, config }
    }

    /// Whether sessions can be stored (not under `serve --read-only`).
    pub fn can_sign_in(&self) -> bool {
        !self.db.is_read_only()
    }

    fn idle_secs(&self) -> i64 {
        self.config.idle_timeout().as_secs().max(1) as i64
    }

    /// Starts a session; returns the cookie's value (the id, stored only hashed) and the session.
    pub async fn start(&self) -> Result<(String, Session), Refusal> {
        let id = csrf::random_token().map_err(Refusal::Internal)?;
        let created_at = now();
        let stored = StoredSession {
            id_hash: sha256_hex(&id),
            csrf_secret: csrf::random_token().map_err(Refusal::Internal)?,
            created_at,
            expires_at: created_at + self.config.lifetime().as_secs().max(1) as i64,
            last_seen_at: created_at,
        };
        let idle_secs = self.idle_secs();
        let row = stored.clone();
        self.db.write("web_session_start", move |tx| web_sessions::insert(tx, &row, idle_secs)).await?;
        Ok((id, session_of(stored)))
    }

    /// The `Set-Cookie` value that carries a new session's id.
    pub fn cookie(&self, request: &Request, id: &str) -> String {
        let max_age = self.config.lifetime().as_secs().max(1);
        cookies::set(cookies::SESSION, id, "/", max_age, cookies::over_https(request))
    }

    /// The request's live session, if it has one. A session found ended is deleted.
    pub async fn current(&self, request: &Request) -> Result<Option<Session>, Refusal> {
        let Some(id) = cookies::token(request, cookies::SESSION) else { return Ok(None) };
        let id_hash = sha256_hex(&id);
        let lookup = id_hash.clone();
        let Some(stored) = self.db.read("web_session_find", move |tx| web_sessions::find(tx, &lookup)).await? else {
            return Ok(None);
        };
        let now = now();
        if stored.expires_at <= now || stored.last_seen_at <= now - self.idle_secs() {
            // Best effort: a read-only server cannot delete it, and it is refused either way.
            let _ = self.db.write("web_session_end", move |tx| web_sessions::delete(tx, &id_hash)).await;
            return Ok(None);
        }
        if now - stored.last_seen_at >= TOUCH_EVERY_SECS {
            let _ = self.db.write("web_session_touch", move |tx| web_sessions::touch(tx, &id_hash, now)).await;
        }
        Ok(Some(session_of(stored)))
    }

    /// The guard of a page: the request's session, or, without one, a redirect to the sign-in
    /// page (for GET and HEAD) or a 403 (for anything else, which a redirect would turn into a
    /// GET and lose).
    pub async fn require(&self, request: &Request) -> Result<Session, Refusal> {
        match self.current(request).await? {
            Some(session) => Ok(session),
            None if matches!(*request.method(), Method::GET | Method::HEAD) => {
                Err(Refusal::SignIn(sign_in_url(request)))
            }
            None => Err(Refusal::Forbidden("you are not signed in, or your session has ended; sign in again".into())),
        }
    }

    /// The guard of a form: the request must come from this site, have a session, and carry
    /// that session's CSRF token as `csrf`.
    pub async fn require_form(&self, request: &Request, csrf_field: &str) -> Result<Session, Refusal> {
        csrf::check_origin(request).map_err(Refusal::Forbidden)?;
        let session = self.require(request).await?;
        if !csrf::tokens_match(&session.csrf, csrf_field) {
            return Err(Refusal::Forbidden(
                "the form's CSRF token is missing or is not this session's; reload the page and try again".into(),
            ));
        }
        Ok(session)
    }

    /// Ends `session` (sign-out).
    pub async fn end(&self, session: &Session) -> Result<(), Refusal> {
        let id_hash = session.id_hash.clone();
        self.db.write("web_session_end", move |tx| web_sessions::delete(tx, &id_hash)).await?;
        Ok(())
    }
}

fn session_of(stored: StoredSession) -> Session {
    Session {
        id_hash: stored.id_hash,
        csrf: stored.csrf_secret,
        created_at: stored.created_at,
        expires_at: stored.expires_at,
    }
}

/// `/login?next=<this page's path and query>`.
pub fn sign_in_url(request: &Request) -> String {
    let uri = request.original_uri();
    let here = uri.path_and_query().map_or(uri.path(), |path| path.as_str());
    let next: String = form_urlencoded::byte_serialize(super::local_path(here).as_bytes()).collect();
    format!("/login?next={next}")
}
