//! Backups (PocketBase's `/api/backups`), admin-only: take one in the background, list them,
//! download one.

use poem::http::StatusCode;
use poem::Body;
use poem_openapi::param::Path;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, OpenApi};

use super::auth::{AdminAuth, AdminBearer};
use super::error::{AppError, ErrorBody};
use super::json::FastJson;
use super::task_responses::Queued;
use super::ApiTags;
use crate::db::backup::{self, BackupInfo};
use crate::jobs::queue::Enqueue;
use crate::jobs::submit::Jobs;

pub struct BackupsApi {
    pub jobs: Jobs,
    pub auth: AdminAuth,
}

/// Answers of the backup list.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "listed_bad_request")]
pub enum Listed {
    /// The backups, newest first.
    #[oai(status = 200)]
    Ok(FastJson<Vec<BackupInfo>>),
    /// No `Authorization: Bearer` token was sent.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// The token is not the admin token.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// The server failed; the body carries the request id that its log names.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
}

fn listed_bad_request(err: poem::Error) -> Listed {
    AppError::from_poem(&err).into()
}

impl From<AppError> for Listed {
    fn from(err: AppError) -> Self {
        match err.status() {
            StatusCode::UNAUTHORIZED => Listed::Unauthorized(err.body()),
            StatusCode::FORBIDDEN => Listed::Forbidden(err.body()),
            _ => Listed::Internal(err.body()),
        }
    }
}

/// Answers of a backup's download.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "download_bad_request")]
pub enum Download {
    /// The backup file, a SQLite database.
    #[oai(status = 200, content_type = "application/vnd.sqlite3")]
    Ok(Binary<Body>, #[oai(header = "Content-Disposition")] String),
    /// The name is not one a backup can have (longer than 255 bytes).
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No `Authorization: Bearer` token was sent.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// The token is not the admin token.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// No backup in the list has this name.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The server failed; the body carries the request id that its log names.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
}

fn download_bad_request(err: poem::Error) -> Download {
    AppError::from_poem(&err).into()
}

impl From<AppError> for Download {
    fn from(err: AppError) -> Self {
        match err.status() {
            StatusCode::BAD_REQUEST => Download::BadRequest(err.body()),
            StatusCode::UNAUTHORIZED => Download::Unauthorized(err.body()),
            StatusCode::FORBIDDEN => Download::Forbidden(err.body()),
            StatusCode::NOT_FOUND => Download::NotFound(err.body()),
            _ => Download::Internal(err.body()),
        }
    }
}

/// The backups of `jobs`' database (blocking work off the async threads).
pub async fn list_backups(jobs: &Jobs) -> Result<Vec<BackupInfo>, AppError> {
    let dir = backup::dir_for(jobs.queue.db().path());
    Ok(tokio::task::spawn_blocking(move || backup::list(&dir)).await.map_err(anyhow::Error::from)??)
}

/// Backup `name`'s file, streamed; a 404 unless it is in the list.
pub async fn open_backup(jobs: &Jobs, name: String) -> Result<(Body, String), AppError> {
    let dir = backup::dir_for(jobs.queue.db().path());
    let shown = name.clone();
    let path = tokio::task::spawn_blocking(move || backup::find(&dir, &name)).await.map_err(anyhow::Error::from)??;
    let path = path.ok_or_else(|| AppError::NotFound(format!("no backup is named {shown:?}")))?;
    let file = tokio::fs::File::open(&path).await.map_err(anyhow::Error::from)?;
    Ok((Body::from_async_read(file), format!("attachment; filename=\"{shown}\"")))
}

#[OpenApi(prefix_path = "/api/admin", tag = "ApiTags::Backups")]
impl BackupsApi {
    /// Take a backup (admin)
    ///
    /// Queues `backup.create` and answers 202 at once: a consistent copy of the live database,
    /// taken with SQLite's online backup API while the server keeps serving, written to the backup
    /// folder (`backups/` beside the database, or `--backup-dir`). Follow the task at `Location`;
    /// its result names the file.
    #[oai(path = "/backups", method = "post", operation_id = "backup_create")]
    async fn create(&self, token: AdminBearer) -> Queued {
        if let Err(err) = self.auth.verify(&token) {
            return err.into();
        }
        match self.jobs.submit("backup.create", &serde_json::json!({}), Enqueue::default()).await {
            Ok(id) => Queued::accepted("backup.create".to_string(), id),
            Err(err) => AppError::from(err).into(),
        }
    }

    /// Backups (admin)
    ///
    /// The backups in the folder, newest first: name, size, time and schema version.
    #[oai(path = "/backups", method = "get", operation_id = "backup_list")]
    async fn list(&self, token: AdminBearer) -> Listed {
        if let Err(err) = self.auth.verify(&token) {
            return err.into();
        }
        match list_backups(&self.jobs).await {
            Ok(backups) => Listed::Ok(FastJson(backups)),
            Err(err) => err.into(),
        }
    }

    /// Download a backup (admin)
    ///
    /// Streams one backup file. Only names the list shows are served: anything else (a path,
    /// `..`) is a 404.
    #[oai(path = "/backups/:name", method = "get", operation_id = "backup_download")]
    async fn download(
        &self,
        token: AdminBearer,
        /// A backup's file name from the list.
        #[oai(validator(max_length = 255))]
        name: Path<String>,
    ) -> Download {
        if let Err(err) = self.auth.verify(&token) {
            return err.into();
        }
        match open_backup(&self.jobs, name.0).await {
            Ok((body, disposition)) => Download::Ok(Binary(body), disposition),
            Err(err) => err.into(),
        }
    }
}
