//! `PATCH /api/ratings/{rating_id}` (`POST /api/ratings` and the delete live with the reads, in
//! `crate::api::ratings`, under the same rules).

use poem_openapi::param::Path;
use poem_openapi::OpenApi;

use super::body::AdminJson;
use super::responses::Changed;
use super::{changed, Action, Admin};
use crate::api::auth::AdminBearer;
use crate::api::ApiTags;
use crate::db::admin::ratings;
use crate::model::admin::{AuditAction, AuditModel, RatingChanges};
use crate::model::ratings::Rating;

pub struct RatingWritesApi {
    pub admin: Admin,
}

/// The audit entry of a rating write.
pub fn action(operation: &'static str, action: AuditAction) -> Action<Rating> {
    Action { operation, action, model: AuditModel::Rating, id_of: |rating| rating.id.to_string() }
}

#[OpenApi(prefix_path = "/api", tag = "ApiTags::Ratings")]
impl RatingWritesApi {
    /// Change a rating
    ///
    /// Requires the admin token. Only the fields given change. The movie's figures (both
    /// movies', when it moves), its genres' and the top-rated score follow at once.
    #[oai(path = "/ratings/:rating_id", method = "patch", operation_id = "update_rating")]
    async fn update_rating(
        &self,
        token: AdminBearer,
        /// The rating's id.
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        rating_id: Path<i64>,
        body: AdminJson<RatingChanges>,
    ) -> Changed<Rating> {
        let (rating_id, changes) = (rating_id.0, body.0);
        let work = move |tx: &rusqlite::Transaction| ratings::update_rating(tx, rating_id, &changes);
        changed(self.admin.write(&token, action("ratings.update", AuditAction::Update), work).await)
    }
}
