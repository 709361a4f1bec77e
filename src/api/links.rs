use poem_openapi::param::{Path, Query};
use poem_openapi::OpenApi;

use poem::Request;

use super::admin::body::AdminJson;
use super::admin::responses::{Changed, Removed, Saved};
use super::admin::{self, Admin};
use super::auth::AdminBearer;
use super::error::{found, AppError, Lookup};
use super::ApiTags;
use crate::db::{self, Db};
use crate::model::admin::{LinkChanges, NewLink};
use crate::model::movies::Links;

pub struct LinksApi {
    pub db: Db,
    pub admin: Admin,
}

#[OpenApi(prefix_path = "/api", tag = "ApiTags::Links")]
impl LinksApi {
    /// Find a movie by IMDb or TMDB id
    ///
    /// Give exactly one of `imdb_id` and `tmdb_id`.
    #[oai(path = "/links", method = "get", operation_id = "find_link")]
    async fn find_link(
        &self,
        /// An IMDb id: `tt0114709`, `0114709` or `114709`.
        #[oai(validator(max_length = 20))]
        imdb_id: Query<Option<String>>,
        /// A TMDB movie id, e.g. `862`.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        tmdb_id: Query<Option<i64>>,
    ) -> Lookup<Links> {
        let (imdb_id, tmdb_id) = (imdb_id.0, tmdb_id.0);
        if imdb_id.is_some() == tmdb_id.is_some() {
            let message = "give exactly one of imdb_id and tmdb_id".to_string();
            return AppError::BadRequest(message, Some("imdb_id, tmdb_id".to_string())).into();
        }
        let wanted = imdb_id
            .clone()
            .map_or_else(|| format!("tmdb_id {}", tmdb_id.unwrap_or_default()), |id| format!("imdb_id {id}"));
        let result = self
            .db
            .read("links.find", move |conn| db::catalogue::link_by_external_id(conn, imdb_id.as_deref(), tmdb_id))
            .await;
        found(result, || format!("no movie has {wanted}")).into()
    }

    /// Create a movie's link
    ///
    /// Requires the admin token. A movie has at most one link: a second is a 409. An unknown
    /// movie is a 404. `imdb_id` is digits only, stored zero-padded to seven.
    #[oai(path = "/links", method = "post", operation_id = "create_link")]
    async fn create_link(&self, request: &Request, token: AdminBearer, body: AdminJson<NewLink>) -> Saved<Links> {
        admin::links::create(&self.admin, request, token, body).await
    }

    /// Change a movie's link
    ///
    /// Requires the admin token. Only the fields given change; `"tmdb_id": null` removes the
    /// TMDB id.
    #[oai(path = "/links/:movie_id", method = "patch", operation_id = "update_link")]
    async fn update_link(
        &self,
        token: AdminBearer,
        /// MovieLens `movieId`.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        movie_id: Path<i64>,
        body: AdminJson<LinkChanges>,
    ) -> Changed<Links> {
        admin::links::update(&self.admin, token, movie_id.0, body).await
    }

    /// Delete a movie's link
    ///
    /// Requires the admin token.
    #[oai(path = "/links/:movie_id", method = "delete", operation_id = "delete_link")]
    async fn delete_link(
        &self,
        token: AdminBearer,
        /// MovieLens `movieId`.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        movie_id: Path<i64>,
    ) -> Removed {
        admin::links::delete(&self.admin, token, movie_id.0).await
    }

    /// A movie's links
    ///
    /// IMDb and TMDB ids with ready-made URLs.
    #[oai(path = "/links/:movie_id", method = "get", operation_id = "get_link")]
    async fn get_link(
        &self,
        /// MovieLens `movieId`.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        movie_id: Path<i64>,
    ) -> Lookup<Links> {
        let movie_id = movie_id.0;
        let result = self.db.read("links.get", move |conn| db::catalogue::link(conn, movie_id)).await;
        found(result, || format!("no links for movie id {movie_id}")).into()
    }
}
