//! Ratings and tags: keyset-paginated lists, and rating writes (admin token required).

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::OpenApi;

use super::admin::body::AdminJson;
use super::admin::responses::{Changed, Removed, Saved};
use super::admin::{self, Admin};
use super::auth::{AdminAuth, AdminBearer};
use super::error::{found, AppError, Lookup, Read};
use super::pagination::{cursor_page, parse_cursor, CursorPage, RequestUrl, DEFAULT_PAGE_SIZE};
use super::ApiTags;
use crate::db::{self, Db, DbError};
use crate::model::admin::{NewTag, RatingChanges};
use crate::model::ratings::{NewRating, Rating, Tag};

/// A row of a keyset-paginated list: ratings and tags.
pub trait CursorRow: Sized + Send + 'static {
    /// The `db` span's operation name.
    const OPERATION: &'static str;
    fn id(&self) -> i64;
    fn list(
        conn: &rusqlite::Connection,
        filter: &db::ratings::Filter,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Self>, DbError>;
}

impl CursorRow for Rating {
    const OPERATION: &'static str = "ratings.list";

    fn id(&self) -> i64 {
        self.id
    }

    fn list(
        conn: &rusqlite::Connection,
        filter: &db::ratings::Filter,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Self>, DbError> {
        db::ratings::list_ratings(conn, filter, after, limit)
    }
}

impl CursorRow for Tag {
    const OPERATION: &'static str = "tags.list";

    fn id(&self) -> i64 {
        self.id
    }

    fn list(
        conn: &rusqlite::Connection,
        filter: &db::ratings::Filter,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Self>, DbError> {
        db::ratings::list_tags(conn, filter, after, limit)
    }
}

/// A page of ratings or tags. `require_parent` makes an unknown movie or user a 404 rather than
/// an empty page.
pub async fn cursor_list<T: CursorRow + poem_openapi::types::ParseFromJSON + poem_openapi::types::ToJSON>(
    db: &Db,
    request: &Request,
    filter: db::ratings::Filter,
    cursor: Option<String>,
    page_size: Option<u32>,
    require_parent: bool,
) -> Result<CursorPage<T>, AppError> {
    let (after, page_size, url) =
        (parse_cursor(cursor.as_deref())?, page_size.unwrap_or(DEFAULT_PAGE_SIZE), RequestUrl::of(request));
    let rows = db
        .read(T::OPERATION, move |conn| {
            if require_parent {
                check_parent(conn, &filter)?;
            }
            // One row more than the page: it only says whether there is a next page.
            Ok::<_, AppError>(T::list(conn, &filter, after, page_size + 1)?)
        })
        .await?;
    Ok(cursor_page(rows, page_size, T::id, &url))
}

fn check_parent(conn: &rusqlite::Connection, filter: &db::ratings::Filter) -> Result<(), AppError> {
    if let Some(movie_id) = filter.movie_id {
        if !db::movies::exists(conn, movie_id)? {
            return Err(super::movies::no_movie(movie_id));
        }
    }
    if let Some(user_id) = filter.user_id {
        if !db::ratings::user_exists(conn, user_id)? {
            return Err(super::users::no_user(user_id));
        }
    }
    Ok(())
}

pub struct RatingsApi {
    pub db: Db,
    pub auth: AdminAuth,
}

#[OpenApi(prefix_path = "/api")]
impl RatingsApi {
    /// List ratings
    ///
    /// In id order, paginated by cursor (follow `next`), which stays fast at any depth of a
    /// 25M-row table. Filter by user, movie or both.
    #[oai(path = "/ratings", method = "get", operation_id = "list_ratings", tag = "ApiTags::Ratings")]
    async fn list_ratings(
        &self,
        request: &Request,
        /// Only this user's ratings.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        user_id: Query<Option<i64>>,
        /// Only this movie's ratings.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        movie_id: Query<Option<i64>>,
        /// `next_cursor` from the previous page; omit for the first page.
        #[oai(validator(max_length = 20))]
        cursor: Query<Option<String>>,
        /// Items per page, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        page_size: Query<Option<u32>>,
    ) -> Read<CursorPage<Rating>> {
        let filter = db::ratings::Filter { user_id: user_id.0, movie_id: movie_id.0, tag: None };
        cursor_list::<Rating>(&self.db, request, filter, cursor.0, page_size.0, false).await.into()
    }

    /// Record a rating
    ///
    /// Requires the admin token. Half stars from 0.5 to 5.0, a user id of at least 1, and an
    /// existing movie (404 otherwise); the timestamp is now when omitted. A 400 lists every
    /// field's problem. The movie's rating stats and the top-rated ranking include the new
    /// rating at once.
    #[oai(path = "/ratings", method = "post", operation_id = "create_rating", tag = "ApiTags::Ratings")]
    async fn create_rating(&self, request: &Request, token: AdminBearer, body: AdminJson<NewRating>) -> Saved<Rating> {
        admin::ratings::create(&self.admin(), request, token, body).await
    }

    /// One rating
    #[oai(path = "/ratings/:rating_id", method = "get", operation_id = "get_rating", tag = "ApiTags::Ratings")]
    async fn get_rating(
        &self,
        /// The rating's id.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        rating_id: Path<i64>,
    ) -> Lookup<Rating> {
        let rating_id = rating_id.0;
        let rating = self.db.read("ratings.get", move |tx| db::ratings::rating(tx, rating_id)).await;
        found(rating, || no_rating(rating_id).to_string()).into()
    }

    /// Delete a rating
    ///
    /// Requires the admin token.
    #[oai(path = "/ratings/:rating_id", method = "delete", operation_id = "delete_rating", tag = "ApiTags::Ratings")]
    async fn delete_rating(
        &self,
        token: AdminBearer,
        /// The rating's id.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        rating_id: Path<i64>,
    ) -> Removed {
        admin::ratings::delete(&self.admin(), token, rating_id.0).await
    }

    /// Change a rating
    ///
    /// Requires the admin token. Only the fields given change, under the same rules as a new
    /// rating. The movie's figures (both movies', when it moves), its genres' and the top-rated
    /// score follow at once.
    #[oai(path = "/ratings/:rating_id", method = "patch", operation_id = "update_rating", tag = "ApiTags::Ratings")]
    async fn update_rating(
        &self,
        token: AdminBearer,
        /// The rating's id.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        rating_id: Path<i64>,
        body: AdminJson<RatingChanges>,
    ) -> Changed<Rating> {
        admin::ratings::update(&self.admin(), token, rating_id.0, body).await
    }

    /// Record a tag
    ///
    /// Requires the admin token. The text is stored trimmed (1 to 255 characters); the
    /// timestamp is now when omitted. An unknown movie is a 404.
    #[oai(path = "/tags", method = "post", operation_id = "create_tag", tag = "ApiTags::Tags")]
    async fn create_tag(&self, request: &Request, token: AdminBearer, body: AdminJson<NewTag>) -> Saved<Tag> {
        admin::tags::create(&self.admin(), request, token, body).await
    }

    /// List tags
    ///
    /// In id order, paginated by cursor (follow `next`). Filter by user, movie, exact tag text,
    /// or any mix of them.
    #[oai(path = "/tags", method = "get", operation_id = "list_tags", tag = "ApiTags::Tags")]
    async fn list_tags(
        &self,
        request: &Request,
        /// Only this user's tags.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        user_id: Query<Option<i64>>,
        /// Only this movie's tags.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        movie_id: Query<Option<i64>>,
        /// Only tags with exactly this text, e.g. `funny`.
        #[oai(validator(max_length = 500))]
        tag: Query<Option<String>>,
        /// `next_cursor` from the previous page; omit for the first page.
        #[oai(validator(max_length = 20))]
        cursor: Query<Option<String>>,
        /// Items per page, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        page_size: Query<Option<u32>>,
    ) -> Read<CursorPage<Tag>> {
        let filter = db::ratings::Filter { user_id: user_id.0, movie_id: movie_id.0, tag: tag.0 };
        cursor_list::<Tag>(&self.db, request, filter, cursor.0, page_size.0, false).await.into()
    }
}

fn no_rating(rating_id: i64) -> AppError {
    AppError::NotFound(format!("no rating has id {rating_id}"))
}

impl RatingsApi {
    fn admin(&self) -> Admin {
        Admin { db: self.db.clone(), auth: self.auth.clone() }
    }
}
