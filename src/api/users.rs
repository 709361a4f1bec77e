use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::OpenApi;

use super::error::{found, AppError, Lookup};
use super::pagination::CursorPage;
use super::ratings::cursor_list;
use super::ApiTags;
use crate::db::{self, Db};
use crate::model::ratings::{Rating, Tag};
use crate::model::users::User;

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
        found(result, || no_user(user_id).to_string()).into()
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
