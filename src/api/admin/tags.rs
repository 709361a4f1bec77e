//! `GET`, `PATCH` and `DELETE /api/tags/{tag_id}`, and the write behind `POST /api/tags` (declared
//! on `crate::api::ratings::RatingsApi`, which owns `/api/tags`).

use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::OpenApi;

use super::body::AdminJson;
use super::responses::{Changed, Removed, Saved};
use super::{changed, removed, saved, Action, Admin};
use crate::api::auth::AdminBearer;
use crate::api::error::{found, Lookup};
use crate::api::ApiTags;
use crate::db::admin::tags;
use crate::model::admin::{AuditAction, AuditModel, Change, NewTag, TagChanges};
use crate::model::ratings::Tag;

pub struct TagWritesApi {
    pub admin: Admin,
}

pub fn action(operation: &'static str, action: AuditAction) -> Action<Tag> {
    Action { operation, action, model: AuditModel::Tag, id_of: |tag| tag.id.to_string() }
}

pub async fn create(admin: &Admin, request: &Request, token: AdminBearer, body: AdminJson<NewTag>) -> Saved<Tag> {
    let new = body.0;
    let work = move |tx: &rusqlite::Transaction| tags::create_tag(tx, &new).map(Change::created);
    let result = admin.write(&token, action("tags.create", AuditAction::Create), work).await;
    saved(result, request, |tag| format!("/api/tags/{}", tag.id))
}

#[OpenApi(prefix_path = "/api", tag = "ApiTags::Tags")]
impl TagWritesApi {
    /// One tag
    #[oai(path = "/tags/:tag_id", method = "get", operation_id = "get_tag")]
    async fn get_tag(
        &self,
        /// The tag's id.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        tag_id: Path<i64>,
    ) -> Lookup<Tag> {
        let tag_id = tag_id.0;
        let tag = self.admin.db.read("tags.get", move |conn| tags::tag(conn, tag_id)).await;
        found(tag, || format!("no tag has id {tag_id}")).into()
    }

    /// Change a tag
    ///
    /// Requires the admin token. Only the fields given change.
    #[oai(path = "/tags/:tag_id", method = "patch", operation_id = "update_tag")]
    async fn update_tag(
        &self,
        token: AdminBearer,
        /// The tag's id.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        tag_id: Path<i64>,
        body: AdminJson<TagChanges>,
    ) -> Changed<Tag> {
        let (tag_id, changes) = (tag_id.0, body.0);
        let work = move |tx: &rusqlite::Transaction| tags::update_tag(tx, tag_id, &changes);
        changed(self.admin.write(&token, action("tags.update", AuditAction::Update), work).await)
    }

    /// Delete a tag
    ///
    /// Requires the admin token.
    #[oai(path = "/tags/:tag_id", method = "delete", operation_id = "delete_tag")]
    async fn delete_tag(
        &self,
        token: AdminBearer,
        /// The tag's id.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        tag_id: Path<i64>,
    ) -> Removed {
        let tag_id = tag_id.0;
        let work = move |tx: &rusqlite::Transaction| tags::delete_tag(tx, tag_id);
        removed(self.admin.write(&token, action("tags.delete", AuditAction::Delete), work).await)
    }
}
