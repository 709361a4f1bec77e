//! The audit log: every admin write, with its token, action, record and values before and after,
//! written in the write's own transaction and read newest first by cursor.

use crate::admin_support;
use crate::common;

use admin_support::{assert_error, delete, spawn, write, write_as, TOKEN};
use common::send;
use serde_json::{json, Value};

fn log(app: &common::TestApp, query: &str) -> (u16, Value) {
    let bearer = format!("Bearer {TOKEN}");
    let (status, _, body) =
        send("GET", &app.url(&format!("/api/admin/log{query}")), &[("authorization", &bearer)], None);
    (status, serde_json::from_str(&body).unwrap())
}

fn sha256_prefix(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    digest.as_ref().iter().map(|byte| format!("{byte:02x}")).collect::<String>()[..12].to_string()
}

#[test]
fn every_admin_write_is_logged_newest_first_with_its_token_and_values_before_and_after() {
    let (app, _data) = spawn();
    assert_eq!(write(&app, "POST", "/api/movies", r#"{"title": "Heat (1995)", "genres": ["Drama"]}"#).0, 201);
    assert_eq!(write(&app, "PATCH", "/api/movies/4", r#"{"title": "Heat (1996)"}"#).0, 200);
    assert_eq!(
        write(&app, "POST", "/api/ratings", r#"{"user_id": 3, "movie_id": 4, "rating": 3.5, "timestamp": 9}"#).0,
        201
    );
    assert_eq!(delete(&app, "/api/movies/4").0, 204);

    let (status, page) = log(&app, "");
    assert_eq!(status, 200, "{page}");
    let entries = page["results"].as_array().unwrap();
    let summary: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|entry| {
            (entry["action"].as_str().unwrap(), entry["model"].as_str().unwrap(), entry["object_id"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        summary,
        [("delete", "movie", "4"), ("create", "rating", "4"), ("update", "movie", "4"), ("create", "movie", "4")]
    );
    let token_id = format!("admin-{}", sha256_prefix(TOKEN));
    assert!(entries.iter().all(|entry| entry["token_id"] == token_id.as_str() && entry["at"].as_i64().unwrap() > 0));
    let update = &entries[2];
    assert_eq!(update["before"], json!({"id": 4, "title": "Heat (1995)", "year": 1995, "genres": ["Drama"]}));
    assert_eq!(update["after"], json!({"id": 4, "title": "Heat (1996)", "year": 1996, "genres": ["Drama"]}));
    assert!(entries[0].get("after").is_none() && entries[0]["before"]["title"] == "Heat (1996)");
    assert!(entries[3].get("before").is_none());
    assert_eq!(entries[1]["after"]["rating"], 3.5);
}

#[test]
fn the_log_filters_by_model_and_pages_by_cursor() {
    let (app, _data) = spawn();
    for name in ["A", "B", "C"] {
        assert_eq!(write(&app, "POST", "/api/genres", &format!(r#"{{"name": "{name}"}}"#)).0, 201);
    }
    assert_eq!(write(&app, "POST", "/api/tags", r#"{"user_id": 1, "movie_id": 1, "tag": "x"}"#).0, 201);
    let (_, first) = log(&app, "?model=genre&limit=2");
    let names: Vec<&str> =
        first["results"].as_array().unwrap().iter().map(|entry| entry["after"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["C", "B"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = log(&app, &format!("?model=genre&limit=2&cursor={cursor}"));
    assert_eq!(second["results"].as_array().unwrap().len(), 1);
    assert_eq!(second["results"][0]["after"]["name"], "A");
    assert!(second.get("next").is_none());
    assert_eq!(log(&app, "?model=tag").1["results"].as_array().unwrap().len(), 1);
    assert_eq!(log(&app, "?model=users").0, 400);
    assert_eq!(log(&app, "?limit=0").0, 400);
}

#[test]
fn refused_writes_leave_no_entry_and_the_log_needs_the_admin_token() {
    let (app, _data) = spawn();
    assert_eq!(write(&app, "POST", "/api/movies", r#"{"movie_id": 1, "title": "Taken", "genres": []}"#).0, 409);
    assert_eq!(write(&app, "POST", "/api/genres", r#"{"name": ""}"#).0, 400);
    assert_eq!(delete(&app, "/api/genres/Drama").0, 409);
    assert_eq!(write_as(&app, Some("wrong"), "DELETE", "/api/tags/1", None).0, 403);
    assert_eq!(log(&app, "").1["results"], json!([]));
    assert_eq!(app.db.count("audit_log"), 0);

    let (status, _, body) = send("GET", &app.url("/api/admin/log"), &[], None);
    assert_error(&(status, serde_json::from_str(&body).unwrap()), 401, "unauthorized", "token");
    let (status, _, body) = send("GET", &app.url("/api/admin/log"), &[("authorization", "Bearer nope")], None);
    assert_error(&(status, serde_json::from_str(&body).unwrap()), 403, "forbidden", "token");
}

#[test]
fn an_empty_patch_answers_the_record_unchanged_and_logs_nothing() {
    let (app, _data) = admin_support::spawn();
    let entries =
        || -> i64 { app.db.connect().query_row("SELECT count(*) FROM audit_log", [], |row| row.get(0)).unwrap() };
    for path in ["/api/movies/1", "/api/ratings/1", "/api/tags/1", "/api/links/1"] {
        let before = common::get_json(&app.url(path), 200);
        let answer = admin_support::write(&app, "PATCH", path, "{}");
        assert_eq!(answer.0, 200, "{path}: {}", answer.1);
        assert_eq!(common::get_json(&app.url(path), 200), before, "{path}");
        assert_eq!(entries(), 0, "{path} logged a change that changed nothing");
    }
    // A real change is still logged.
    assert_eq!(admin_support::write(&app, "PATCH", "/api/tags/1", r#"{"tag": "new"}"#).0, 200);
    assert_eq!(entries(), 1);
}
