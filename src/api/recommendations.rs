//! Similar movies and picks per user, served from the precomputed model; and the model itself.
//! Until a model is built every one of them answers 503 with `Retry-After` and the task to run.

use std::collections::HashMap;
use std::sync::Arc;

use poem::http::StatusCode;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, OpenApi};
use serde::Serialize;

use super::error::{AppError, ErrorBody};
use super::json::FastJson;
use super::ApiTags;
use crate::db::{self, recommendations as store, Db};
use crate::model::recommendations::{
    BecauseYouRated, MovieRef, Recommendation, RecommendationModel, SimilarMovie, SimilarMovies, UserRecommendations,
};
use crate::recommend::served::{ServedModel, UserPick};

/// Seconds a client is asked to wait for a first model.
const NOT_BUILT_RETRY_AFTER_SECS: u64 = 60;

/// Responses of a read of the recommendation model.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "model_bad_request")]
pub enum ModelRead<T: Type + Serialize + Send + Sync> {
    /// Success.
    #[oai(status = 200)]
    Ok(FastJson<T>),
    /// A parameter is missing or invalid (an unknown genre, a limit out of range).
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// The movie or user is unknown, or the model has no neighbours for the movie.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// No model is built yet: the `recommendations.build` task builds one (queued at a server's
    /// start, after every import and by the `recommendations_refresh` schedule). Try again after
    /// `Retry-After`.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>, #[oai(header = "Retry-After")] Option<String>),
    /// The server failed; the body carries the request id that its log names.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
}

fn model_bad_request<T: Type + Serialize + Send + Sync>(err: poem::Error) -> ModelRead<T> {
    AppError::from_poem(&err).into()
}

impl<T: Type + Serialize + Send + Sync> From<AppError> for ModelRead<T> {
    fn from(err: AppError) -> Self {
        match err.status() {
            StatusCode::BAD_REQUEST => ModelRead::BadRequest(err.body()),
            StatusCode::NOT_FOUND => ModelRead::NotFound(err.body()),
            StatusCode::SERVICE_UNAVAILABLE => {
                let retry_after = err.retry_after().map(|secs| secs.to_string());
                ModelRead::Unavailable(err.body(), retry_after)
            }
            _ => ModelRead::Internal(err.body()),
        }
    }
}

impl<T: Type + Serialize + Send + Sync> From<Result<T, AppError>> for ModelRead<T> {
    fn from(result: Result<T, AppError>) -> Self {
        result.map_or_else(Into::into, |value| ModelRead::Ok(FastJson(value)))
    }
}

/// Responses of the model's description. It takes no parameters, so there is no 400; and no
/// 404: it describes whichever model is current.
#[derive(ApiResponse)]
pub enum ModelInfo {
    /// Success.
    #[oai(status = 200)]
    Ok(FastJson<RecommendationModel>),
    /// No model is built yet: the `recommendations.build` task builds one (queued at a server's
    /// start, after every import and by the `recommendations_refresh` schedule). Try again after
    /// `Retry-After`.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>, #[oai(header = "Retry-After")] Option<String>),
    /// The server failed; the body carries the request id that its log names.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
}

impl From<Result<RecommendationModel, AppError>> for ModelInfo {
    fn from(result: Result<RecommendationModel, AppError>) -> Self {
        match result {
            Ok(model) => ModelInfo::Ok(FastJson(model)),
            Err(err) if err.status() == StatusCode::SERVICE_UNAVAILABLE => {
                let retry_after = err.retry_after().map(|secs| secs.to_string());
                ModelInfo::Unavailable(err.body(), retry_after)
            }
            Err(err) => ModelInfo::Internal(err.body()),
        }
    }
}

/// The 503 of a server without a model.
fn not_built() -> AppError {
    AppError::Unavailable {
        message: "the recommendation model is not built yet: the recommendations.build task builds it \
                  (POST /api/tasks with {\"name\": \"recommendations.build\"}, or `movielens recommend build`)"
            .to_string(),
        retry_after_secs: Some(NOT_BUILT_RETRY_AFTER_SECS),
    }
}

/// The current model and the snapshot's data version, or the 503.
fn current(conn: &rusqlite::Connection) -> Result<store::ServingState, AppError> {
    store::serving_state(conn)?.ok_or_else(not_built)
}

pub struct RecommendationsApi {
    pub db: Db,
    /// The current model's scoring lists, read once per model.
    pub served: ServedModel,
}

#[OpenApi(prefix_path = "/api", tag = "ApiTags::Recommendations")]
impl RecommendationsApi {
    /// Similar movies
    ///
    /// The movie's nearest neighbours in the current model (item-item cosine over the users
    /// who rated both), best first, with their similarity and number of co-raters.
    #[oai(path = "/movies/:movie_id/similar", method = "get", operation_id = "similar_movies")]
    async fn similar(
        &self,
        /// MovieLens `movieId`.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        movie_id: Path<i64>,
        /// How many neighbours, 1 to 50 (default 10).
        #[oai(validator(minimum(value = "1"), maximum(value = "50")))]
        limit: Query<Option<u32>>,
    ) -> ModelRead<SimilarMovies> {
        let (movie_id, limit) = (movie_id.0, limit.0.unwrap_or(10));
        let answer = self.db.read("recommendations.similar", move |tx| {
            let model_id = current(tx)?.model_id;
            let movie = store::movie_ref(tx, movie_id)?.ok_or_else(|| super::movies::no_movie(movie_id))?;
            let rows = store::neighbours(tx, model_id, movie_id, limit)?;
            if rows.is_empty() {
                return Err(AppError::NotFound(format!(
                    "movie {movie_id} has no neighbours in the recommendation model {model_id} (too few ratings, \
                     or rated after the model was built)"
                )));
            }
            let similar = rows
                .into_iter()
                .map(|(movie, similarity, co_raters)| SimilarMovie { movie, similarity, co_raters })
                .collect();
            Ok(SimilarMovies { movie, model_id, similar })
        });
        answer.await.into()
    }

    /// Recommendations for a user
    ///
    /// Movies the user has not rated, scored by the sum of their similarities to the movies the
    /// user rated (among the first `score_neighbours` of each rated movie's list), each weighted
    /// by the rating minus the user's mean; each with the three rated
    /// movies that contributed most. The user's ratings are read as they are now; the
    /// similarities come from the current model. `genre` keeps only movies of that genre.
    #[oai(path = "/users/:user_id/recommendations", method = "get", operation_id = "user_recommendations")]
    async fn recommendations(
        &self,
        /// MovieLens `userId`.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        user_id: Path<i64>,
        /// How many movies, 1 to 50 (default 10).
        #[oai(validator(minimum(value = "1"), maximum(value = "50")))]
        limit: Query<Option<u32>>,
        /// Only movies of this genre, e.g. `Comedy`. Unknown names are a 400.
        #[oai(validator(max_length = 100))]
        genre: Query<Option<String>>,
    ) -> ModelRead<UserRecommendations> {
        let (user_id, limit, genre) = (user_id.0, limit.0.unwrap_or(10) as usize, genre.0);
        let served = self.served.clone();
        let answer = self.db.read("recommendations.user", move |tx| {
            let store::ServingState { model_id, score_neighbours, data_generation } = current(tx)?;
            let genre_id = match &genre {
                Some(name) => Some(db::movies::genre_ids(tx, std::slice::from_ref(name))?[0]),
                None => None,
            };
            let ratings = store::user_ratings(tx, user_id)?;
            if ratings.is_empty() {
                return Err(super::users::no_user(user_id));
            }
            let lists = served.lists(tx, model_id, score_neighbours)?;
            let mut ranked = lists.picks(&ratings);
            let mut recommendations = Vec::with_capacity(limit);
            // Usually one batch: another is needed only when a pick's movie was deleted after
            // the model's lists were read, and the batch lost it.
            while recommendations.len() < limit {
                let mut batch = Vec::new();
                while batch.len() < limit - recommendations.len() {
                    let Some(pick) = ranked.next() else { break };
                    if genre_id.map_or(Ok(true), |genre_id| store::has_genre(tx, pick.movie_id, genre_id))? {
                        batch.push(pick);
                    }
                }
                if batch.is_empty() {
                    break;
                }
                let movies = served.movie_refs(tx, data_generation, &movie_ids(&batch))?;
                recommendations.extend(named(&movies, &ratings, batch));
            }
            Ok(UserRecommendations { user_id, model_id, genre, recommendations })
        });
        answer.await.into()
    }

    /// The recommendation model
    ///
    /// The current model's parameters, when it was built and from which data version (and
    /// whether the data changed since), its size, and the evaluation figures of its build:
    /// HR@10 and NDCG@10 of the model and of the popularity and damped-mean baselines.
    #[oai(path = "/recommendations/model", method = "get", operation_id = "recommendation_model")]
    async fn model(&self) -> ModelInfo {
        let answer = self.db.read("recommendations.model", |tx| store::current_model(tx)?.ok_or_else(not_built));
        answer.await.into()
    }
}

/// The distinct movies of `picks`: the picks' own and the rated movies behind them.
fn movie_ids(picks: &[UserPick]) -> Vec<i64> {
    let mut ids: Vec<i64> = picks
        .iter()
        .flat_map(|pick| std::iter::once(pick.movie_id).chain(pick.because.iter().map(|&(movie_id, _)| movie_id)))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Picks with the titles and genres of their movies and of the rated movies behind them. A pick
/// whose movie no longer exists (absent from `movies`) is left out.
fn named(movies: &HashMap<i64, Arc<MovieRef>>, ratings: &[(i64, f64)], picks: Vec<UserPick>) -> Vec<Recommendation> {
    let rating_of = |movie_id: i64| ratings.iter().find(|(id, _)| *id == movie_id).map_or(0.0, |(_, rating)| *rating);
    let named = picks.into_iter().filter_map(|pick| {
        let because = pick.because.iter().filter_map(|&(movie_id, contribution)| {
            let movie = movies.get(&movie_id)?.clone();
            Some(BecauseYouRated { movie, rating: rating_of(movie_id), contribution })
        });
        let because = because.collect();
        Some(Recommendation { movie: movies.get(&pick.movie_id)?.clone(), score: pick.score, because })
    });
    named.collect()
}
