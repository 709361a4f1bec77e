//! The movie writes behind `POST /api/movies`, `PATCH` and `DELETE /api/movies/{movie_id}`. The
//! operations themselves are declared on `crate::api::movies::MoviesApi`, which owns those paths
//! (one path, one `#[OpenApi]` struct, or the spec would list it twice).

use poem::Request;

use super::body::AdminJson;
use super::responses::{Changed, Removed, Saved};
use super::{changed, removed, saved, Action, Admin};
use crate::api::auth::AdminBearer;
use crate::db::admin::movies;
use crate::model::admin::{AuditAction, AuditModel, Change, Movie, MovieChanges, NewMovie};

pub fn action(operation: &'static str, action: AuditAction) -> Action<Movie> {
    Action { operation, action, model: AuditModel::Movie, id_of: |movie| movie.id.to_string() }
}

pub async fn create(admin: &Admin, request: &Request, token: AdminBearer, body: AdminJson<NewMovie>) -> Saved<Movie> {
    let new = body.0;
    let work = move |tx: &rusqlite::Transaction| movies::create_movie(tx, &new).map(Change::created);
    let result = admin.write(&token, action("movies.create", AuditAction::Create), work).await;
    saved(result, request, |movie| format!("/api/movies/{}", movie.id))
}

pub async fn update(admin: &Admin, token: AdminBearer, movie_id: i64, body: AdminJson<MovieChanges>) -> Changed<Movie> {
    let changes = body.0;
    let work = move |tx: &rusqlite::Transaction| movies::update_movie(tx, movie_id, &changes);
    changed(admin.write(&token, action("movies.update", AuditAction::Update), work).await)
}

pub async fn delete(admin: &Admin, token: AdminBearer, movie_id: i64) -> Removed {
    let work = move |tx: &rusqlite::Transaction| movies::delete_movie(tx, movie_id);
    removed(admin.write(&token, action("movies.delete", AuditAction::Delete), work).await)
}
