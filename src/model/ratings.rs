//! Ratings and tags, and a rating to record.

use poem_openapi::types::MaybeUndefined;
use poem_openapi::Object;
use serde::Serialize;

/// One rating.
#[derive(Debug, Clone, Object, Serialize)]
pub struct Rating {
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub id: i64,
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub user_id: i64,
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub movie_id: i64,
    /// The rated movie's title.
    pub movie_title: String,
    /// Half stars, 0.5 to 5.0.
    #[oai(validator(minimum(value = "0.5"), maximum(value = "5")))]
    pub rating: f64,
    /// Seconds since the Unix epoch, UTC.
    #[oai(validator(minimum(value = "-9007199254740991"), maximum(value = "9007199254740991")))]
    pub timestamp: i64,
}

/// One tag a user applied to a movie.
#[derive(Debug, Clone, Object, Serialize)]
pub struct Tag {
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub id: i64,
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub user_id: i64,
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub movie_id: i64,
    /// The tagged movie's title.
    pub movie_title: String,
    pub tag: String,
    /// Seconds since the Unix epoch, UTC.
    #[oai(validator(minimum(value = "-9007199254740991"), maximum(value = "9007199254740991")))]
    pub timestamp: i64,
}

/// A rating to record.
#[derive(Debug, Clone, Object)]
pub struct NewRating {
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub user_id: i64,
    /// An existing movie's id.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub movie_id: i64,
    /// Half stars, 0.5 to 5.0.
    #[oai(validator(minimum(value = "0.5"), maximum(value = "5"), multiple_of = "0.5"))]
    pub rating: f64,
    /// Seconds since the Unix epoch; now when omitted. Not nullable.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub timestamp: MaybeUndefined<i64>,
}
