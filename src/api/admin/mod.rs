//! The admin write API: create, update and delete for every model, behind the admin token, and
//! the audit log they write (`GET /api/admin/log`). Each write runs in one transaction on the
//! single writer, with its audit entry; the cache is started over after it
//! (`crate::api::invalidation`).

mod bodies;
pub mod body;
pub mod genres;
pub mod links;
pub mod log;
pub mod movies;
pub mod ratings;
pub mod responses;
pub mod tags;

use poem::Request;
use rusqlite::Transaction;
use serde::Serialize;

use super::auth::{AdminAuth, AdminBearer};
use super::error::AppError;
use super::json::FastJson;
use super::pagination::RequestUrl;
use crate::db::admin::audit::{self, Audit};
use crate::db::{Db, DbError};
use crate::model::admin::{AuditAction, AuditModel, Change};
use responses::{Changed, Removed, Saved};

/// What every admin write needs: the database and the token to check.
#[derive(Clone)]
pub struct Admin {
    pub db: Db,
    pub auth: AdminAuth,
}

/// What a write does, for its audit entry: the action, the model, and how to name a record.
pub struct Action<T> {
    pub operation: &'static str,
    pub action: AuditAction,
    pub model: AuditModel,
    pub id_of: fn(&T) -> String,
}

impl Admin {
    /// Checks the token, then runs `work` on the writer and records its change in the audit log,
    /// in the same transaction.
    pub async fn write<T: Serialize + Send + 'static>(
        &self,
        token: &AdminBearer,
        what: Action<T>,
        work: impl FnOnce(&Transaction) -> Result<Change<T>, DbError> + Send + 'static,
    ) -> Result<Change<T>, AppError> {
        self.auth.verify(token)?;
        self.write_as(self.auth.token_id(), what, work).await
    }

    /// Runs `work` on the writer as `token_id` (the web admin's session, which proved the token
    /// when it signed in) and records its change in the audit log, in the same transaction. A
    /// change that changed nothing (a `PATCH` of `{}`) is not recorded.
    pub async fn write_as<T: Serialize + Send + 'static>(
        &self,
        token_id: String,
        what: Action<T>,
        work: impl FnOnce(&Transaction) -> Result<Change<T>, DbError> + Send + 'static,
    ) -> Result<Change<T>, AppError> {
        let written = self.db.write(what.operation, move |tx| {
            let change = work(tx)?;
            if let Some(record) = change.after.as_ref().or(change.before.as_ref()).filter(|_| !unchanged(&change)) {
                let entry = Audit {
                    token_id: &token_id,
                    action: what.action,
                    model: what.model,
                    object_id: (what.id_of)(record),
                };
                audit::record(tx, &entry, &change)?;
            }
            Ok::<_, DbError>(change)
        });
        Ok(written.await?)
    }
}

/// Whether an update left its record as it was.
fn unchanged<T: Serialize>(change: &Change<T>) -> bool {
    match (&change.before, &change.after) {
        (Some(before), Some(after)) => serde_json::to_value(before).ok() == serde_json::to_value(after).ok(),
        _ => false,
    }
}

/// A create's answer: 201 with the record and its URL (`path` from the record).
pub fn saved<T>(result: Result<Change<T>, AppError>, request: &Request, path: impl Fn(&T) -> String) -> Saved<T>
where
    T: poem_openapi::types::Type + Serialize + Send + Sync,
{
    match result.map(|change| change.after) {
        Ok(Some(record)) => {
            let location = format!("{}{}", RequestUrl::of(request).origin(), path(&record));
            Saved::Created(FastJson(record), location)
        }
        Ok(None) => AppError::Internal(anyhow::anyhow!("a create answered no record")).into(),
        Err(err) => err.into(),
    }
}

/// An update's answer: 200 with the record as it is now.
pub fn changed<T>(result: Result<Change<T>, AppError>) -> Changed<T>
where
    T: poem_openapi::types::Type + Serialize + Send + Sync,
{
    match result.map(|change| change.after) {
        Ok(Some(record)) => Changed::Ok(FastJson(record)),
        Ok(None) => AppError::Internal(anyhow::anyhow!("an update answered no record")).into(),
        Err(err) => err.into(),
    }
}

/// A delete's answer: 204.
pub fn removed<T>(result: Result<Change<T>, AppError>) -> Removed {
    match result {
        Ok(_) => Removed::Deleted,
        Err(err) => err.into(),
    }
}

/// The admin APIs with paths of their own, as one group of the service. The writes on paths
/// that the read APIs own are declared there (one path, one `#[OpenApi]` struct, or the spec
/// would list the path twice) and call the functions here.
pub type AdminApis = (tags::TagWritesApi, log::AuditLogApi);

pub fn apis(admin: &Admin) -> AdminApis {
    (tags::TagWritesApi { admin: admin.clone() }, log::AuditLogApi { admin: admin.clone() })
}
