//! The bodies of the admin writes. Their derives document them; the API reads them itself so
//! that it can report every field's problem at once (see [`super::rules`]).

use poem_openapi::types::MaybeUndefined;
use poem_openapi::Object;

/// A movie to create.
#[derive(Debug, Clone, Default, Object)]
pub struct NewMovie {
    /// The id to give it; the next free id (above every id ever used) when omitted.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub movie_id: Option<i64>,
    /// The title, with the year at the end as MovieLens writes it: `Heat (1995)`. 1 to 500
    /// characters after trimming.
    #[oai(validator(min_length = 1, max_length = 500))]
    pub title: String,
    /// Names of existing genres, any case; may be empty.
    #[oai(validator(max_items = 50))]
    pub genres: Vec<String>,
}

/// Changes to a movie; only the fields given change. `genres` replaces the genres;
/// `add_genres` and `remove_genres` edit them instead (not together with `genres`).
#[derive(Debug, Clone, Default, Object)]
pub struct MovieChanges {
    /// The new title; the year is read from it again.
    #[oai(validator(min_length = 1, max_length = 500))]
    pub title: Option<String>,
    /// The complete new list of genre names.
    #[oai(validator(max_items = 50))]
    pub genres: Option<Vec<String>>,
    /// Genre names to add (ones the movie has are ignored).
    #[oai(validator(max_items = 50))]
    pub add_genres: Option<Vec<String>>,
    /// Genre names to remove (ones the movie lacks are ignored).
    #[oai(validator(max_items = 50))]
    pub remove_genres: Option<Vec<String>>,
}

/// A genre's name, to create it or rename it.
#[derive(Debug, Clone, Default, Object)]
pub struct GenreName {
    /// 1 to 100 characters after trimming, without `|` (movies.csv separates genres with it);
    /// unique without regard to case.
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: String,
}

/// Changes to a rating; only the fields given change.
#[derive(Debug, Clone, Default, Object)]
pub struct RatingChanges {
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub user_id: Option<i64>,
    /// An existing movie's id.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub movie_id: Option<i64>,
    /// Half stars, 0.5 to 5.0.
    #[oai(validator(minimum(value = "0.5"), maximum(value = "5"), multiple_of = "0.5"))]
    pub rating: Option<f64>,
    /// Seconds since the Unix epoch.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub timestamp: Option<i64>,
}

/// A tag to record.
#[derive(Debug, Clone, Default, Object)]
pub struct NewTag {
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub user_id: i64,
    /// An existing movie's id.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub movie_id: i64,
    /// The tag text: 1 to 255 characters after trimming (it is stored trimmed).
    #[oai(validator(min_length = 1, max_length = 255))]
    pub tag: String,
    /// Seconds since the Unix epoch; now when omitted.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub timestamp: Option<i64>,
}

/// Changes to a tag; only the fields given change.
#[derive(Debug, Clone, Default, Object)]
pub struct TagChanges {
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub user_id: Option<i64>,
    /// An existing movie's id.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub movie_id: Option<i64>,
    /// 1 to 255 characters after trimming.
    #[oai(validator(min_length = 1, max_length = 255))]
    pub tag: Option<String>,
    /// Seconds since the Unix epoch.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub timestamp: Option<i64>,
}

/// A movie's external ids, to create its link.
#[derive(Debug, Clone, Default, Object)]
pub struct NewLink {
    /// An existing movie without a link.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub movie_id: i64,
    /// IMDb id digits, 1 to 12 (no `tt`); stored zero-padded to seven as MovieLens does.
    #[oai(validator(pattern = "^[0-9]{1,12}$"))]
    pub imdb_id: String,
    /// The Movie Database id, if there is one.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub tmdb_id: Option<i64>,
}

/// Changes to a link; only the fields given change, and a `null` tmdb_id removes it.
#[derive(Debug, Clone, Default, Object)]
pub struct LinkChanges {
    /// IMDb id digits, 1 to 12 (no `tt`).
    #[oai(validator(pattern = "^[0-9]{1,12}$"))]
    pub imdb_id: Option<String>,
    /// The Movie Database id; `null` removes it.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub tmdb_id: MaybeUndefined<i64>,
}
