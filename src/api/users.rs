use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::{Object, OpenApi};
use serde::Serialize;

use super::error::{AppError, Lookup};
use super::pagination::CursorPage;
use super::ratings::{cursor_list, Rating, Tag};
use super::ApiTags;
use crate::db::{self, Db};

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

pub fn no_user(user_id: i64) -> AppError {
    AppError::NotFound(format!("no user has id {user_id}"))
}

pub struct UsersApi {
    pub db: Db,
}

#[OpenApi(prefix_path = "/api", tag = "ApiTags::Users")]
impl UsersApi {
    /// One user
    ///
    /// Rating count and mean, first and last activity, and favourite genres. A user exists when
    /// they rated or tagged something.
    #[oai(path = "/users/:user_id", method = "get", operation_id = "get_user")]
    async fn get_user(
        &self,
        /// MovieLens `userId`.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        user_id: Path<i64>,
    ) -> Lookup<User> {
        let user_id = user_id.0;
        let result = self.db.read("users.get", move |conn| db::catalogue::user(conn, user_id)).await;
        result.and_then(|user| user.ok_or_else(|| no_user(user_id))).into()
    }

    /// A user's ratings
    ///
    /// With the movies' titles, in id order, paginated by cursor (follow `next`).
    #[oai(path = "/users/:user_id/ratings", method = "get", operation_id = "list_user_ratings")]
    async fn list_user_ratings(
        &self,
        request: &Request,
        /// MovieLens `userId`.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        user_id: Path<i64>,
        /// `next_cursor` from the previous page; omit for the first page.
        #[oai(validator(max_length = 20))]
        cursor: Query<Option<String>>,
        /// Items per page, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        page_size: Query<Option<u32>>,
    ) -> Lookup<CursorPage<Rating>> {
        let filter = db::ratings::Filter { user_id: Some(user_id.0), ..Default::default() };
        cursor_list::<Rating>(&self.db, request, filter, cursor.0, page_size.0, true).await.into()
    }

    /// A user's tags
    ///
    /// With the movies' titles, in id order, paginated by cursor (follow `next`).
    #[oai(path = "/users/:user_id/tags", method = "get", operation_id = "list_user_tags")]
    async fn list_user_tags(
        &self,
        request: &Request,
        /// MovieLens `userId`.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        user_id: Path<i64>,
        /// `next_cursor` from the previous page; omit for the first page.
        #[oai(validator(max_length = 20))]
        cursor: Query<Option<String>>,
        /// Items per page, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        page_size: Query<Option<u32>>,
    ) -> Lookup<CursorPage<Tag>> {
        let filter = db::ratings::Filter { user_id: Some(user_id.0), ..Default::default() };
        cursor_list::<Tag>(&self.db, request, filter, cursor.0, page_size.0, true).await.into()
    }
}
