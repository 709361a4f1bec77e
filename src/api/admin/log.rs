//! `GET /api/admin/log`: the audit log, newest first, by cursor.

use poem::Request;
use poem_openapi::param::Query;
use poem_openapi::OpenApi;

use super::Admin;
use crate::api::auth::AdminBearer;
use crate::api::error::AppError;
use crate::api::pagination::{cursor_page, parse_cursor, CursorPage, RequestUrl, DEFAULT_PAGE_SIZE};
use crate::api::write_responses::Done;
use crate::api::ApiTags;
use crate::db::admin::audit;
use crate::model::admin::{AuditEntry, AuditModel};

pub struct AuditLogApi {
    pub admin: Admin,
}

#[OpenApi(prefix_path = "/api", tag = "ApiTags::Audit")]
impl AuditLogApi {
    /// The audit log
    ///
    /// Requires the admin token. Every admin write, newest first: when, which token, the action,
    /// the model and record, and the record before and after. Paginated by cursor (follow
    /// `next`). The newest 100,000 entries are kept.
    #[oai(path = "/admin/log", method = "get", operation_id = "audit_log")]
    async fn audit_log(
        &self,
        request: &Request,
        token: AdminBearer,
        /// Only entries about this model.
        model: Query<Option<AuditModel>>,
        /// Entries per page, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        /// `next_cursor` from the previous page; omit for the newest entries.
        #[oai(validator(max_length = 20))]
        cursor: Query<Option<String>>,
    ) -> Done<CursorPage<AuditEntry>> {
        if let Err(err) = self.admin.auth.verify(&token) {
            return err.into();
        }
        let before = match parse_cursor(cursor.0.as_deref()) {
            Ok(before) => before,
            Err(err) => return err.into(),
        };
        let (model, limit, url) = (model.0, limit.0.unwrap_or(DEFAULT_PAGE_SIZE), RequestUrl::of(request));
        // One row more than the page: it only says whether there is a next page.
        let rows = self.admin.db.read("audit.list", move |conn| audit::list(conn, model, before, limit + 1)).await;
        rows.map(|rows| cursor_page(rows, limit, |entry: &AuditEntry| entry.id, &url)).map_err(AppError::from).into()
    }
}
