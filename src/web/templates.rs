//! The pages' templates, embedded in the binary and rendered with minijinja, HTML escaping on
//! (every template name ends in `.html`). A page's own template renders its body; `base.html`
//! wraps it in the layout (navigation, sign-in state, sign-out button).

use std::sync::LazyLock;

use minijinja::{Environment, Value};
use serde::Serialize;

use super::assets;
use super::Session;

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    let templates = [
        ("admin/index.html", include_str!("templates/admin/index.html")),
        ("admin/delete.html", include_str!("templates/admin/delete.html")),
        ("admin/list.html", include_str!("templates/admin/list.html")),
        ("admin/model_form.html", include_str!("templates/admin/model_form.html")),
        ("admin/periodic_form.html", include_str!("templates/admin/periodic_form.html")),
        ("admin/periodic_list.html", include_str!("templates/admin/periodic_list.html")),
        ("base.html", include_str!("templates/base.html")),
        ("flower.html", include_str!("templates/flower.html")),
        ("flower_live.html", include_str!("templates/flower_live.html")),
        ("flower_task.html", include_str!("templates/flower_task.html")),
        ("login.html", include_str!("templates/login.html")),
        ("message.html", include_str!("templates/message.html")),
        ("session.html", include_str!("templates/session.html")),
        ("silk_list.html", include_str!("templates/silk_list.html")),
        ("silk_request.html", include_str!("templates/silk_request.html")),
        ("silk_summary.html", include_str!("templates/silk_summary.html")),
    ];
    for (name, source) in templates {
        env.add_template(name, source).expect("the embedded templates parse");
    }
    env
});

/// What the layout needs besides the page's body.
pub struct Layout<'a> {
    /// The page's title, also its main heading.
    pub title: &'a str,
    /// The signed-in session, for the sign-out button; `None` on the sign-in page.
    pub session: Option<&'a Session>,
}

/// Renders template `name` with `context` inside the layout.
pub fn render(name: &str, context: impl Serialize, layout: Layout<'_>) -> anyhow::Result<String> {
    let body = TEMPLATES.get_template(name)?.render(context)?;
    let base = TEMPLATES.get_template("base.html")?;
    let page = base.render(minijinja::context! {
        title => layout.title,
        // Already escaped by its own template.
        body => Value::from_safe_string(body),
        signed_in => layout.session.is_some(),
        csrf => layout.session.map(|session| session.csrf.clone()),
        // Our own paths: left unescaped so they read plainly in the page source.
        stylesheet => Value::from_safe_string(assets::stylesheet_url()),
        script => Value::from_safe_string(assets::script_url()),
        icon => Value::from_safe_string(assets::icon_url()),
    })?;
    Ok(page)
}

/// Renders template `name` with `context` alone: a part of a page that a script swaps in.
pub fn render_fragment(name: &str, context: impl Serialize) -> anyhow::Result<String> {
    Ok(TEMPLATES.get_template(name)?.render(context)?)
}

/// A page that only says something (a refusal, an error): `title` and `message`.
pub fn message(title: &str, message: &str, session: Option<&Session>) -> String {
    let context = minijinja::context! { message => message, sign_in => session.is_none() };
    render("message.html", context, Layout { title, session }).unwrap_or_else(|err| {
        tracing::error!(error = %err, "rendering a message page failed");
        "<!doctype html><title>Error</title><p>The server failed to render this page.</p>".to_string()
    })
}

/// A unix time as ISO 8601 in UTC (the page's script shows it in local time).
pub fn timestamp(unix_secs: i64) -> String {
    chrono::DateTime::from_timestamp(unix_secs, 0)
        .map_or_else(|| unix_secs.to_string(), |time| time.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}
