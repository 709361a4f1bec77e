use poem_openapi::param::Path;
use poem_openapi::{Object, OpenApi};
use serde::Serialize;

use super::error::{AppError, Lookup, Read};
use super::ApiTags;
use crate::db::{self, Db};

/// A genre with its figures.
#[derive(Debug, Clone, Object, Serialize)]
pub struct Genre {
    /// The MovieLens genre name, e.g. `Comedy` or `(no genres listed)`.
    pub name: String,
    /// Movies with this genre.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub movie_count: i64,
    /// Ratings of those movies.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub rating_count: i64,
    /// Mean of all ratings of those movies; absent when there are none.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(validator(minimum(value = "0.5"), maximum(value = "5")))]
    pub mean_rating: Option<f64>,
}

pub struct GenresApi {
    pub db: Db,
}

#[OpenApi(prefix_path = "/api", tag = "ApiTags::Genres")]
impl GenresApi {
    /// List genres
    ///
    /// Every genre, alphabetical, with its number of movies and the mean of all their ratings.
    #[oai(path = "/genres", method = "get", operation_id = "list_genres")]
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
        result
            .and_then(|(genre, name)| genre.ok_or_else(|| AppError::NotFound(format!("no genre is named '{name}'"))))
            .into()
    }
}
