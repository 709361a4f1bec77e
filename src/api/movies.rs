//! Movies: the filtered and sorted list, one movie's details, its ratings and tags, and the
//! top-rated ranking.

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::{Enum, Object, OpenApi};
use serde::Serialize;

use super::error::{AppError, Lookup, Read};
use super::pagination::{CursorPage, Page, PageWindow, RequestUrl};
use super::ratings::{Rating, Tag};
use super::ApiTags;
use crate::db::{self, Db};

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
    pub sort: MovieSort,
}

pub struct MoviesApi {
    pub db: Db,
}

#[OpenApi(prefix_path = "/api", tag = "ApiTags::Movies")]
impl MoviesApi {
    /// List movies
    ///
    /// Paginated by page number. Filters combine with AND. `search` matches any part of the
    /// title, ignoring case. `genre` may be repeated (`genre=Comedy&genre=Romance`), and
    /// `genre_match` says whether a movie needs all of them (the default) or any.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/movies", method = "get", operation_id = "list_movies")]
    async fn list_movies(
        &self,
        request: &Request,
        /// Page number, from 1.
        #[oai(validator(minimum(value = "1"), maximum(value = "1000000")))]
        page: Query<Option<u32>>,
        /// Items per page, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        page_size: Query<Option<u32>>,
        /// Part of the title, case-insensitive.
        #[oai(validator(max_length = 200))]
        search: Query<Option<String>>,
        /// A genre name, e.g. `Comedy`; repeat for several. Unknown names are a 400.
        #[oai(default, validator(max_items = 20))]
        genre: Query<Vec<String>>,
        /// With several genres: `all` (default) or `any`.
        genre_match: Query<Option<GenreMatch>>,
        /// Earliest release year.
        #[oai(validator(minimum(value = "0"), maximum(value = "9999")))]
        year_min: Query<Option<i32>>,
        /// Latest release year.
        #[oai(validator(minimum(value = "0"), maximum(value = "9999")))]
        year_max: Query<Option<i32>>,
        /// Only movies with at least this many ratings.
        #[oai(validator(minimum(value = "0"), maximum(value = "100000000")))]
        min_ratings: Query<Option<u32>>,
        /// Order: `id`, `title`, `year`, `mean_rating` or `rating_count`, `-` first for descending.
        sort: Query<Option<MovieSort>>,
    ) -> Lookup<Page<MovieSummary>> {
        let window = PageWindow::new(page.0, page_size.0);
        let filter = MovieFilter {
            search: search.0,
            genres: genre.0,
            genre_match: genre_match.0.unwrap_or_default(),
            year_min: year_min.0,
            year_max: year_max.0,
            min_ratings: min_ratings.0,
            sort: sort.0.unwrap_or_default(),
        };
        let url = RequestUrl::of(request);
        let result = self
            .db
            .read("movies.list", move |conn| db::movies::list(conn, &filter, window.offset(), window.page_size))
            .await;
        result.and_then(|(count, movies)| window.page(count, movies, &url)).into()
    }

    /// One movie
    ///
    /// Genres, IMDb and TMDB links, rating count, mean and histogram, and the ten most used tags.
    #[oai(path = "/movies/:movie_id", method = "get", operation_id = "get_movie")]
    async fn get_movie(
        &self,
        /// MovieLens `movieId`.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        movie_id: Path<i64>,
    ) -> Lookup<MovieDetail> {
        let movie_id = movie_id.0;
        let result = self.db.read("movies.detail", move |conn| db::movies::detail(conn, movie_id)).await;
        result.and_then(|movie| movie.ok_or_else(|| no_movie(movie_id))).into()
    }

    /// A movie's ratings
    ///
    /// In id order, paginated by cursor: follow `next` (or pass `next_cursor` as `cursor`).
    #[oai(path = "/movies/:movie_id/ratings", method = "get", operation_id = "list_movie_ratings")]
    async fn list_movie_ratings(
        &self,
        request: &Request,
        /// MovieLens `movieId`.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        movie_id: Path<i64>,
        /// `next_cursor` from the previous page; omit for the first page.
        #[oai(validator(max_length = 20))]
        cursor: Query<Option<String>>,
        /// Items per page, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        page_size: Query<Option<u32>>,
    ) -> Lookup<CursorPage<Rating>> {
        let filter = db::ratings::Filter { movie_id: Some(movie_id.0), ..Default::default() };
        super::ratings::cursor_list::<Rating>(&self.db, request, filter, cursor.0, page_size.0, true).await.into()
    }

    /// A movie's tags
    ///
    /// In id order, paginated by cursor: follow `next` (or pass `next_cursor` as `cursor`).
    #[oai(path = "/movies/:movie_id/tags", method = "get", operation_id = "list_movie_tags")]
    async fn list_movie_tags(
        &self,
        request: &Request,
        /// MovieLens `movieId`.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        movie_id: Path<i64>,
        /// `next_cursor` from the previous page; omit for the first page.
        #[oai(validator(max_length = 20))]
        cursor: Query<Option<String>>,
        /// Items per page, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        page_size: Query<Option<u32>>,
    ) -> Lookup<CursorPage<Tag>> {
        let filter = db::ratings::Filter { movie_id: Some(movie_id.0), ..Default::default() };
        super::ratings::cursor_list::<Tag>(&self.db, request, filter, cursor.0, page_size.0, true).await.into()
    }

    /// Top-rated movies
    ///
    /// Ranked by a damped (Bayesian) mean, so that a movie with one 5-star rating does not top
    /// the list: `score = (C × m + Σ ratings) / (C + n)`, where `n` is the movie's number of
    /// ratings, `m` the mean of all ratings and `C = 10`. `m` is a snapshot, reported as `prior`:
    /// a new rating rescores its own movie at once, and every movie is rescored against a fresh
    /// snapshot in the background (every few minutes, when ratings changed) and after every import.
    /// A movie with few ratings is pulled toward the global mean; one with many keeps close to its
    /// own. Ties go to the
    /// lower id.
    #[oai(path = "/top-rated", method = "get", operation_id = "top_rated")]
    async fn top_rated(
        &self,
        /// Only movies of this genre, e.g. `Comedy`.
        #[oai(validator(max_length = 100))]
        genre: Query<Option<String>>,
        /// Only movies with at least this many ratings (default 1).
        #[oai(validator(minimum(value = "0"), maximum(value = "100000000")))]
        min_ratings: Query<Option<u32>>,
        /// How many movies, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
    ) -> Read<TopRated> {
        let (min_ratings, limit) = (min_ratings.0.unwrap_or(1), limit.0.unwrap_or(20));
        let genre = genre.0;
        self.db
            .read("movies.top_rated", move |tx| {
                let results = db::movies::top_rated(tx, genre.as_deref(), min_ratings, limit)?;
                let prior = db::scores::prior(tx)?;
                Ok(TopRated {
                    prior: ScorePrior {
                        mean: prior.mean,
                        rating_count: prior.rating_count,
                        weight: db::scores::PRIOR_WEIGHT,
                        taken_at: prior.taken_at,
                    },
                    results,
                })
            })
            .await
            .into()
    }
}

pub fn no_movie(movie_id: i64) -> AppError {
    AppError::NotFound(format!("no movie has id {movie_id}"))
}
