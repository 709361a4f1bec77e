//! The genre writes behind `POST /api/genres`, `PATCH` and `DELETE /api/genres/{name}`, declared
//! on `crate::api::genres::GenresApi`, which owns those paths.

use poem::Request;

use super::body::AdminJson;
use super::responses::{Changed, Removed, Saved};
use super::{changed, removed, saved, Action, Admin};
use crate::api::auth::AdminBearer;
use crate::db::admin::genres;
use crate::model::admin::{AuditAction, AuditModel, Change, Genre, GenreName};

pub fn action(operation: &'static str, action: AuditAction) -> Action<Genre> {
    Action { operation, action, model: AuditModel::Genre, id_of: |genre| genre.id.to_string() }
}

pub async fn create(admin: &Admin, request: &Request, token: AdminBearer, body: AdminJson<GenreName>) -> Saved<Genre> {
    let new = body.0;
    let work = move |tx: &rusqlite::Transaction| genres::create_genre(tx, &new).map(Change::created);
    let result = admin.write(&token, action("genres.create", AuditAction::Create), work).await;
    saved(result, request, |genre| format!("/api/genres/{}", path_segment(&genre.name)))
}

pub async fn rename(admin: &Admin, token: AdminBearer, name: String, body: AdminJson<GenreName>) -> Changed<Genre> {
    let new = body.0;
    let work = move |tx: &rusqlite::Transaction| genres::rename_genre(tx, &name, &new);
    changed(admin.write(&token, action("genres.rename", AuditAction::Update), work).await)
}

pub async fn delete(admin: &Admin, token: AdminBearer, name: String, detach: bool) -> Removed {
    let work = move |tx: &rusqlite::Transaction| genres::delete_genre(tx, &name, detach);
    removed(admin.write(&token, action("genres.delete", AuditAction::Delete), work).await)
}

/// A genre name as a path segment (`Sci-Fi`, `(no genres listed)`, `Film Noir`).
fn path_segment(name: &str) -> String {
    form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>().replace('+', "%20")
}
