//! The rating writes behind `POST /api/ratings`, `PATCH` and `DELETE /api/ratings/{rating_id}`,
//! declared on `crate::api::ratings::RatingsApi`, which owns those paths.

use poem::Request;

use super::body::AdminJson;
use super::responses::{Changed, Removed, Saved};
use super::{changed, removed, saved, Action, Admin};
use crate::api::auth::AdminBearer;
use crate::db::admin::ratings;
use crate::model::admin::{AuditAction, AuditModel, Change, RatingChanges};
use crate::model::ratings::{NewRating, Rating};

pub fn action(operation: &'static str, action: AuditAction) -> Action<Rating> {
    Action { operation, action, model: AuditModel::Rating, id_of: |rating| rating.id.to_string() }
}

pub async fn create(admin: &Admin, request: &Request, token: AdminBearer, body: AdminJson<NewRating>) -> Saved<Rating> {
    let new = body.0;
    let work = move |tx: &rusqlite::Transaction| ratings::create_rating(tx, &new).map(Change::created);
    let result = admin.write(&token, action("ratings.create", AuditAction::Create), work).await;
    saved(result, request, |rating| format!("/api/ratings/{}", rating.id))
}

pub async fn update(
    admin: &Admin,
    token: AdminBearer,
    rating_id: i64,
    body: AdminJson<RatingChanges>,
) -> Changed<Rating> {
    let changes = body.0;
    let work = move |tx: &rusqlite::Transaction| ratings::update_rating(tx, rating_id, &changes);
    changed(admin.write(&token, action("ratings.update", AuditAction::Update), work).await)
}

pub async fn delete(admin: &Admin, token: AdminBearer, rating_id: i64) -> Removed {
    let work = move |tx: &rusqlite::Transaction| ratings::delete_rating(tx, rating_id);
    removed(admin.write(&token, action("ratings.delete", AuditAction::Delete), work).await)
}
