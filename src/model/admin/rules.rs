//! The rules every admin write is checked against, one function per body. Each returns every
//! field's problem at once (empty when the body is valid), so that the API's 400 and the admin
//! pages' forms can list them all. Whether referenced records exist is the database's check.

use super::{FieldError, GenreName, LinkChanges, MovieChanges, NewLink, NewMovie, NewTag, RatingChanges, TagChanges};
use crate::model::ratings::NewRating;

/// The largest id JSON numbers carry exactly (2^53 - 1).
pub const MAX_ID: i64 = 9_007_199_254_740_991;
pub const MAX_TITLE_CHARS: usize = 500;
pub const MAX_GENRE_CHARS: usize = 100;
pub const MAX_TAG_CHARS: usize = 255;
const MAX_IMDB_DIGITS: usize = 12;

/// Collects the problems of one body.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<FieldError>);

impl Problems {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn id(&mut self, field: &str, value: i64) {
        if !(1..=MAX_ID).contains(&value) {
            self.add(field, format!("must be a whole number from 1 to {MAX_ID}, found {value}"));
        }
    }

    pub fn timestamp(&mut self, field: &str, value: i64) {
        if !(0..=MAX_ID).contains(&value) {
            self.add(field, format!("must be seconds since the Unix epoch, from 0 to {MAX_ID}, found {value}"));
        }
    }

    pub fn rating(&mut self, field: &str, value: f64) {
        if !(0.5..=5.0).contains(&value) || (value * 2.0).fract() != 0.0 {
            self.add(field, format!("must be a half star from 0.5 to 5.0, found {value}"));
        }
    }

    /// Text that is stored trimmed: 1 to `max` characters after trimming.
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        let chars = value.trim().chars().count();
        if chars == 0 {
            self.add(field, "must not be empty or only white space");
        } else if chars > max {
            self.add(field, format!("must be at most {max} characters after trimming, found {chars}"));
        }
    }

    pub fn genre_name(&mut self, field: &str, name: &str) {
        self.text(field, name, MAX_GENRE_CHARS);
        if name.contains('|') {
            self.add(field, "must not contain '|', which separates genres in movies.csv");
        }
    }

    /// A list of genre names: each valid, none twice (without regard to case).
    pub fn genre_names(&mut self, field: &str, names: &[String]) {
        for (index, name) in names.iter().enumerate() {
            let item = format!("{field}[{index}]");
            self.genre_name(&item, name);
            if names[..index].iter().any(|earlier| earlier.trim().eq_ignore_ascii_case(name.trim())) {
                self.add(item, format!("'{}' is listed twice", name.trim()));
            }
        }
    }

    pub fn imdb_id(&mut self, field: &str, value: &str) {
        if value.is_empty() || value.len() > MAX_IMDB_DIGITS || !value.bytes().all(|b| b.is_ascii_digit()) {
            self.add(field, format!("must be 1 to {MAX_IMDB_DIGITS} digits (without 'tt'), found '{value}'"));
        }
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }
}

/// IMDb digits as MovieLens stores them: zero-padded to seven. Call on checked digits only.
pub fn imdb_digits(value: &str) -> String {
    let digits = value.trim_start_matches('0');
    format!("{digits:0>7}")
}

pub fn new_movie(movie: &NewMovie) -> Vec<FieldError> {
    let mut problems = Problems::default();
    if let Some(id) = movie.movie_id {
        problems.id("movie_id", id);
    }
    problems.text("title", &movie.title, MAX_TITLE_CHARS);
    problems.genre_names("genres", &movie.genres);
    problems.into_vec()
}

pub fn movie_changes(changes: &MovieChanges) -> Vec<FieldError> {
    let mut problems = Problems::default();
    if let Some(title) = &changes.title {
        problems.text("title", title, MAX_TITLE_CHARS);
    }
    if let Some(genres) = &changes.genres {
        problems.genre_names("genres", genres);
        if changes.add_genres.is_some() || changes.remove_genres.is_some() {
            problems.add("genres", "give either genres (a replacement) or add_genres and remove_genres, not both");
        }
    }
    for (field, names) in [("add_genres", &changes.add_genres), ("remove_genres", &changes.remove_genres)] {
        if let Some(names) = names {
            problems.genre_names(field, names);
        }
    }
    if let (Some(add), Some(remove)) = (&changes.add_genres, &changes.remove_genres) {
        for (index, name) in remove.iter().enumerate() {
            if add.iter().any(|added| added.trim().eq_ignore_ascii_case(name.trim())) {
                problems.add(format!("remove_genres[{index}]"), format!("'{}' is also in add_genres", name.trim()));
            }
        }
    }
    problems.into_vec()
}

pub fn genre_name(genre: &GenreName) -> Vec<FieldError> {
    let mut problems = Problems::default();
    problems.genre_name("name", &genre.name);
    problems.into_vec()
}

pub fn new_rating(rating: &NewRating) -> Vec<FieldError> {
    let mut problems = Problems::default();
    problems.id("user_id", rating.user_id);
    problems.id("movie_id", rating.movie_id);
    problems.rating("rating", rating.rating);
    if rating.timestamp.is_null() {
        problems.add("timestamp", "may be omitted (it is then now), but not null");
    } else if let Some(timestamp) = rating.timestamp.value() {
        problems.timestamp("timestamp", *timestamp);
    }
    problems.into_vec()
}

pub fn rating_changes(changes: &RatingChanges) -> Vec<FieldError> {
    let mut problems = Problems::default();
    if let Some(id) = changes.user_id {
        problems.id("user_id", id);
    }
    if let Some(id) = changes.movie_id {
        problems.id("movie_id", id);
    }
    if let Some(rating) = changes.rating {
        problems.rating("rating", rating);
    }
    if let Some(timestamp) = changes.timestamp {
        problems.timestamp("timestamp", timestamp);
    }
    problems.into_vec()
}

pub fn new_tag(tag: &NewTag) -> Vec<FieldError> {
    let mut problems = Problems::default();
    problems.id("user_id", tag.user_id);
    problems.id("movie_id", tag.movie_id);
    problems.text("tag", &tag.tag, MAX_TAG_CHARS);
    if let Some(timestamp) = tag.timestamp {
        problems.timestamp("timestamp", timestamp);
    }
    problems.into_vec()
}

pub fn tag_changes(changes: &TagChanges) -> Vec<FieldError> {
    let mut problems = Problems::default();
    if let Some(id) = changes.user_id {
        problems.id("user_id", id);
    }
    if let Some(id) = changes.movie_id {
        problems.id("movie_id", id);
    }
    if let Some(tag) = &changes.tag {
        problems.text("tag", tag, MAX_TAG_CHARS);
    }
    if let Some(timestamp) = changes.timestamp {
        problems.timestamp("timestamp", timestamp);
    }
    problems.into_vec()
}

pub fn new_link(link: &NewLink) -> Vec<FieldError> {
    let mut problems = Problems::default();
    problems.id("movie_id", link.movie_id);
    problems.imdb_id("imdb_id", &link.imdb_id);
    if let Some(id) = link.tmdb_id {
        problems.id("tmdb_id", id);
    }
    problems.into_vec()
}

pub fn link_changes(changes: &LinkChanges) -> Vec<FieldError> {
    let mut problems = Problems::default();
    if let Some(imdb_id) = &changes.imdb_id {
        problems.imdb_id("imdb_id", imdb_id);
    }
    if let Some(id) = changes.tmdb_id.value() {
        problems.id("tmdb_id", *id);
    }
    problems.into_vec()
}
