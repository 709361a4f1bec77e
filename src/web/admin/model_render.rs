//! The model forms' pages: which fields each model's form shows, a stored record as the form's
//! values, and what deleting a record takes with it (the confirmation page's list).

use minijinja::Value;
use serde::Serialize;

use super::model_form::{FieldErrors, ModelForm};
use super::model_writes::Kind;
use crate::db::admin::{genres, lists, movies, tags};
use crate::db::{catalogue, ratings, Db, DbError};

/// One input of a form.
#[derive(Serialize)]
struct Field {
    name: &'static str,
    label: &'static str,
    hint: &'static str,
}

const fn field(name: &'static str, label: &'static str, hint: &'static str) -> Field {
    Field { name, label, hint }
}

/// The inputs of `kind`'s form (the movie's genre picker apart), `creating` or editing.
fn fields(kind: Kind, creating: bool) -> Vec<Field> {
    let timestamp_hint = if creating { "seconds since 1970 (UTC); empty: now" } else { "seconds since 1970 (UTC)" };
    match (kind, creating) {
        (Kind::Movies, true) => vec![
            field("movie_id", "Movie id", "empty: the next free id"),
            field("title", "Title", "with the year at the end: Heat (1995)"),
        ],
        (Kind::Movies, false) => vec![field("title", "Title", "with the year at the end: Heat (1995)")],
        (Kind::Genres, _) => vec![field("name", "Name", "unique, any case; no '|'")],
        (Kind::Ratings, _) => vec![
            field("user_id", "User id", ""),
            field("movie_id", "Movie id", "an existing movie"),
            field("rating", "Rating", "half stars, 0.5 to 5.0"),
            field("timestamp", "Timestamp", timestamp_hint),
        ],
        (Kind::Tags, _) => vec![
            field("user_id", "User id", ""),
            field("movie_id", "Movie id", "an existing movie"),
            field("tag", "Tag", "1 to 255 characters"),
            field("timestamp", "Timestamp", timestamp_hint),
        ],
        (Kind::Links, true) => vec![
            field("movie_id", "Movie id", "an existing movie without a link"),
            field("imdb_id", "IMDb id", "digits, without tt"),
            field("tmdb_id", "TMDB id", "empty: none"),
        ],
        (Kind::Links, false) => {
            vec![field("imdb_id", "IMDb id", "digits, without tt"), field("tmdb_id", "TMDB id", "empty: none")]
        }
    }
}

/// What the form template needs besides the layout.
pub struct FormView<'a> {
    pub kind: Kind,
    /// The record's URL id; `None` on the create form.
    pub id: Option<&'a str>,
    /// What the page is about (the movie's title, the tag's text), shown under the heading.
    pub subject: &'a str,
    pub form: &'a ModelForm,
    pub errors: &'a FieldErrors,
    /// Every genre, for the movie form's picker.
    pub genre_choices: Vec<String>,
    pub csrf: &'a str,
}

impl FormView<'_> {
    pub fn title(&self) -> String {
        match self.id {
            None => format!("Add a {}", self.kind.noun()),
            Some(id) => format!("Change {} {id}", self.kind.noun()),
        }
    }

    pub fn context(&self) -> minijinja::Value {
        let path = self.kind.path();
        let action = match self.id {
            None => format!("/admin/{path}/new"),
            Some(id) => format!("/admin/{path}/{}", segment(id)),
        };
        // The URLs are built here from percent-encoded parts: left unescaped so they read plainly.
        let delete = self.id.map(|id| Value::from_safe_string(format!("/admin/{path}/{}/delete", segment(id))));
        minijinja::context! {
            path => path,
            action => Value::from_safe_string(action),
            delete => delete,
            subject => self.subject,
            fields => fields(self.kind, self.id.is_none()),
            form => self.form,
            errors => self.errors,
            genre_picker => self.kind == Kind::Movies,
            genre_choices => self.genre_choices,
            csrf => self.csrf,
        }
    }
}

/// A URL id as one path segment (a genre name may hold spaces, `/` or `%`). A genre named `new`
/// is written `%6Eew`: the router matches the raw path, so it is not taken for the add form.
pub fn segment(id: &str) -> String {
    match id {
        "new" => "%6Eew".to_string(),
        id => form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>().replace('+', "%20"),
    }
}

/// Record `id` of `kind` as the form's values and a line naming it; `None` if there is none.
pub async fn load(db: &Db, kind: Kind, id: String) -> Result<Option<(ModelForm, String)>, DbError> {
    let number = kind.number(&id);
    if kind != Kind::Genres && number.is_none() {
        return Ok(None);
    }
    let number = number.unwrap_or_default();
    db.read("admin.form", move |tx| {
        let loaded = match kind {
            Kind::Movies => movies::movie(tx, number)?.map(|movie| {
                let form = ModelForm { title: movie.title.clone(), genres: movie.genres, ..ModelForm::default() };
                (form, movie.title)
            }),
            Kind::Genres => genres::genre(tx, &id)?.map(|genre| {
                let subject = format!("{} movies", genre.movie_count);
                (ModelForm { name: genre.name, ..ModelForm::default() }, subject)
            }),
            Kind::Ratings => ratings::rating(tx, number)?.map(|rating| {
                let form = ModelForm {
                    user_id: rating.user_id.to_string(),
                    movie_id: rating.movie_id.to_string(),
                    rating: format!("{:.1}", rating.rating),
                    timestamp: rating.timestamp.to_string(),
                    ..ModelForm::default()
                };
                (form, format!("user {} on {}", rating.user_id, rating.movie_title))
            }),
            Kind::Tags => tags::tag(tx, number)?.map(|tag| {
                let form = ModelForm {
                    user_id: tag.user_id.to_string(),
                    movie_id: tag.movie_id.to_string(),
                    tag: tag.tag.clone(),
                    timestamp: tag.timestamp.to_string(),
                    ..ModelForm::default()
                };
                (form, format!("'{}' by user {} on {}", tag.tag, tag.user_id, tag.movie_title))
            }),
            Kind::Links => catalogue::link(tx, number)?.map(|link| {
                let form = ModelForm {
                    imdb_id: link.imdb_id,
                    tmdb_id: link.tmdb_id.map(|id| id.to_string()).unwrap_or_default(),
                    ..ModelForm::default()
                };
                let title = movies::movie(tx, number).ok().flatten().map(|movie| movie.title).unwrap_or_default();
                (form, title)
            }),
        };
        Ok(loaded)
    })
    .await
}

/// Every genre's name, for the movie form's picker.
pub async fn genre_choices(db: &Db) -> Result<Vec<String>, DbError> {
    db.read("admin.genre_names", |tx| lists::genre_names(tx)).await
}

/// What else deleting a record deletes (or, for a genre, which movies it is taken off).
#[derive(Debug, Default, Serialize)]
pub struct Impact {
    /// Lines like "12 ratings".
    pub counts: Vec<String>,
    /// A genre's movies (the first of them).
    pub movies: Vec<(i64, String)>,
    /// How many movies use the genre (it needs `detach` when any do).
    pub movie_count: i64,
}

/// Movies a genre's confirmation page lists at most.
const LISTED_MOVIES: i64 = 50;

pub async fn impact(db: &Db, kind: Kind, id: String) -> Result<Impact, DbError> {
    let number = kind.number(&id).unwrap_or_default();
    db.read("admin.delete_impact", move |tx| {
        let mut impact = Impact::default();
        match kind {
            Kind::Movies => {
                let counted = movies::delete_impact(tx, number)?;
                let genre_rows = movies::movie(tx, number)?.map_or(0, |movie| movie.genres.len());
                impact.counts = vec![
                    format!("{} ratings", counted.ratings),
                    format!("{} tags", counted.tags),
                    format!("{} link", if counted.link { 1 } else { 0 }),
                    format!("{genre_rows} genre rows"),
                ];
            }
            Kind::Genres => {
                if let Some(genre) = genres::genre(tx, &id)? {
                    impact.movie_count = genre.movie_count;
                    impact.movies = genres::movies_using(tx, genre.id, LISTED_MOVIES)?;
                }
            }
            Kind::Ratings | Kind::Tags | Kind::Links => {}
        }
        Ok(impact)
    })
    .await
}
