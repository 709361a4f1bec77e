//! `POST /api/genres`, `PATCH` and `DELETE /api/genres/{name}`.

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::OpenApi;

use super::body::AdminJson;
use super::responses::{Changed, Removed, Saved};
use super::{changed, removed, saved, Action, Admin};
use crate::api::auth::AdminBearer;
use crate::api::ApiTags;
use crate::db::admin::genres;
use crate::model::admin::{AuditAction, AuditModel, Change, Genre, GenreName};

pub struct GenreWritesApi {
    pub admin: Admin,
}

fn action(operation: &'static str, action: AuditAction) -> Action<Genre> {
    Action { operation, action, model: AuditModel::Genre, id_of: |genre| genre.id.to_string() }
}

#[OpenApi(prefix_path = "/api", tag = "ApiTags::Genres")]
impl GenreWritesApi {
    /// Create a genre
    ///
    /// Requires the admin token. Names are unique without regard to case: a taken one is a 409.
    #[oai(path = "/genres", method = "post", operation_id = "create_genre")]
    async fn create_genre(&self, request: &Request, token: AdminBearer, body: AdminJson<GenreName>) -> Saved<Genre> {
        let new = body.0;
        let work = move |tx: &rusqlite::Transaction| genres::create_genre(tx, &new).map(Change::created);
        let result = self.admin.write(&token, action("genres.create", AuditAction::Create), work).await;
        saved(result, request, |genre| format!("/api/genres/{}", urlencoding(&genre.name)))
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
    ) -> Changed<Genre> {
        let (name, new) = (name.0, body.0);
        let work = move |tx: &rusqlite::Transaction| genres::rename_genre(tx, &name, &new);
        changed(self.admin.write(&token, action("genres.rename", AuditAction::Update), work).await)
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
        let (name, detach) = (name.0, detach.0.unwrap_or(false));
        let work = move |tx: &rusqlite::Transaction| genres::delete_genre(tx, &name, detach);
        removed(self.admin.write(&token, action("genres.delete", AuditAction::Delete), work).await)
    }
}

/// A genre name as a path segment (`Sci-Fi`, `(no genres listed)`, `Film-Noir`).
fn urlencoding(name: &str) -> String {
    form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>().replace('+', "%20")
}
