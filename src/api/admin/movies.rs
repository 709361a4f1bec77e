//! `POST /api/movies`, `PATCH` and `DELETE /api/movies/{movie_id}`.

use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::OpenApi;

use super::body::AdminJson;
use super::responses::{Changed, Removed, Saved};
use super::{changed, removed, saved, Action, Admin};
use crate::api::auth::AdminBearer;
use crate::api::ApiTags;
use crate::db::admin::movies;
use crate::model::admin::{AuditAction, AuditModel, Change, Movie, MovieChanges, NewMovie};

pub struct MovieWritesApi {
    pub admin: Admin,
}

fn action(operation: &'static str, action: AuditAction) -> Action<Movie> {
    Action { operation, action, model: AuditModel::Movie, id_of: |movie| movie.id.to_string() }
}

#[OpenApi(prefix_path = "/api", tag = "ApiTags::Movies")]
impl MovieWritesApi {
    /// Create a movie
    ///
    /// Requires the admin token. The year is read from the end of the title, as the importer
    /// does. Without `movie_id` the movie takes the next free id. A 400 lists every field's
    /// problem (an unknown genre among them); a taken id is a 409.
    #[oai(path = "/movies", method = "post", operation_id = "create_movie")]
    async fn create_movie(&self, request: &Request, token: AdminBearer, body: AdminJson<NewMovie>) -> Saved<Movie> {
        let new = body.0;
        let work = move |tx: &rusqlite::Transaction| movies::create_movie(tx, &new).map(Change::created);
        let result = self.admin.write(&token, action("movies.create", AuditAction::Create), work).await;
        saved(result, request, |movie| format!("/api/movies/{}", movie.id))
    }

    /// Change a movie
    ///
    /// Requires the admin token. Only the fields given change: `title` (the year follows it),
    /// `genres` (the complete new list), or `add_genres` and `remove_genres`. The movie's
    /// genres' figures follow at once.
    #[oai(path = "/movies/:movie_id", method = "patch", operation_id = "update_movie")]
    async fn update_movie(
        &self,
        token: AdminBearer,
        /// MovieLens `movieId`.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        movie_id: Path<i64>,
        body: AdminJson<MovieChanges>,
    ) -> Changed<Movie> {
        let (movie_id, changes) = (movie_id.0, body.0);
        let work = move |tx: &rusqlite::Transaction| movies::update_movie(tx, movie_id, &changes);
        changed(self.admin.write(&token, action("movies.update", AuditAction::Update), work).await)
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
        let movie_id = movie_id.0;
        let work = move |tx: &rusqlite::Transaction| movies::delete_movie(tx, movie_id);
        removed(self.admin.write(&token, action("movies.delete", AuditAction::Delete), work).await)
    }
}
