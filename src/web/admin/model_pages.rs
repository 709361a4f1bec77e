//! Every model's edit and create forms and its delete confirmation (Django's change, add and
//! delete views), behind the shared sign-in and CSRF checks. They write through the API's own
//! write functions ([`model_writes`]), so rules, aggregates, audit log and cache stay one.

use minijinja::Value;
use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::payload::{Form, Html};
use poem_openapi::OpenApi;

use super::answers::{AdminPage, FormPage};
use super::model_form::{FieldErrors, ModelForm};
use super::model_render::{self, segment, FormView};
use super::model_writes::{self, Failed, Kind};
use super::problem;
use crate::api::admin::Admin;
use crate::api::error::AppError;
use crate::web::responses::internal_page;
use crate::web::templates::{self, Layout};
use crate::web::{Session, Sessions, WebTags};

pub struct AdminFormsApi {
    pub sessions: Sessions,
    pub admin: Admin,
}

fn not_found(kind: Option<Kind>, session: &Session) -> AdminPage {
    let what =
        kind.map_or("The admin has no such model.".to_string(), |kind| format!("No {} has this id.", kind.noun()));
    AdminPage::NotFound(problem("Not found", &what, session))
}

/// The page for a write that failed other than on the form's fields.
fn failed_page(err: AppError, session: &Session) -> FormPage {
    match err {
        AppError::NotFound(why) => FormPage::NotFound(problem("Not found", &why, session)),
        AppError::Unavailable { message, .. } => FormPage::Unavailable(problem("Unavailable", &message, session)),
        other => FormPage::Internal(internal_page(anyhow::anyhow!("{other}"))),
    }
}

impl AdminFormsApi {
    /// The form page: 200 as loaded, 400 when it shows problems.
    async fn form_page(
        &self,
        session: &Session,
        kind: Kind,
        id: Option<&str>,
        subject: &str,
        form: &ModelForm,
        errors: &FieldErrors,
    ) -> AdminPage {
        let genre_choices = match kind {
            Kind::Movies => match model_render::genre_choices(&self.admin.db).await {
                Ok(names) => names,
                Err(err) => return AdminPage::Internal(internal_page(err.into())),
            },
            _ => Vec::new(),
        };
        let csrf = session.csrf.clone();
        let view = FormView { kind, id, subject, form, errors, genre_choices, csrf: &csrf };
        let title = view.title();
        let rendered = templates::render(
            "admin/model_form.html",
            view.context(),
            Layout { title: &title, session: Some(session) },
        );
        match (rendered, errors.is_empty()) {
            (Ok(page), true) => AdminPage::Ok(Html(page)),
            (Ok(page), false) => AdminPage::BadRequest(Html(page)),
            (Err(cause), _) => AdminPage::Internal(internal_page(cause)),
        }
    }

    /// The delete confirmation page, with `problem` (a genre in use without `detach`) if any.
    async fn delete_page(&self, session: &Session, kind: Kind, id: &str, problem_text: Option<&str>) -> AdminPage {
        let (subject, impact) = match model_render::load(&self.admin.db, kind, id.to_string()).await {
            Ok(Some((_, subject))) => match model_render::impact(&self.admin.db, kind, id.to_string()).await {
                Ok(impact) => (subject, impact),
                Err(err) => return AdminPage::Internal(internal_page(err.into())),
            },
            Ok(None) => return not_found(Some(kind), session),
            Err(err) => return AdminPage::Internal(internal_page(err.into())),
        };
        let path = kind.path();
        let context = minijinja::context! {
            noun => kind.noun(),
            id => id,
            subject => subject,
            impact => impact,
            is_genre => kind == Kind::Genres,
            problem => problem_text,
            // Built from percent-encoded parts: left unescaped so they read plainly.
            action => Value::from_safe_string(format!("/admin/{path}/{}/delete", segment(id))),
            back => Value::from_safe_string(format!("/admin/{path}/{}", segment(id))),
            csrf => session.csrf.clone(),
        };
        let title = format!("Delete {} {id}", kind.noun());
        let rendered =
            templates::render("admin/delete.html", context, Layout { title: &title, session: Some(session) });
        match (rendered, problem_text) {
            (Ok(page), None) => AdminPage::Ok(Html(page)),
            (Ok(page), Some(_)) => AdminPage::BadRequest(Html(page)),
            (Err(cause), _) => AdminPage::Internal(internal_page(cause)),
        }
    }

    /// The session, and the model a URL names (with its record's id checked, if it has one).
    async fn guard(&self, request: &Request, model: &str, id: Option<&str>) -> Result<(Session, Kind), AdminPage> {
        let session = self.sessions.require(request).await.map_err(AdminPage::from)?;
        match Kind::of(model) {
            Some(kind) if id.is_none_or(|id| kind == Kind::Genres || kind.number(id).is_some()) => Ok((session, kind)),
            kind => Err(not_found(kind, &session)),
        }
    }

    async fn post_guard(
        &self,
        request: &Request,
        model: &str,
        id: Option<&str>,
        csrf: &str,
    ) -> Result<(Session, Kind), FormPage> {
        let session = self.sessions.require_form(request, csrf).await.map_err(FormPage::from)?;
        match Kind::of(model) {
            Some(kind) if id.is_none_or(|id| kind == Kind::Genres || kind.number(id).is_some()) => Ok((session, kind)),
            kind => Err(not_found(kind, &session).into()),
        }
    }
}

#[OpenApi(tag = "WebTags::WebPages")]
impl AdminFormsApi {
    /// Add a record: the form
    ///
    /// `movies`, `genres`, `ratings`, `tags` or `links`. Without a session it redirects to
    /// sign-in.
    #[oai(path = "/admin/:model/new", method = "get", operation_id = "admin_model_new")]
    async fn new_form(&self, request: &Request, #[oai(validator(max_length = 40))] model: Path<String>) -> AdminPage {
        let (session, kind) = match self.guard(request, &model.0, None).await {
            Ok(guarded) => guarded,
            Err(page) => return page,
        };
        self.form_page(&session, kind, None, "", &ModelForm::default(), &FieldErrors::new()).await
    }

    /// Add a record
    ///
    /// Checked by the same rules and written by the same code as the API's create; on to the
    /// new record's form. Problems are shown next to their fields (400).
    #[oai(path = "/admin/:model/new", method = "post", operation_id = "admin_model_create")]
    async fn create(
        &self,
        request: &Request,
        #[oai(validator(max_length = 40))] model: Path<String>,
        form: Form<ModelForm>,
    ) -> FormPage {
        let (session, kind) = match self.post_guard(request, &model.0, None, &form.csrf).await {
            Ok(guarded) => guarded,
            Err(page) => return page,
        };
        match model_writes::create(&self.admin, kind, &form.0).await {
            Ok(id) => FormPage::SeeOther(format!("/admin/{}/{}", kind.path(), segment(&id))),
            Err(Failed::Fields(errors)) => self.form_page(&session, kind, None, "", &form.0, &errors).await.into(),
            Err(Failed::Page(err)) => failed_page(err, &session),
        }
    }

    /// Change a record: the form
    ///
    /// A genre is named by its name, a link by its movie's id, anything else by its id.
    #[oai(path = "/admin/:model/:id", method = "get", operation_id = "admin_model_edit")]
    async fn edit_form(
        &self,
        request: &Request,
        #[oai(validator(max_length = 40))] model: Path<String>,
        #[oai(validator(max_length = 200))] id: Path<String>,
    ) -> AdminPage {
        let (session, kind) = match self.guard(request, &model.0, Some(&id.0)).await {
            Ok(guarded) => guarded,
            Err(page) => return page,
        };
        match model_render::load(&self.admin.db, kind, id.0.clone()).await {
            Ok(Some((form, subject))) => {
                self.form_page(&session, kind, Some(&id.0), &subject, &form, &FieldErrors::new()).await
            }
            Ok(None) => not_found(Some(kind), &session),
            Err(err) => AdminPage::Internal(internal_page(err.into())),
        }
    }

    /// Change a record
    ///
    /// Saves every field of the form, as the API's update; on to the list. Problems are shown
    /// next to their fields (400).
    #[oai(path = "/admin/:model/:id", method = "post", operation_id = "admin_model_save")]
    async fn save(
        &self,
        request: &Request,
        #[oai(validator(max_length = 40))] model: Path<String>,
        #[oai(validator(max_length = 200))] id: Path<String>,
        form: Form<ModelForm>,
    ) -> FormPage {
        let (session, kind) = match self.post_guard(request, &model.0, Some(&id.0), &form.csrf).await {
            Ok(guarded) => guarded,
            Err(page) => return page,
        };
        match model_writes::update(&self.admin, kind, id.0.clone(), &form.0).await {
            Ok(()) => FormPage::SeeOther(format!("/admin/{}", kind.path())),
            Err(Failed::Fields(errors)) => {
                let subject = match model_render::load(&self.admin.db, kind, id.0.clone()).await {
                    Ok(Some((_, subject))) => subject,
                    _ => String::new(),
                };
                self.form_page(&session, kind, Some(&id.0), &subject, &form.0, &errors).await.into()
            }
            Err(Failed::Page(err)) => failed_page(err, &session),
        }
    }

    /// Delete a record: the confirmation
    ///
    /// Lists what else goes with it: a movie's ratings, tags, link and genre rows; the movies a
    /// genre is taken off.
    #[oai(path = "/admin/:model/:id/delete", method = "get", operation_id = "admin_model_delete_confirm")]
    async fn delete_form(
        &self,
        request: &Request,
        #[oai(validator(max_length = 40))] model: Path<String>,
        #[oai(validator(max_length = 200))] id: Path<String>,
    ) -> AdminPage {
        match self.guard(request, &model.0, Some(&id.0)).await {
            Ok((session, kind)) => self.delete_page(&session, kind, &id.0, None).await,
            Err(page) => page,
        }
    }

    /// Delete a record
    ///
    /// As the API's delete; on to the list. A genre that movies use needs `detach=on`.
    #[oai(path = "/admin/:model/:id/delete", method = "post", operation_id = "admin_model_delete")]
    async fn delete(
        &self,
        request: &Request,
        #[oai(validator(max_length = 40))] model: Path<String>,
        #[oai(validator(max_length = 200))] id: Path<String>,
        form: Form<ModelForm>,
    ) -> FormPage {
        let (session, kind) = match self.post_guard(request, &model.0, Some(&id.0), &form.csrf).await {
            Ok(guarded) => guarded,
            Err(page) => return page,
        };
        match model_writes::delete(&self.admin, kind, id.0.clone(), form.detach == "on").await {
            Ok(()) => FormPage::SeeOther(format!("/admin/{}", kind.path())),
            Err(Failed::Fields(errors)) => {
                let why = errors.into_values().collect::<Vec<_>>().join("; ");
                self.delete_page(&session, kind, &id.0, Some(&why)).await.into()
            }
            Err(Failed::Page(err)) => failed_page(err, &session),
        }
    }
}
