//! Periodic tasks through the admin's forms over real HTTP: preview, validation messages next to
//! their fields, create, edit, disable, enable and delete, checked against the schedules table.

use crate::common;

use common::web::{get_with_cookie, post_form, sign_in, Answer};
use common::{spawn_app_with, TestApp};

const TOKEN: &str = "admin-periodic-token";

fn app() -> TestApp {
    let token = movielens::config::Secret(TOKEN.to_string());
    spawn_app_with(None, move |serve| serve.admin_token = Some(token))
}

/// (enabled, timing JSON, args JSON) of the schedule named `name`, if there is one.
fn stored(app: &TestApp, name: &str) -> Option<(i64, bool, String, String)> {
    use rusqlite::OptionalExtension;
    app.db
        .connect()
        .query_row("SELECT id, enabled, timing, args FROM schedules WHERE name = ?1", [name], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .optional()
        .unwrap()
}

fn fields<'a>(csrf: &'a str, name: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("csrf", csrf),
        ("name", name),
        ("task", "backup.create"),
        ("args", "{\"keep\": 3}"),
        ("enabled", "on"),
        ("kind", "crontab"),
        ("minute", "30"),
        ("hour", "3"),
        ("day_of_week", "*"),
        ("day_of_month", "*"),
        ("month_of_year", "*"),
        ("timezone", "UTC"),
        ("every", "60"),
        ("period", "seconds"),
        ("intent", "save"),
    ];
    for (key, value) in extra {
        fields.retain(|(existing, _)| existing != key);
        fields.push((key, value));
    }
    fields
}

fn error_of(answer: &Answer, field: &str) -> String {
    let marker = format!("id=\"error-{field}\">");
    let at = answer.body.find(&marker).unwrap_or_else(|| panic!("no error shown for {field}: {}", answer.body));
    let rest = &answer.body[at + marker.len()..];
    rest[..rest.find("</p>").unwrap()].to_string()
}

#[test]
fn a_periodic_task_is_previewed_created_edited_disabled_enabled_and_deleted_through_the_forms() {
    let app = app();
    let cookie = sign_in(&app.url(""), TOKEN);
    let new_form = get_with_cookie(&app.url("/admin/periodic-tasks/new"), &cookie);
    assert_eq!(new_form.status, 200);
    assert!(new_form.body.contains("<option value=\"backup.create\""), "the task picker lists backups");
    let csrf = new_form.csrf_field();
    let url = app.url("/admin/periodic-tasks/new");

    // Preview: the next runs, at 03:30 UTC, and nothing stored.
    let preview = post_form(&url, &cookie, &fields(&csrf, "nightly", &[("intent", "preview")]), &[]);
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(preview.body.contains("Next runs"), "{}", preview.body);
    let runs = preview.body.matches("<li><time").count();
    assert!(runs >= 5, "{}", preview.body);
    assert_eq!(preview.body.matches("T03:30:00").count(), 2 * runs, "each run at 03:30 UTC: {}", preview.body);
    assert!(stored(&app, "nightly").is_none());

    // Every problem next to its field, the form kept as typed.
    let bad = fields(&csrf, " ", &[("minute", "61"), ("hour", "25"), ("args", "{\"keep\": 0}")]);
    let refused = post_form(&url, &cookie, &bad, &[]);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(error_of(&refused, "name").contains("blank"));
    assert!(!error_of(&refused, "minute").is_empty() && !error_of(&refused, "hour").is_empty());
    assert!(error_of(&refused, "args").contains("from 1 to 1000"));
    assert!(refused.body.contains("value=\"61\""), "the typed value is kept");
    let not_json = post_form(&url, &cookie, &fields(&csrf, "x", &[("args", "[1,")]), &[]);
    assert!(error_of(&not_json, "args").contains("JSON object"));
    let interval = post_form(&url, &cookie, &fields(&csrf, "x", &[("kind", "interval"), ("every", "0")]), &[]);
    assert_eq!(interval.status, 400);
    assert!(!error_of(&interval, "every").is_empty());

    // Create.
    let created = post_form(&url, &cookie, &fields(&csrf, "nightly", &[]), &[]);
    assert_eq!(created.status, 303, "{}", created.body);
    assert_eq!(created.header("location"), Some("/admin/periodic-tasks"));
    let (id, enabled, timing, args) = stored(&app, "nightly").expect("stored");
    assert!(enabled && timing.contains("\"minute\":\"30\"") && args.contains("\"keep\":3"), "{timing} {args}");
    let list = get_with_cookie(&app.url("/admin/periodic-tasks"), &cookie);
    assert!(list.body.contains("nightly") && list.body.contains(&format!("/admin/periodic-tasks/{id}/disable")));
    // The same name again is refused next to the name.
    let twice = post_form(&url, &cookie, &fields(&csrf, "nightly", &[]), &[]);
    assert_eq!(twice.status, 400);
    assert!(error_of(&twice, "name").contains("already exists"));

    // Edit: the form shows the stored values and next runs; change it to an interval.
    let edit_url = app.url(&format!("/admin/periodic-tasks/{id}"));
    let edit = get_with_cookie(&edit_url, &cookie);
    assert!(edit.body.contains("value=\"nightly\"") && edit.body.contains("Next runs"), "{}", edit.body);
    let changed = fields(&csrf, "hourly", &[("kind", "interval"), ("every", "2"), ("period", "hours")]);
    assert_eq!(post_form(&edit_url, &cookie, &changed, &[]).status, 303);
    assert!(stored(&app, "nightly").is_none());
    let (same_id, _, timing, _) = stored(&app, "hourly").expect("renamed");
    assert_eq!(same_id, id);
    assert!(timing.contains("\"every\":2") && timing.contains("hours"), "{timing}");

    // Disable, enable, delete.
    let action =
        |act: &str| post_form(&app.url(&format!("/admin/periodic-tasks/{id}/{act}")), &cookie, &[("csrf", &csrf)], &[]);
    assert_eq!(action("disable").status, 303);
    assert!(!stored(&app, "hourly").unwrap().1);
    assert!(get_with_cookie(&app.url("/admin/periodic-tasks"), &cookie).body.contains("class=\"disabled\""));
    assert_eq!(action("enable").status, 303);
    assert!(stored(&app, "hourly").unwrap().1);
    assert_eq!(action("delete").status, 303);
    assert!(stored(&app, "hourly").is_none());
    assert_eq!(get_with_cookie(&edit_url, &cookie).status, 404);
}
