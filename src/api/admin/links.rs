//! The link writes behind `POST /api/links`, `PATCH` and `DELETE /api/links/{movie_id}`,
//! declared on `crate::api::links::LinksApi`, which owns those paths.

use poem::Request;

use super::body::AdminJson;
use super::responses::{Changed, Removed, Saved};
use super::{changed, removed, saved, Action, Admin};
use crate::api::auth::AdminBearer;
use crate::db::admin::links;
use crate::model::admin::{AuditAction, AuditModel, Change, LinkChanges, NewLink};
use crate::model::movies::Links;

pub fn action(operation: &'static str, action: AuditAction) -> Action<Links> {
    Action { operation, action, model: AuditModel::Link, id_of: |link| link.movie_id.to_string() }
}

pub async fn create(admin: &Admin, request: &Request, token: AdminBearer, body: AdminJson<NewLink>) -> Saved<Links> {
    let new = body.0;
    let work = move |tx: &rusqlite::Transaction| links::create_link(tx, &new).map(Change::created);
    let result = admin.write(&token, action("links.create", AuditAction::Create), work).await;
    saved(result, request, |link| format!("/api/links/{}", link.movie_id))
}

pub async fn update(admin: &Admin, token: AdminBearer, movie_id: i64, body: AdminJson<LinkChanges>) -> Changed<Links> {
    let changes = body.0;
    let work = move |tx: &rusqlite::Transaction| links::update_link(tx, movie_id, &changes);
    changed(admin.write(&token, action("links.update", AuditAction::Update), work).await)
}

pub async fn delete(admin: &Admin, token: AdminBearer, movie_id: i64) -> Removed {
    let work = move |tx: &rusqlite::Transaction| links::delete_link(tx, movie_id);
    removed(admin.write(&token, action("links.delete", AuditAction::Delete), work).await)
}
