//! Movies: the filtered and sorted list, one movie's details, its ratings and tags, and the
//! top-rated ranking.

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::OpenApi;

use super::admin::body::AdminJson;
use super::admin::responses::{Changed, Removed, Saved};
use super::admin::{self, Admin};
use super::auth::AdminBearer;
use super::cache_page::cached_data_page;
use super::error::{found, AppError, Lookup, Read};
use super::pagination::{CursorPage, Page, PageWindow, RequestUrl};
use super::ApiTags;
use crate::db::{self, Db, DbError};
use crate::model::admin::{Movie, MovieChanges, NewMovie};
use crate::model::movies::{GenreMatch, MovieDetail, MovieFilter, MovieSort, MovieSummary, ScorePrior, TopRated};
use crate::model::ratings::{Rating, Tag};

pub struct MoviesApi {
    pub db: Db,
    pub admin: Admin,
}

#[OpenApi(prefix_path = "/api", tag = "ApiTags::Movies")]
impl MoviesApi {
    /// List movies
    ///
    /// Paginated by page number. Filters combine with AND. `search` matches any part of the
    /// title, ignoring case. `genre` may be repeated (`genre=Comedy&genre=Romance`), and
    /// `genre_match` says whether a movie needs all of them (the default) or any.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/movies", method = "get", operation_id = "list_movies", transform = "cached_data_page")]
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
        /// An expression in the filter language, combined with the other filters by AND, e.g.
        /// `(genre:Action OR genre:Comedy) AND NOT title:Episode AND year>=1990 AND ratings>=50`.
        /// Fields: `title`, `genre`, `year`, `tag`, `ratings` (count), `avg_rating`, `id`,
        /// `imdb_id`, `tmdb_id`. Operators: `:` (contains for title and tag, equals otherwise),
        /// `=`, `!=`, `<`, `<=`, `>`, `>=`. `AND`, `OR`, `NOT` (or `&&`, `||`, `!`), parentheses,
        /// and double-quoted values with `\"` escapes. A bad expression is a 400 that says where.
        #[oai(validator(max_length = 1000))]
        filter: Query<Option<String>>,
    ) -> Lookup<Page<MovieSummary>> {
        let window = PageWindow::new(page.0, page_size.0);
        let filter = MovieFilter {
            search: search.0,
            genres: genre.0,
            genre_match: genre_match.0.unwrap_or_default(),
            year_min: year_min.0,
            year_max: year_max.0,
            min_ratings: min_ratings.0,
            expression: filter.0,
            sort: sort.0.unwrap_or_default(),
        };
        let url = RequestUrl::of(request);
        let result = self
            .db
            .read("movies.list", move |conn| db::movies::list(conn, &filter, window.offset(), window.page_size))
            .await;
        result.map_err(AppError::from).and_then(|(count, movies)| window.page(count, movies, &url)).into()
    }

    /// Create a movie
    ///
    /// Requires the admin token. The year is read from the end of the title, as the importer
    /// does. Without `movie_id` the movie takes the next free id. A 400 lists every field's
    /// problem (an unknown genre among them); a taken id is a 409.
    #[oai(path = "/movies", method = "post", operation_id = "create_movie")]
    async fn create_movie(&self, request: &Request, token: AdminBearer, body: AdminJson<NewMovie>) -> Saved<Movie> {
        admin::movies::create(&self.admin, request, token, body).await
    }

    /// Change a movie
    ///
    /// Requires the admin token. Only the fields given change: `title` (the year follows it),
    /// `genres` (the complete new list), or `add_genres` and `remove_genres`. The genres'
    /// figures follow at once.
    #[oai(path = "/movies/:movie_id", method = "patch", operation_id = "update_movie")]
    async fn update_movie(
        &self,
        token: AdminBearer,
        /// MovieLens `movieId`.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        movie_id: Path<i64>,
        body: AdminJson<MovieChanges>,
    ) -> Changed<Movie> {
        admin::movies::update(&self.admin, token, movie_id.0, body).await
    }

    /// Delete a movie
    ///
    /// Requires the admin token. Its ratings, tags, link and genre rows go with it, in one
    /// transaction; the totals, the genres' figures, the top-rated ranking and the users'
    /// figures lose its ratings at once.
    #[oai(path = "/movies/:movie_id", method = "delete", operation_id = "delete_movie")]
    async fn delete_movie(
        &self,
        token: AdminBearer,
        /// MovieLens `movieId`.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        movie_id: Path<i64>,
    ) -> Removed {
        admin::movies::delete(&self.admin, token, movie_id.0).await
    }

    /// One movie
    ///
    /// Genres, IMDb and TMDB links, rating count, mean and histogram, and the ten most used tags.
    #[oai(path = "/movies/:movie_id", method = "get", operation_id = "get_movie", transform = "cached_data_page")]
    async fn get_movie(
        &self,
        /// MovieLens `movieId`.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        movie_id: Path<i64>,
    ) -> Lookup<MovieDetail> {
        let movie_id = movie_id.0;
        let result = self.db.read("movies.detail", move |conn| db::movies::detail(conn, movie_id)).await;
        found(result, || no_movie(movie_id).to_string()).into()
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
    #[oai(path = "/top-rated", method = "get", operation_id = "top_rated", transform = "cached_data_page")]
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
                Ok::<_, DbError>(TopRated {
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
