//! What the admin's model forms write: each model's create, update and delete, through the same
//! database functions, rules and audit log as the API (`crate::api::admin::Admin::write_as`,
//! as the session's token), and the API's errors turned into problems shown on the form.

use rusqlite::Transaction;
use serde::Serialize;

use super::model_form::{place, FieldErrors, ModelForm};
use crate::api::admin::{self as api, Action, Admin};
use crate::api::error::AppError;
use crate::db::admin::{genres, links, movies, ratings, tags};
use crate::db::DbError;
use crate::model::admin::rules::MAX_ID;
use crate::model::admin::{AuditAction, Change, FieldError};

/// The models the forms edit, as their list pages name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Movies,
    Genres,
    Ratings,
    Tags,
    Links,
}

impl Kind {
    pub fn of(path: &str) -> Option<Kind> {
        Some(match path {
            "movies" => Kind::Movies,
            "genres" => Kind::Genres,
            "ratings" => Kind::Ratings,
            "tags" => Kind::Tags,
            "links" => Kind::Links,
            _ => return None,
        })
    }

    pub fn path(self) -> &'static str {
        match self {
            Kind::Movies => "movies",
            Kind::Genres => "genres",
            Kind::Ratings => "ratings",
            Kind::Tags => "tags",
            Kind::Links => "links",
        }
    }

    /// One record, for titles: "movie", "genre", ...
    pub fn noun(self) -> &'static str {
        self.path().trim_end_matches('s')
    }

    /// The number a URL names a record by (all but genres, named by name); `None` if it is not one.
    pub fn number(self, id: &str) -> Option<i64> {
        id.parse::<i64>().ok().filter(|id| (1..=MAX_ID).contains(id))
    }

    /// The field a uniqueness conflict is shown next to.
    fn key_field(self) -> &'static str {
        match self {
            Kind::Genres => "name",
            Kind::Movies | Kind::Links => "movie_id",
            Kind::Ratings | Kind::Tags => "form",
        }
    }
}

/// Why a form's write did not happen.
#[derive(Debug)]
pub enum Failed {
    /// Problems to show on the form, by field.
    Fields(FieldErrors),
    /// Anything else: the record is gone (404), the database is read-only, the server failed.
    Page(AppError),
}

impl Failed {
    fn of(kind: Kind, err: AppError) -> Failed {
        let on = |field: &str, message: String| Failed::Fields(FieldErrors::from([(field.to_string(), message)]));
        match err {
            AppError::InvalidFields(problems) => Failed::Fields(place(problems)),
            AppError::BadRequest(message, _) => on("form", message),
            AppError::Conflict(message) => on(kind.key_field(), message),
            // An unknown movie named by a rating, tag or link; not the record itself gone.
            AppError::NotFound(message) if kind != Kind::Movies && message.starts_with("no movie has id") => {
                on("movie_id", message)
            }
            other => Failed::Page(other),
        }
    }
}

fn problems(problems: Vec<FieldError>) -> Failed {
    Failed::Fields(place(problems))
}

type Work<T> = Box<dyn FnOnce(&Transaction) -> Result<Change<T>, DbError> + Send>;

/// Runs one write as the session's token; the record's URL id on success.
async fn run<T: Serialize + Send + 'static>(
    admin: &Admin,
    kind: Kind,
    what: Action<T>,
    work: Work<T>,
) -> Result<Option<String>, Failed> {
    let id_of = what.id_of;
    let change = admin.write_as(admin.auth.token_id(), what, work).await.map_err(|err| Failed::of(kind, err))?;
    Ok(change.after.as_ref().map(id_of))
}

/// Creates a record from `form`; the new record's URL id.
pub async fn create(admin: &Admin, kind: Kind, form: &ModelForm) -> Result<String, Failed> {
    let create = AuditAction::Create;
    let created = match kind {
        Kind::Movies => {
            let new = form.new_movie().map_err(problems)?;
            let work: Work<_> = Box::new(move |tx| movies::create_movie(tx, &new).map(Change::created));
            run(admin, kind, api::movies::action("movies.create", create), work).await
        }
        Kind::Genres => {
            let new = form.genre_name();
            let work: Work<_> = Box::new(move |tx| genres::create_genre(tx, &new).map(Change::created));
            let created = run(admin, kind, api::genres::action("genres.create", create), work).await;
            // The forms' URLs name genres by name (the audit log, by id).
            created.map(|_| Some(form.name.trim().to_string()))
        }
        Kind::Ratings => {
            let new = form.new_rating().map_err(problems)?;
            let work: Work<_> = Box::new(move |tx| ratings::create_rating(tx, &new).map(Change::created));
            run(admin, kind, api::ratings::action("ratings.create", create), work).await
        }
        Kind::Tags => {
            let new = form.new_tag().map_err(problems)?;
            let work: Work<_> = Box::new(move |tx| tags::create_tag(tx, &new).map(Change::created));
            run(admin, kind, api::tags::action("tags.create", create), work).await
        }
        Kind::Links => {
            let new = form.new_link().map_err(problems)?;
            let work: Work<_> = Box::new(move |tx| links::create_link(tx, &new).map(Change::created));
            run(admin, kind, api::links::action("links.create", create), work).await
        }
    };
    Ok(created?.unwrap_or_default())
}

/// Saves `form` over record `id` (its URL id: checked by the caller for numeric kinds).
pub async fn update(admin: &Admin, kind: Kind, id: String, form: &ModelForm) -> Result<(), Failed> {
    let update = AuditAction::Update;
    let number = kind.number(&id).unwrap_or_default();
    match kind {
        Kind::Movies => {
            let changes = form.movie_changes();
            let work: Work<_> = Box::new(move |tx| movies::update_movie(tx, number, &changes));
            run(admin, kind, api::movies::action("movies.update", update), work).await
        }
        Kind::Genres => {
            let new = form.genre_name();
            let work: Work<_> = Box::new(move |tx| genres::rename_genre(tx, &id, &new));
            run(admin, kind, api::genres::action("genres.rename", update), work).await
        }
        Kind::Ratings => {
            let changes = form.rating_changes().map_err(problems)?;
            let work: Work<_> = Box::new(move |tx| ratings::update_rating(tx, number, &changes));
            run(admin, kind, api::ratings::action("ratings.update", update), work).await
        }
        Kind::Tags => {
            let changes = form.tag_changes().map_err(problems)?;
            let work: Work<_> = Box::new(move |tx| tags::update_tag(tx, number, &changes));
            run(admin, kind, api::tags::action("tags.update", update), work).await
        }
        Kind::Links => {
            let changes = form.link_changes().map_err(problems)?;
            let work: Work<_> = Box::new(move |tx| links::update_link(tx, number, &changes));
            run(admin, kind, api::links::action("links.update", update), work).await
        }
    }
    .map(drop)
}

/// Deletes record `id`; a genre in use only with `detach`.
pub async fn delete(admin: &Admin, kind: Kind, id: String, detach: bool) -> Result<(), Failed> {
    let delete = AuditAction::Delete;
    let number = kind.number(&id).unwrap_or_default();
    match kind {
        Kind::Movies => {
            let work: Work<_> = Box::new(move |tx| movies::delete_movie(tx, number));
            run(admin, kind, api::movies::action("movies.delete", delete), work).await
        }
        Kind::Genres => {
            let work: Work<_> = Box::new(move |tx| genres::delete_genre(tx, &id, detach));
            run(admin, kind, api::genres::action("genres.delete", delete), work).await
        }
        Kind::Ratings => {
            let work: Work<_> = Box::new(move |tx| ratings::delete_rating(tx, number));
            run(admin, kind, api::ratings::action("ratings.delete", delete), work).await
        }
        Kind::Tags => {
            let work: Work<_> = Box::new(move |tx| tags::delete_tag(tx, number));
            run(admin, kind, api::tags::action("tags.delete", delete), work).await
        }
        Kind::Links => {
            let work: Work<_> = Box::new(move |tx| links::delete_link(tx, number));
            run(admin, kind, api::links::action("links.delete", delete), work).await
        }
    }
    .map(drop)
}
