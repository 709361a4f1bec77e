//! Genres with their figures.

use poem_openapi::Object;
use serde::Serialize;

/// A genre with its figures.
#[derive(Debug, Clone, Object, Serialize)]
pub struct Genre {
    /// The MovieLens genre name, e.g. `Comedy` or `(no genres listed)`.
    pub name: String,
    /// Movies with this genre.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub movie_count: i64,
    /// Ratings of those movies.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub rating_count: i64,
    /// Mean of all ratings of those movies; absent when there are none.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(validator(minimum(value = "0.5"), maximum(value = "5")))]
    pub mean_rating: Option<f64>,
}
