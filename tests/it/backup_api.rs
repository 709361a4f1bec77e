//! `/api/admin/backups` on a real socket: a backup as a background task, the list, the download,
//! retention through `backup.create`'s `keep`, and the refusals (401, 403, names not listed).

use crate::common;

use common::{post_json, send, spawn_app_with, TestApp};
use rusqlite::Connection;
use serde_json::{json, Value};

const TOKEN: &str = "backup-admin-token";

fn app() -> TestApp {
    let token = movielens::config::Secret(TOKEN.to_string());
    spawn_app_with(None, move |serve| serve.admin_token = Some(token))
}

fn authorized(method: &str, app: &TestApp, path: &str) -> (u16, String) {
    let authorization = format!("Bearer {TOKEN}");
    let (status, _, body) = send(method, &app.url(path), &[("Authorization", &authorization)], None);
    (status, body)
}

/// Waits for task `id` to end and returns it; fails unless it succeeded.
fn succeeded(app: &TestApp, id: &str) -> Value {
    let task = common::wait_for("the backup task to end", || {
        let (_, body) = authorized("GET", app, &format!("/api/tasks/{id}"));
        let task: Value = serde_json::from_str(&body).unwrap();
        matches!(task["state"].as_str(), Some("succeeded" | "failed" | "timed_out" | "cancelled")).then_some(task)
    });
    assert_eq!(task["state"], "succeeded", "{task}");
    task
}

fn listed(app: &TestApp) -> Vec<Value> {
    let (status, body) = authorized("GET", app, "/api/admin/backups");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<Value>(&body).unwrap().as_array().unwrap().clone()
}

#[test]
fn an_admin_takes_a_backup_in_the_background_lists_it_and_downloads_a_sound_copy() {
    let app = app();
    let (status, body) = authorized("POST", &app, "/api/admin/backups");
    assert_eq!(status, 202, "{body}");
    let queued: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(queued["task"], "backup.create");
    let task = succeeded(&app, queued["task_id"].as_str().unwrap());
    let name = task["result"]["name"].as_str().unwrap().to_string();
    let backups = listed(&app);
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert_eq!(backups[0]["name"], name.as_str());
    assert_eq!(backups[0]["schema_version"], movielens::db::migrations::latest_version());
    let folder = app.db.dir.path().join("backups");
    let on_disk = std::fs::read(folder.join(&name)).unwrap();
    assert_eq!(backups[0]["size_bytes"], on_disk.len());

    let authorization = format!("Bearer {TOKEN}");
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut answer = agent
        .get(app.url(&format!("/api/admin/backups/{name}")))
        .header("Authorization", &authorization)
        .call()
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let disposition = answer.headers().get("content-disposition").unwrap().to_str().unwrap().to_string();
    assert_eq!(disposition, format!("attachment; filename=\"{name}\""));
    let downloaded = answer.body_mut().with_config().limit(1 << 30).read_to_vec().unwrap();
    assert!(downloaded == on_disk, "the download is the file");
    let copy = app.db.dir.path().join("downloaded.db");
    std::fs::write(&copy, &downloaded).unwrap();
    let conn = Connection::open(&copy).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |row| row.get(0)).unwrap();
    assert_eq!(check, "ok");
    let movies: i64 = conn.query_row("SELECT count(*) FROM movies", [], |row| row.get(0)).unwrap();
    assert_eq!(movies, app.db.count("movies"));
}

#[test]
fn backup_routes_refuse_anonymous_and_wrong_token_requests() {
    let app = app();
    for (method, path) in
        [("POST", "/api/admin/backups"), ("GET", "/api/admin/backups"), ("GET", "/api/admin/backups/any.db")]
    {
        let (status, _, body) = send(method, &app.url(path), &[], None);
        assert_eq!(status, 401, "{method} {path}: {body}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert!(body["request_id"].is_string() && body["code"].is_string(), "{body}");
        let (status, _, body) = send(method, &app.url(path), &[("Authorization", "Bearer not-the-token")], None);
        assert_eq!(status, 403, "{method} {path}: {body}");
    }
    assert!(!app.db.dir.path().join("backups").exists(), "nothing was backed up");
}

#[test]
fn the_download_route_serves_only_names_in_the_list() {
    let app = app();
    let folder = app.db.dir.path().join("backups");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(app.db.dir.path().join("secret.db"), "outside the folder").unwrap();
    std::fs::write(folder.join(".hidden.db.partial"), "a backup being written").unwrap();
    std::fs::write(folder.join("notes.txt"), "not a backup").unwrap();
    std::os::unix::fs::symlink(&app.db.path, folder.join("link.db")).unwrap();
    for name in [
        "..%2Fmovielens.db",
        "..%2Fsecret.db",
        "%2E%2E%2Fsecret.db",
        "..",
        "movielens.db",
        ".hidden.db.partial",
        "notes.txt",
        "link.db",
        "%2Fetc%2Fpasswd",
        "..%5Csecret.db",
    ] {
        let (status, body) = authorized("GET", &app, &format!("/api/admin/backups/{name}"));
        assert_eq!(status, 404, "{name}: {body}");
        assert!(!body.contains("outside the folder"), "{name}");
    }
    assert!(listed(&app).is_empty(), "a symlink, a partial or a text file is not a backup");
    // A name longer than any file name is a 400 that says so, not a server error.
    let (status, body) = authorized("GET", &app, &format!("/api/admin/backups/{}", "0".repeat(256)));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("maxLength(255)"), "{body}");
}

#[test]
fn backup_tasks_with_keep_delete_the_oldest_automatic_backups_only() {
    let app = app();
    let folder = app.db.dir.path().join("backups");
    std::fs::create_dir(&folder).unwrap();
    std::fs::copy(&app.db.path, folder.join("kept-by-hand.db")).unwrap();
    let mut names = Vec::new();
    for _ in 0..3 {
        let (status, queued) =
            post_json(&app.url("/api/tasks"), TOKEN, &json!({"name": "backup.create", "args": {"keep": 2}}));
        assert_eq!(status, 202, "{queued}");
        let task = succeeded(&app, queued["task_id"].as_str().unwrap());
        names.push(task["result"]["name"].as_str().unwrap().to_string());
    }
    let mut left: Vec<String> =
        listed(&app).iter().map(|backup| backup["name"].as_str().unwrap().to_string()).collect();
    left.sort();
    let mut expected = vec![names[1].clone(), names[2].clone(), "kept-by-hand.db".to_string()];
    expected.sort();
    assert_eq!(left, expected);
}

#[test]
fn a_schedule_can_run_backups_with_a_retention_count_and_a_bad_one_is_refused() {
    let app = app();
    let (status, answer) = post_json(
        &app.url("/api/schedules"),
        TOKEN,
        &json!({"name": "nightly", "task": "backup.create", "args": {"keep": 0},
                "crontab": {"minute": "0", "hour": "3"}}),
    );
    assert_eq!(status, 400, "{answer}");
    assert!(answer.to_string().contains("args.keep"), "{answer}");
    let (status, answer) = post_json(
        &app.url("/api/schedules"),
        TOKEN,
        &json!({"name": "often", "task": "backup.create", "args": {"keep": 1},
                "interval": {"every": 1, "period": "seconds"}}),
    );
    assert_eq!(status, 201, "{answer}");
    // It fires every second; with keep 1 the folder settles on one automatic backup.
    common::wait_for("two scheduled backups", || {
        let (_, body) = authorized("GET", &app, "/api/tasks?name=backup.create&state=succeeded");
        let page: Value = serde_json::from_str(&body).unwrap();
        (page["tasks"].as_array().map_or(0, Vec::len) >= 2).then_some(())
    });
    let (_, _, _) = send(
        "DELETE",
        &app.url(&format!("/api/schedules/{}", answer["id"])),
        &[("Authorization", &format!("Bearer {TOKEN}"))],
        None,
    );
    common::wait_for("no backup task running", || {
        let (_, body) = authorized("GET", &app, "/api/tasks?name=backup.create&state=running");
        let page: Value = serde_json::from_str(&body).unwrap();
        (page["tasks"].as_array().map_or(0, Vec::len) == 0).then_some(())
    });
    assert_eq!(listed(&app).len(), 1);
}
