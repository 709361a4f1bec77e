//! What the recommendation endpoints serve.

use std::sync::Arc;

use poem_openapi::Object;
use serde::Serialize;

/// A movie with its title and genres.
#[derive(Debug, Clone, Object, Serialize)]
pub struct MovieRef {
    /// MovieLens `movieId`.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub id: i64,
    /// The title as MovieLens writes it, year included.
    pub title: String,
    /// Genres, alphabetical.
    pub genres: Vec<String>,
}

/// One neighbour of a movie.
#[derive(Debug, Clone, Object, Serialize)]
pub struct SimilarMovie {
    pub movie: MovieRef,
    /// Cosine similarity over the users who rated both movies, in (0, 1].
    #[oai(validator(minimum(value = "0"), maximum(value = "1")))]
    pub similarity: f64,
    /// How many users rated both movies (within the model's cap on a user's ratings).
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub co_raters: i64,
}

/// A movie's most similar movies, best first.
#[derive(Debug, Clone, Object, Serialize)]
pub struct SimilarMovies {
    pub movie: MovieRef,
    /// The model that answered (see `/api/recommendations/model`).
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub model_id: i64,
    pub similar: Vec<SimilarMovie>,
}

/// A rated movie that contributed to a pick.
#[derive(Debug, Clone, Object, Serialize)]
pub struct BecauseYouRated {
    // Shared: the same rated movie is often behind several picks.
    pub movie: Arc<MovieRef>,
    /// The user's rating of it.
    #[oai(validator(minimum(value = "0.5"), maximum(value = "5")))]
    pub rating: f64,
    /// Its share of the score: similarity times (rating minus the user's mean).
    #[oai(validator(minimum(value = "0"), maximum(value = "5")))]
    pub contribution: f64,
}

/// A movie picked for a user.
#[derive(Debug, Clone, Object, Serialize)]
pub struct Recommendation {
    pub movie: Arc<MovieRef>,
    /// The sum of its similarities to the movies the user rated, each weighted by the rating
    /// minus the user's mean.
    #[oai(validator(minimum(value = "0"), maximum(value = "1000000000")))]
    pub score: f64,
    /// Up to three rated movies that contributed most, most first.
    pub because: Vec<BecauseYouRated>,
}

/// A user's picks, best first.
#[derive(Debug, Clone, Object, Serialize)]
pub struct UserRecommendations {
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub user_id: i64,
    /// The model that answered.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub model_id: i64,
    /// The genre asked for, if any.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub genre: Option<String>,
    pub recommendations: Vec<Recommendation>,
}

/// HR@10 and NDCG@10 of one ranking.
#[derive(Debug, Clone, Copy, Object, Serialize, serde::Deserialize)]
pub struct RankingFigures {
    /// Share of held-out ratings found in the top 10.
    #[oai(validator(minimum(value = "0"), maximum(value = "1")))]
    pub hit_rate: f64,
    /// Normalised discounted cumulative gain at 10.
    #[oai(validator(minimum(value = "0"), maximum(value = "1")))]
    pub ndcg: f64,
}

/// The evaluation of a build: each user's most recent rating of 4 or more held out.
#[derive(Debug, Clone, Object, Serialize, serde::Deserialize)]
pub struct ModelEvaluation {
    /// Users evaluated (those with at least 5 ratings and one of 4 or more).
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub users: i64,
    pub model: RankingFigures,
    /// Most-rated movies first.
    pub popularity: RankingFigures,
    /// The damped-mean ranking of `/api/top-rated`.
    pub damped_mean: RankingFigures,
}

/// The model the recommendations come from.
#[derive(Debug, Clone, Object, Serialize)]
pub struct RecommendationModel {
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub id: i64,
    /// Neighbours kept per movie (k).
    #[oai(validator(minimum(value = "1"), maximum(value = "1000")))]
    pub neighbours: i64,
    /// The first neighbours of each rated movie that score a user's picks.
    #[oai(validator(minimum(value = "1"), maximum(value = "1000")))]
    pub score_neighbours: i64,
    /// Pairs rated by fewer users were dropped.
    #[oai(validator(minimum(value = "1"), maximum(value = "1000000")))]
    pub min_co_raters: i64,
    /// `binary` (co-occurrence) or `centred` (ratings minus the user's mean).
    pub normalization: String,
    /// A user's most recent ratings that counted in the co-occurrence.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub max_user_ratings: i64,
    /// The data version (a counter of data changes) the ratings were read at.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub data_generation: i64,
    /// Whether the data changed since (the model is then rebuilt by the next scheduled build).
    pub stale: bool,
    /// When the model became current, in milliseconds since the Unix epoch.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub built_at: i64,
    /// How long the build took, in milliseconds.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub build_ms: i64,
    /// Movies with at least one neighbour.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub movies: i64,
    /// Stored neighbour pairs.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub neighbour_rows: i64,
    /// Ratings that counted, after the cap.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub ratings_used: i64,
    /// The build's evaluation; absent when the build skipped it.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<ModelEvaluation>,
}
