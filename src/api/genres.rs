use poem_openapi::param::Path;
use poem_openapi::OpenApi;

use super::cache_page::cached_data_page;
use super::error::{found, AppError, Lookup, Read};
use super::ApiTags;
use crate::db::{self, Db};
use crate::model::genres::Genre;

pub struct GenresApi {
    pub db: Db,
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
