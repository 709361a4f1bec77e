//! Helpers for the admin write tests: a client that sends the token, the small data set the
//! tests start from, and a check of every stored aggregate against a recomputation from the
//! raw tables.
#![allow(dead_code)] // each test binary uses its own subset

use rusqlite::Connection;
use serde_json::Value;

use crate::common::{self, send, TestApp};

pub const TOKEN: &str = "admin-test-token";

/// The app over the small data set (movies 1 to 3), with [`TOKEN`] as its admin token.
pub fn spawn() -> (TestApp, tempfile::TempDir) {
    spawn_with(|_| {})
}

/// Like [`spawn`], with nothing in the background that writes on its own clock (workers
/// registering and beating their heartbeat, the scheduler, the model build queued at start):
/// for tests that compare the whole database before and after.
pub fn spawn_quiet() -> (TestApp, tempfile::TempDir) {
    spawn_with(|serve| {
        serve.no_worker = true;
        serve.jobs.no_scheduler = true;
        serve.recommendations_at_start = false;
    })
}

fn spawn_with(configure: impl FnOnce(&mut movielens::config::ServeConfig)) -> (TestApp, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    common::write_small_dataset(data.path());
    let token = movielens::config::Secret(TOKEN.to_string());
    let app = common::spawn_app_with(Some(data.path()), move |serve| {
        serve.admin_token = Some(token);
        configure(serve);
    });
    (app, data)
}

/// A write with the admin token (or `token`, if given: `None` sends none); returns the status and
/// the body as JSON (`Null` for an empty body).
pub fn write_as(app: &TestApp, token: Option<&str>, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
    let bearer = token.map(|token| format!("Bearer {token}"));
    let mut headers = vec![("content-type", "application/json")];
    if let Some(bearer) = &bearer {
        headers.push(("authorization", bearer));
    }
    let (status, _, text) = send(method, &app.url(path), &headers, body);
    let json = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    (status, json)
}

pub fn write(app: &TestApp, method: &str, path: &str, body: &str) -> (u16, Value) {
    write_as(app, Some(TOKEN), method, path, Some(body))
}

pub fn delete(app: &TestApp, path: &str) -> (u16, Value) {
    write_as(app, Some(TOKEN), "DELETE", path, None)
}

/// Asserts a 400 whose `details` lists exactly these fields (in any order).
pub fn assert_fields(answer: &(u16, Value), fields: &[&str]) {
    let (status, body) = answer;
    assert_eq!(*status, 400, "{body}");
    assert_eq!(body["code"], "invalid_request", "{body}");
    let mut listed: Vec<&str> = body["details"]
        .as_array()
        .unwrap_or_else(|| panic!("details is not a list: {body}"))
        .iter()
        .map(|problem| {
            assert!(problem["message"].as_str().is_some_and(|message| !message.is_empty()), "{body}");
            problem["field"].as_str().unwrap()
        })
        .collect();
    listed.sort_unstable();
    let mut fields = fields.to_vec();
    fields.sort_unstable();
    assert_eq!(listed, fields, "{body}");
}

/// Asserts the status and that the error's message names `needle`.
pub fn assert_error(answer: &(u16, Value), status: u16, code: &str, needle: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["code"], code, "{}", answer.1);
    let message = answer.1["message"].as_str().unwrap();
    assert!(message.contains(needle), "'{message}' does not name '{needle}'");
    assert!(answer.1["request_id"].is_string());
}

/// Every stored aggregate that differs from a recomputation from the raw tables, described;
/// empty when all agree.
pub fn aggregate_drift(conn: &Connection) -> Vec<String> {
    let checks = [
        (
            "movie_stats",
            "SELECT movie_id, count(*), sum(rating) FROM ratings GROUP BY movie_id",
            "SELECT movie_id, rating_count, rating_sum FROM movie_stats WHERE rating_count != 0",
        ),
        (
            "scores",
            "SELECT movie_id, round((10.0 * (SELECT mean FROM score_prior) + sum(rating)) / (10.0 + count(*)), 9)
             FROM ratings GROUP BY movie_id",
            "SELECT movie_id, round(score, 9) FROM movie_stats WHERE rating_count != 0",
        ),
        (
            "histogram",
            "SELECT movie_id, rating, count(*) FROM ratings GROUP BY movie_id, rating",
            "SELECT movie_id, rating, count FROM movie_rating_histogram WHERE count != 0",
        ),
        (
            "totals",
            "SELECT (SELECT count(*) FROM movies), (SELECT count(*) FROM ratings), (SELECT coalesce(sum(rating), 0) FROM ratings)",
            "SELECT movie_count, rating_count, rating_sum FROM totals",
        ),
        (
            "genre_stats",
            "SELECT mg.genre_id, count(*), coalesce(sum(s.rating_count), 0), coalesce(sum(s.rating_sum), 0)
             FROM movie_genres mg LEFT JOIN (SELECT movie_id, count(*) AS rating_count, sum(rating) AS rating_sum
             FROM ratings GROUP BY movie_id) s ON s.movie_id = mg.movie_id GROUP BY mg.genre_id",
            "SELECT genre_id, movie_count, rating_count, rating_sum FROM genre_stats
             WHERE movie_count != 0 OR rating_count != 0 OR rating_sum != 0",
        ),
        (
            "movies.genres",
            "SELECT m.movie_id, coalesce((SELECT group_concat(name, '|') FROM (SELECT g.name FROM movie_genres mg
             JOIN genres g ON g.id = mg.genre_id WHERE mg.movie_id = m.movie_id ORDER BY g.name)), '') FROM movies m",
            "SELECT movie_id, genres FROM movies",
        ),
        (
            "orphans",
            "SELECT 'none'",
            "SELECT 'none' WHERE NOT EXISTS (SELECT 1 FROM ratings WHERE movie_id NOT IN (SELECT movie_id FROM movies))
             AND NOT EXISTS (SELECT 1 FROM tags WHERE movie_id NOT IN (SELECT movie_id FROM movies))
             AND NOT EXISTS (SELECT 1 FROM links WHERE movie_id NOT IN (SELECT movie_id FROM movies))
             AND NOT EXISTS (SELECT 1 FROM movie_genres WHERE movie_id NOT IN (SELECT movie_id FROM movies))
             AND NOT EXISTS (SELECT 1 FROM movie_stats WHERE movie_id NOT IN (SELECT movie_id FROM movies))
             AND NOT EXISTS (SELECT 1 FROM movie_rating_histogram WHERE count != 0 AND movie_id NOT IN (SELECT movie_id FROM movies))",
        ),
    ];
    let mut drift = Vec::new();
    for (name, actual, stored) in checks {
        for (only_in, left, right) in [("recomputed", actual, stored), ("stored", stored, actual)] {
            let rows: Vec<String> = conn
                .prepare(&format!("SELECT * FROM ({left}) EXCEPT SELECT * FROM ({right}) LIMIT 5"))
                .unwrap()
                .query_map([], |row| {
                    let columns = row.as_ref().column_count();
                    let values: Vec<String> =
                        (0..columns).map(|index| format!("{:?}", row.get_ref(index).unwrap())).collect();
                    Ok(values.join(", "))
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            for row in rows {
                drift.push(format!("{name}: only {only_in}: {row}"));
            }
        }
    }
    drift
}

pub fn assert_no_drift(app: &TestApp) {
    let drift = aggregate_drift(&app.db.connect());
    assert!(drift.is_empty(), "aggregates differ from a recomputation:\n{}", drift.join("\n"));
}
