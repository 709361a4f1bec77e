//! `POST /api/links`, `PATCH` and `DELETE /api/links/{movie_id}`.

use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::OpenApi;

use super::body::AdminJson;
use super::responses::{Changed, Removed, Saved};
use super::{changed, removed, saved, Action, Admin};
use crate::api::auth::AdminBearer;
use crate::api::ApiTags;
use crate::db::admin::links;
use crate::model::admin::{AuditAction, AuditModel, Change, LinkChanges, NewLink};
use crate::model::movies::Links;

pub struct LinkWritesApi {
    pub admin: Admin,
}

fn action(operation: &'static str, action: AuditAction) -> Action<Links> {
    Action { operation, action, model: AuditModel::Link, id_of: |link| link.movie_id.to_string() }
}

#[OpenApi(prefix_path = "/api", tag = "ApiTags::Links")]
impl LinkWritesApi {
    /// Create a movie's link
    ///
    /// Requires the admin token. A movie has at most one link: a second is a 409. An unknown
    /// movie is a 404.
    #[oai(path = "/links", method = "post", operation_id = "create_link")]
    async fn create_link(&self, request: &Request, token: AdminBearer, body: AdminJson<NewLink>) -> Saved<Links> {
        let new = body.0;
        let work = move |tx: &rusqlite::Transaction| links::create_link(tx, &new).map(Change::created);
        let result = self.admin.write(&token, action("links.create", AuditAction::Create), work).await;
        saved(result, request, |link| format!("/api/links/{}", link.movie_id))
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
        let (movie_id, changes) = (movie_id.0, body.0);
        let work = move |tx: &rusqlite::Transaction| links::update_link(tx, movie_id, &changes);
        changed(self.admin.write(&token, action("links.update", AuditAction::Update), work).await)
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
        let movie_id = movie_id.0;
        let work = move |tx: &rusqlite::Transaction| links::delete_link(tx, movie_id);
        removed(self.admin.write(&token, action("links.delete", AuditAction::Delete), work).await)
    }
}
