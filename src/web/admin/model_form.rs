//! The edit and create form of every model: its fields as the browser sends them (text as typed,
//! `genres` once per ticked box), and their conversion to the API's bodies. The rules are the
//! API's ([`rules`]); this file only reads text as numbers, as the API's JSON reader does.

use std::collections::BTreeMap;

use poem_openapi::types::MaybeUndefined;
use poem_openapi::Object;
use serde::{Deserialize, Deserializer, Serialize};

use crate::model::admin::{
    rules, FieldError, GenreName, LinkChanges, MovieChanges, NewLink, NewMovie, NewTag, RatingChanges, TagChanges,
};
use crate::model::ratings::NewRating;

/// The longest value a form field may hold, and the most fields a form may send.
const MAX_VALUE_CHARS: usize = 2000;
const MAX_FIELDS: usize = 250;

/// Every model's form fields (each model uses its own); absent ones are empty.
#[derive(Debug, Clone, Default, Object, Serialize)]
pub struct ModelForm {
    /// The session's CSRF token.
    #[oai(default, validator(max_length = 128))]
    pub csrf: String,
    /// Movies (optional on create), ratings, tags and links: the movie's id.
    #[oai(default, validator(max_length = 2000))]
    pub movie_id: String,
    /// Movies: the title, year included.
    #[oai(default, validator(max_length = 2000))]
    pub title: String,
    /// Movies: the genres, one field per ticked genre.
    #[oai(default, validator(max_items = 200))]
    pub genres: Vec<String>,
    /// Genres: the name.
    #[oai(default, validator(max_length = 2000))]
    pub name: String,
    /// Ratings and tags: the user's id.
    #[oai(default, validator(max_length = 2000))]
    pub user_id: String,
    /// Ratings: half stars, 0.5 to 5.0.
    #[oai(default, validator(max_length = 2000))]
    pub rating: String,
    /// Ratings and tags: seconds since the Unix epoch (empty: now, on create).
    #[oai(default, validator(max_length = 2000))]
    pub timestamp: String,
    /// Tags: the text.
    #[oai(default, validator(max_length = 2000))]
    pub tag: String,
    /// Links: IMDb digits.
    #[oai(default, validator(max_length = 2000))]
    pub imdb_id: String,
    /// Links: TMDB id (empty: none).
    #[oai(default, validator(max_length = 2000))]
    pub tmdb_id: String,
    /// Genre delete: `on` to take the genre off its movies first.
    #[oai(default, validator(max_length = 8))]
    pub detach: String,
}

// Read by hand: a form repeats `genres` once per ticked box, which serde's struct reading of
// URL-encoded bodies cannot collect; unknown fields are ignored, as browsers send buttons too.
impl<'de> Deserialize<'de> for ModelForm {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let pairs = Vec::<(String, String)>::deserialize(deserializer)?;
        if pairs.len() > MAX_FIELDS {
            return Err(D::Error::custom(format!("a form has at most {MAX_FIELDS} fields")));
        }
        let mut form = ModelForm::default();
        for (name, value) in pairs {
            if value.chars().count() > MAX_VALUE_CHARS {
                return Err(D::Error::custom(format!("field {name} is longer than {MAX_VALUE_CHARS} characters")));
            }
            let slot = match name.as_str() {
                "genres" => {
                    form.genres.push(value);
                    continue;
                }
                "csrf" => &mut form.csrf,
                "movie_id" => &mut form.movie_id,
                "title" => &mut form.title,
                "name" => &mut form.name,
                "user_id" => &mut form.user_id,
                "rating" => &mut form.rating,
                "timestamp" => &mut form.timestamp,
                "tag" => &mut form.tag,
                "imdb_id" => &mut form.imdb_id,
                "tmdb_id" => &mut form.tmdb_id,
                "detach" => &mut form.detach,
                _ => continue,
            };
            *slot = value;
        }
        Ok(form)
    }
}

/// Problems by form field (`genres[2]` shows at `genres`; the form's own at `form`).
pub type FieldErrors = BTreeMap<String, String>;

/// Places the API's problems by their form field, several on one field joined.
pub fn place(problems: Vec<FieldError>) -> FieldErrors {
    let mut errors = FieldErrors::new();
    for FieldError { field, message } in problems {
        let base = field.split('[').next().unwrap_or_default();
        let placed = if base.is_empty() || base == "body" { "form" } else { base };
        let placed = if placed == "add_genres" || placed == "remove_genres" { "genres" } else { placed };
        errors.entry(placed.to_string()).and_modify(|all| all.push_str(&format!("; {message}"))).or_insert(message);
    }
    errors
}

/// Reads the form's text as the API's JSON reader reads its values: a problem per field that
/// is not a number, and the rules' problems of the fields that are.
struct Reader {
    problems: Vec<FieldError>,
}

impl Reader {
    fn whole(&mut self, field: &str, text: &str) -> i64 {
        self.optional_whole(field, text).unwrap_or_else(|| {
            if text.trim().is_empty() {
                self.problems.push(FieldError::new(field, "is required"));
            }
            0
        })
    }

    fn optional_whole(&mut self, field: &str, text: &str) -> Option<i64> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let value = text.parse::<i64>().ok();
        if value.is_none() {
            self.problems.push(FieldError::new(field, format!("must be a whole number, found '{text}'")));
        }
        value
    }

    fn number(&mut self, field: &str, text: &str) -> f64 {
        let text = text.trim();
        match text.parse::<f64>() {
            Ok(value) if value.is_finite() => value,
            _ if text.is_empty() => {
                self.problems.push(FieldError::new(field, "is required"));
                0.0
            }
            _ => {
                self.problems.push(FieldError::new(field, format!("must be a number, found '{text}'")));
                0.0
            }
        }
    }

    /// `body`, or every problem: the reading's, and the rules' for the fields that did read.
    fn finish<T>(self, body: T, rules: fn(&T) -> Vec<FieldError>) -> Result<T, Vec<FieldError>> {
        if self.problems.is_empty() {
            return Ok(body);
        }
        let mut problems = self.problems;
        let unread: Vec<String> = problems.iter().map(|problem| problem.field.clone()).collect();
        problems.extend(rules(&body).into_iter().filter(|problem| !unread.contains(&problem.field)));
        Err(problems)
    }
}

fn reader() -> Reader {
    Reader { problems: Vec::new() }
}

impl ModelForm {
    pub fn new_movie(&self) -> Result<NewMovie, Vec<FieldError>> {
        let mut read = reader();
        let movie_id = read.optional_whole("movie_id", &self.movie_id);
        read.finish(NewMovie { movie_id, title: self.title.clone(), genres: self.genres.clone() }, rules::new_movie)
    }

    pub fn movie_changes(&self) -> MovieChanges {
        MovieChanges { title: Some(self.title.clone()), genres: Some(self.genres.clone()), ..MovieChanges::default() }
    }

    pub fn genre_name(&self) -> GenreName {
        GenreName { name: self.name.clone() }
    }

    pub fn new_rating(&self) -> Result<NewRating, Vec<FieldError>> {
        let mut read = reader();
        let (user_id, movie_id) = (read.whole("user_id", &self.user_id), read.whole("movie_id", &self.movie_id));
        let rating = read.number("rating", &self.rating);
        let timestamp =
            read.optional_whole("timestamp", &self.timestamp).map_or(MaybeUndefined::Undefined, MaybeUndefined::Value);
        read.finish(NewRating { user_id, movie_id, rating, timestamp }, rules::new_rating)
    }

    pub fn rating_changes(&self) -> Result<RatingChanges, Vec<FieldError>> {
        let mut read = reader();
        let changes = RatingChanges {
            user_id: Some(read.whole("user_id", &self.user_id)),
            movie_id: Some(read.whole("movie_id", &self.movie_id)),
            rating: Some(read.number("rating", &self.rating)),
            timestamp: read.optional_whole("timestamp", &self.timestamp),
        };
        read.finish(changes, rules::rating_changes)
    }

    pub fn new_tag(&self) -> Result<NewTag, Vec<FieldError>> {
        let mut read = reader();
        let (user_id, movie_id) = (read.whole("user_id", &self.user_id), read.whole("movie_id", &self.movie_id));
        let timestamp = read.optional_whole("timestamp", &self.timestamp);
        read.finish(NewTag { user_id, movie_id, tag: self.tag.clone(), timestamp }, rules::new_tag)
    }

    pub fn tag_changes(&self) -> Result<TagChanges, Vec<FieldError>> {
        let mut read = reader();
        let changes = TagChanges {
            user_id: Some(read.whole("user_id", &self.user_id)),
            movie_id: Some(read.whole("movie_id", &self.movie_id)),
            tag: Some(self.tag.clone()),
            timestamp: read.optional_whole("timestamp", &self.timestamp),
        };
        read.finish(changes, rules::tag_changes)
    }

    pub fn new_link(&self) -> Result<NewLink, Vec<FieldError>> {
        let mut read = reader();
        let movie_id = read.whole("movie_id", &self.movie_id);
        let tmdb_id = read.optional_whole("tmdb_id", &self.tmdb_id);
        read.finish(NewLink { movie_id, imdb_id: self.imdb_id.trim().to_string(), tmdb_id }, rules::new_link)
    }

    pub fn link_changes(&self) -> Result<LinkChanges, Vec<FieldError>> {
        let mut read = reader();
        let tmdb_id = read.optional_whole("tmdb_id", &self.tmdb_id).map_or(MaybeUndefined::Null, MaybeUndefined::Value);
        read.finish(LinkChanges { imdb_id: Some(self.imdb_id.trim().to_string()), tmdb_id }, rules::link_changes)
    }
}
