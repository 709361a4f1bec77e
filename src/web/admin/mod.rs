//! The web admin at `/admin/` (Django's admin), behind the shared sign-in: the index (models,
//! recent actions from the audit log, backups), a list page per model with search, filters,
//! sorting and pages, every model's edit, create and delete pages ([`model_pages`]), and the
//! periodic tasks ([`periodic`]). Sign-out is the layout's button.

mod answers;
pub mod lists;
mod model_form;
pub mod model_pages;
mod model_render;
mod model_writes;
pub mod periodic;
mod periodic_form;

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Form, Html};
use poem_openapi::{Object, OpenApi};
use serde::{Deserialize, Serialize};

use super::responses::{internal_page, FormDone, Page};
use super::templates::{self, Layout};
use super::{Sessions, WebTags};
use crate::api::backups::{list_backups, open_backup};
use crate::api::error::AppError;
use crate::db::admin::lists::{self as admin_lists, ListPage};
use crate::db::{backup, catalogue, jobs::schedules, Db, DbError};
use crate::jobs::queue::Enqueue;
use crate::jobs::submit::Jobs;
use answers::{AdminPage, BackupFile};
use lists::{ListParams, MODELS};

pub struct AdminApi {
    pub sessions: Sessions,
    pub jobs: Jobs,
    pub db: Db,
}

/// A form that carries only its CSRF token.
#[derive(Debug, Object, Deserialize)]
pub struct CsrfForm {
    /// The session's CSRF token.
    #[oai(default, validator(max_length = 128))]
    #[serde(default)]
    pub csrf: String,
}

#[derive(Serialize)]
struct ModelCount {
    path: &'static str,
    title: &'static str,
    rows: i64,
}

#[derive(Serialize)]
struct BackupRow {
    name: String,
    size_bytes: u64,
    written: String,
    schema_version: Option<i64>,
}

fn problem(title: &str, message: &str, session: &super::Session) -> Html<String> {
    Html(templates::message(title, message, Some(session)))
}

#[OpenApi(tag = "WebTags::WebPages")]
impl AdminApi {
    /// The admin's index
    ///
    /// The models with their row counts, the recent actions from the audit log, and the backups
    /// with a button that takes one. Without a session it redirects to sign-in.
    #[oai(path = "/admin", method = "get", operation_id = "admin_index")]
    async fn index(&self, request: &Request) -> Page {
        let session = match self.sessions.require(request).await {
            Ok(session) => session,
            Err(refusal) => return refusal.into(),
        };
        let read = self
            .db
            .read("admin.index", |tx| {
                let stats = catalogue::stats(tx)?;
                let schedules = schedules::list(tx).map_err(DbError::from)?.len();
                Ok::<_, DbError>((stats, schedules, admin_lists::recent_actions(tx, 10)?))
            })
            .await;
        let (stats, schedules, actions) = match read {
            Ok(read) => read,
            Err(err) => return Page::Internal(internal_page(err.into())),
        };
        let backups = match list_backups(&self.jobs).await {
            Ok(backups) => backups,
            Err(err) => return Page::Internal(internal_page(anyhow::anyhow!("{err}"))),
        };
        let tables = &stats.tables;
        let rows = [tables.movies, tables.ratings, tables.tags, tables.links, tables.genres];
        let models: Vec<ModelCount> = MODELS
            .iter()
            .zip(rows)
            .map(|(model, rows)| ModelCount { path: model.path, title: model.title, rows })
            .collect();
        let backups: Vec<BackupRow> = backups
            .into_iter()
            .map(|backup| BackupRow {
                written: templates::timestamp(backup.created_at),
                name: backup.name,
                size_bytes: backup.size_bytes,
                schema_version: backup.schema_version,
            })
            .collect();
        let context = minijinja::context! {
            models => models,
            schedules => schedules,
            actions => actions,
            backups => backups,
            backup_dir => backup::dir_for(self.db.path()).display().to_string(),
            csrf => session.csrf.clone(),
        };
        let rendered =
            templates::render("admin/index.html", context, Layout { title: "Admin", session: Some(&session) });
        rendered.map_or_else(|cause| Page::Internal(internal_page(cause)), |page| Page::Ok(Html(page)))
    }

    /// A model's list
    ///
    /// `movies`, `ratings`, `tags`, `links` or `genres`, 50 rows a page, with the seed's admin
    /// search and filters, sortable by the indexed columns. Without a session it redirects to
    /// sign-in.
    #[oai(path = "/admin/:model", method = "get", operation_id = "admin_model_list")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        request: &Request,
        /// The model.
        #[oai(validator(max_length = 40))]
        model: Path<String>,
        /// Search text (what it searches depends on the model).
        #[oai(validator(max_length = 200))]
        q: Query<Option<String>>,
        /// Movies: only this genre.
        #[oai(validator(max_length = 100))]
        genre: Query<Option<String>>,
        /// Ratings: only this rating.
        #[oai(validator(max_length = 8))]
        rating: Query<Option<String>>,
        /// A column to sort by, `-` first for descending.
        #[oai(validator(max_length = 40))]
        sort: Query<Option<String>>,
        /// The page, from 1.
        #[oai(validator(minimum(value = "1"), maximum(value = "2000")))]
        page: Query<Option<i64>>,
    ) -> AdminPage {
        let session = match self.sessions.require(request).await {
            Ok(session) => session,
            Err(refusal) => return refusal.into(),
        };
        let Some(model) = MODELS.iter().find(|candidate| candidate.path == model.0) else {
            return AdminPage::NotFound(problem("Not found", "The admin has no such list.", &session));
        };
        let params = ListParams {
            q: q.0.unwrap_or_default(),
            genre: genre.0.unwrap_or_default(),
            rating: rating.0.unwrap_or_default(),
            sort: sort.0.unwrap_or_default(),
            page: page.0.unwrap_or(1),
        };
        let query = match params.query(model) {
            Ok(query) => query,
            Err(why) => return AdminPage::BadRequest(problem("Bad request", &why, &session)),
        };
        let (list, wants_genres, shown) = (model.list, model.genre_filter, query.clone());
        let read = self
            .db
            .read("admin.list", move |tx| {
                let page: ListPage = admin_lists::page(tx, list, &shown)?;
                let genres = match wants_genres {
                    true => admin_lists::genre_names(tx)?,
                    false => Vec::new(),
                };
                Ok::<_, DbError>((page, genres))
            })
            .await;
        let (rows, genres) = match read {
            Ok(read) => read,
            Err(err) => return AdminPage::Internal(internal_page(err.into())),
        };
        let rendered = lists::render(model, &params, &query, &rows, genres, &session);
        rendered.map_or_else(|cause| AdminPage::Internal(internal_page(cause)), |page| AdminPage::Ok(Html(page)))
    }

    /// Take a backup
    ///
    /// Queues `backup.create`, as `POST /api/admin/backups` does, and goes to the task's page.
    #[oai(path = "/admin/backups", method = "post", operation_id = "admin_backup_create")]
    async fn create_backup(&self, request: &Request, form: Form<CsrfForm>) -> FormDone {
        if let Err(refusal) = self.sessions.require_form(request, &form.0.csrf).await {
            return refusal.into();
        }
        match self.jobs.submit("backup.create", &serde_json::json!({}), Enqueue::default()).await {
            Ok(id) => FormDone::SeeOther(format!("/flower/task/{id}")),
            Err(err) => FormDone::Internal(internal_page(anyhow::anyhow!("{err}"))),
        }
    }

    /// Download a backup
    ///
    /// Streams one backup file from the list; any other name is a 404.
    #[oai(path = "/admin/backups/:name", method = "get", operation_id = "admin_backup_download")]
    async fn download_backup(
        &self,
        request: &Request,
        /// A backup's file name from the list.
        #[oai(validator(max_length = 255))]
        name: Path<String>,
    ) -> BackupFile {
        let session = match self.sessions.require(request).await {
            Ok(session) => session,
            Err(refusal) => return refusal.into(),
        };
        match open_backup(&self.jobs, name.0).await {
            Ok((body, disposition)) => BackupFile::Ok(Binary(body), disposition),
            Err(AppError::NotFound(why)) => BackupFile::NotFound(problem("Not found", &why, &session)),
            Err(err) => BackupFile::Internal(internal_page(anyhow::anyhow!("{err}"))),
        }
    }
}
