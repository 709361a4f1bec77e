use poem_openapi::param::Path;
use poem_openapi::OpenApi;

use poem::Request;
use poem_openapi::param::Query;

use super::admin::body::AdminJson;
use super::admin::responses::{Changed, Removed, Saved};
use super::admin::{self, Admin};
use super::auth::AdminBearer;
use super::cache_page::cached_data_page;
use super::error::{found, AppError, Lookup, Read};
use super::ApiTags;
use crate::db::{self, Db};
use crate::model::admin::{Genre as AdminGenre, GenreName};
use crate::model::genres::Genre;

pub struct GenresApi {
    pub db: Db,
    pub admin: Admin,
}

#[OpenApi(prefix_path = "/api", tag = "ApiTags::Genres")]
impl GenresApi {
    /// List genres
    ///
    /// Every genre, alphabetical, with its number of movies and the mean of all their ratings.
    #[oai(path = "/genres", method = "get", operation_id = "list_genres", transform = "cached_data_page")]
    async fn list_genres(&self) -> Read<Vec<Genre>> {
        self.db.read("genres.list", |conn| db::catalogue::genres(conn)).await.into()
    }

    /// Create a genre
    ///
    /// Requires the admin token. Names are unique without regard to case: a taken one is a 409.
    #[oai(path = "/genres", method = "post", operation_id = "create_genre")]
    async fn create_genre(
        &self,
        request: &Request,
        token: AdminBearer,
        body: AdminJson<GenreName>,
    ) -> Saved<AdminGenre> {
        admin::genres::create(&self.admin, request, token, body).await
    }

    /// Rename a genre
    ///
    /// Requires the admin token. Every movie's genre list shows the new name at once.
    #[oai(path = "/genres/:name", method = "patch", operation_id = "rename_genre")]
    async fn rename_genre(
        &self,
        token: AdminBearer,
        /// The genre's current name, any case.
        #[oai(validator(max_length = 100))]
        name: Path<String>,
        body: AdminJson<GenreName>,
    ) -> Changed<AdminGenre> {
        admin::genres::rename(&self.admin, token, name.0, body).await
    }

    /// Delete a genre
    ///
    /// Requires the admin token. A genre that movies have is a 409 that says how many, unless
    /// `detach=true` asks to take it off them first.
    #[oai(path = "/genres/:name", method = "delete", operation_id = "delete_genre")]
    async fn delete_genre(
        &self,
        token: AdminBearer,
        /// The genre's name, any case.
        #[oai(validator(max_length = 100))]
        name: Path<String>,
        /// Take the genre off every movie that has it, then delete it.
        detach: Query<Option<bool>>,
    ) -> Removed {
        admin::genres::delete(&self.admin, token, name.0, detach.0.unwrap_or(false)).await
    }

    /// One genre
    #[oai(path = "/genres/:name", method = "get", operation_id = "get_genre")]
    async fn get_genre(
        &self,
        /// The genre name, any case, e.g. `Sci-Fi`.
        #[oai(validator(max_length = 100))]
        name: Path<String>,
    ) -> Lookup<Genre> {
        let name = name.0;
        let result =
            self.db.read("genres.get", move |conn| db::catalogue::genre_by_name(conn, &name).map(|g| (g, name))).await;
        let (genre, name) = match result {
            Ok(found) => found,
            Err(err) => return AppError::from(err).into(),
        };
        found(Ok(genre), || format!("no genre is named '{name}'")).into()
    }
}
