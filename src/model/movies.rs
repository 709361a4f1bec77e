//! Movies as the API shows them, and the filters and orders of a movie list.

use poem_openapi::{Enum, Object};
use serde::Serialize;

/// A movie in a list.
#[derive(Debug, Clone, Object, Serialize)]
pub struct MovieSummary {
    /// MovieLens `movieId`.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub id: i64,
    /// The title as MovieLens writes it, year included, e.g. `Toy Story (1995)`.
    pub title: String,
    /// The release year from the title; absent when the title has none.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(validator(minimum(value = "0"), maximum(value = "9999")))]
    pub year: Option<i64>,
    /// Genres, alphabetical; `(no genres listed)` is a genre of its own.
    pub genres: Vec<String>,
    /// Mean of the movie's ratings; absent when it has none.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(validator(minimum(value = "0.5"), maximum(value = "5")))]
    pub mean_rating: Option<f64>,
    /// Number of ratings.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub rating_count: i64,
}

/// A movie's external ids, with ready-made links.
#[derive(Debug, Clone, Object, Serialize)]
pub struct Links {
    /// IMDb id digits as MovieLens stores them, e.g. `0114709`.
    pub imdb_id: String,
    /// The movie's page on imdb.com.
    pub imdb_url: String,
    /// The Movie Database id; absent when MovieLens has none.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub tmdb_id: Option<i64>,
    /// The movie's page on themoviedb.org; absent without a tmdb id.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tmdb_url: Option<String>,
    /// MovieLens `movieId`.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub movie_id: i64,
}

impl Links {
    pub fn new(movie_id: i64, imdb_id: String, tmdb_id: Option<i64>) -> Self {
        Self {
            imdb_url: format!("https://www.imdb.com/title/tt{imdb_id}/"),
            tmdb_url: tmdb_id.map(|id| format!("https://www.themoviedb.org/movie/{id}")),
            imdb_id,
            tmdb_id,
            movie_id,
        }
    }
}

/// How many ratings a movie has at one half star.
#[derive(Debug, Clone, Object, Serialize)]
pub struct RatingBucket {
    /// The half star, 0.5 to 5.0.
    #[oai(validator(minimum(value = "0.5"), maximum(value = "5")))]
    pub rating: f64,
    /// Ratings at that value.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub count: i64,
}

/// A movie's ratings in figures.
#[derive(Debug, Clone, Object, Serialize)]
pub struct RatingStats {
    /// Number of ratings.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub count: i64,
    /// Mean rating; absent when there are none.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(validator(minimum(value = "0.5"), maximum(value = "5")))]
    pub mean: Option<f64>,
    /// All ten half-star values, 0.5 to 5.0, with their counts (zeros included).
    pub histogram: Vec<RatingBucket>,
}

/// A tag and how often it was applied to the movie.
#[derive(Debug, Clone, Object, Serialize)]
pub struct TagCount {
    pub tag: String,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub count: i64,
}

/// Everything about one movie.
#[derive(Debug, Clone, Object, Serialize)]
pub struct MovieDetail {
    /// MovieLens `movieId`.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub id: i64,
    /// The title as MovieLens writes it.
    pub title: String,
    /// The release year from the title; absent when the title has none.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(validator(minimum(value = "0"), maximum(value = "9999")))]
    pub year: Option<i64>,
    /// Genres, alphabetical.
    pub genres: Vec<String>,
    /// IMDb and TMDB ids and links; absent when links.csv had no row for the movie.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
    /// Rating count, mean and histogram.
    pub ratings: RatingStats,
    /// The ten most used tags, most used first.
    pub top_tags: Vec<TagCount>,
}

/// A movie in the top-rated ranking.
#[derive(Debug, Clone, Object, Serialize)]
pub struct TopRatedMovie {
    /// 1 for the best.
    #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
    pub rank: u32,
    /// MovieLens `movieId`.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub id: i64,
    pub title: String,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(validator(minimum(value = "0"), maximum(value = "9999")))]
    pub year: Option<i64>,
    pub genres: Vec<String>,
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub rating_count: i64,
    /// The plain mean of the movie's ratings.
    #[oai(validator(minimum(value = "0.5"), maximum(value = "5")))]
    pub mean_rating: f64,
    /// The damped mean the ranking sorts by, against `prior`.
    #[oai(validator(minimum(value = "0"), maximum(value = "5")))]
    pub score: f64,
}

/// The prior the top-rated scores were computed against: a snapshot of the mean of all ratings,
/// refreshed in the background and after every import.
#[derive(Debug, Clone, Object, Serialize)]
pub struct ScorePrior {
    /// m: the mean of all ratings when the snapshot was taken (0 if there were none).
    #[oai(validator(minimum(value = "0"), maximum(value = "5")))]
    pub mean: f64,
    /// How many ratings that mean was taken over.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub rating_count: i64,
    /// C: how many ratings' worth of weight the prior carries.
    #[oai(validator(minimum(value = "0"), maximum(value = "1000")))]
    pub weight: f64,
    /// When the snapshot was taken, in seconds since the Unix epoch.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub taken_at: i64,
}

/// The top-rated ranking and the prior it was computed with.
#[derive(Debug, Clone, Object, Serialize)]
pub struct TopRated {
    pub prior: ScorePrior,
    /// The ranked movies, best first.
    pub results: Vec<TopRatedMovie>,
}

/// How several `genre` values combine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum GenreMatch {
    /// Movies with every listed genre.
    #[default]
    All,
    /// Movies with at least one listed genre.
    Any,
}

/// The order of a movie list; a leading `-` sorts descending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Enum)]
pub enum MovieSort {
    #[default]
    #[oai(rename = "id")]
    Id,
    #[oai(rename = "-id")]
    IdDesc,
    #[oai(rename = "title")]
    Title,
    #[oai(rename = "-title")]
    TitleDesc,
    #[oai(rename = "year")]
    Year,
    #[oai(rename = "-year")]
    YearDesc,
    #[oai(rename = "mean_rating")]
    MeanRating,
    #[oai(rename = "-mean_rating")]
    MeanRatingDesc,
    #[oai(rename = "rating_count")]
    RatingCount,
    #[oai(rename = "-rating_count")]
    RatingCountDesc,
}

/// The filters and order of `GET /api/movies`.
#[derive(Debug, Clone, Default)]
pub struct MovieFilter {
    pub search: Option<String>,
    pub genres: Vec<String>,
    pub genre_match: GenreMatch,
    pub year_min: Option<i32>,
    pub year_max: Option<i32>,
    pub min_ratings: Option<u32>,
    /// An expression in the filter language (see `db::filter`).
    pub expression: Option<String>,
    pub sort: MovieSort,
}
