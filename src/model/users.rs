//! A user's activity.

use poem_openapi::Object;
use serde::Serialize;

/// A genre a user likes.
#[derive(Debug, Clone, Object, Serialize)]
pub struct GenreAffinity {
    pub genre: String,
    /// How many movies of this genre the user rated 4.0 or higher.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub liked: i64,
    /// The user's mean rating of those movies.
    #[oai(validator(minimum(value = "0.5"), maximum(value = "5")))]
    pub mean_rating: f64,
}

/// A user's activity. MovieLens users are anonymous ids.
#[derive(Debug, Clone, Object, Serialize)]
pub struct User {
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub id: i64,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub rating_count: i64,
    /// Mean of the user's ratings; absent when the user only tagged.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(validator(minimum(value = "0.5"), maximum(value = "5")))]
    pub mean_rating: Option<f64>,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub tag_count: i64,
    /// The earliest rating or tag, in seconds since the Unix epoch.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(validator(minimum(value = "-9007199254740991"), maximum(value = "9007199254740991")))]
    pub first_activity: Option<i64>,
    /// The latest rating or tag, in seconds since the Unix epoch.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(validator(minimum(value = "-9007199254740991"), maximum(value = "9007199254740991")))]
    pub last_activity: Option<i64>,
    /// Up to five genres the user rated 4.0 or higher most often, most often first.
    pub favourite_genres: Vec<GenreAffinity>,
}
