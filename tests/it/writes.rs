//! The write path under pressure: concurrent writers in one process and in two, a lock held from
//! outside, ids that are never handed out twice, and a read that sees one snapshot.

use crate::common;

use std::sync::{Arc, Mutex};
use std::thread;

use common::{get_json, send, spawn_app_with_token, start_server, terminate, TempDb, TestApp};

const TOKEN: &str = "write-token";

fn post_rating(base_url: &str, user_id: i64, movie_id: i64, rating: f64) -> (u16, ureq::http::HeaderMap, String) {
    let body = format!(r#"{{"user_id": {user_id}, "movie_id": {movie_id}, "rating": {rating}}}"#);
    let headers = [("content-type", "application/json"), ("authorization", "Bearer write-token")];
    send("POST", &format!("{base_url}/api/ratings"), &headers, Some(&body))
}

fn delete_rating(base_url: &str, id: i64) -> u16 {
    send("DELETE", &format!("{base_url}/api/ratings/{id}"), &[("authorization", "Bearer write-token")], None).0
}

fn created_id(status: u16, body: &str) -> i64 {
    assert_eq!(status, 201, "{body}");
    serde_json::from_str::<serde_json::Value>(body).unwrap()["id"].as_i64().unwrap()
}

/// What the writers were told: ratings created and kept, and ratings created then deleted.
#[derive(Default)]
struct Acknowledged {
    kept: Vec<i64>,
    deleted: Vec<i64>,
    failures: Vec<String>,
}

/// `writers` threads against `base_urls` (round robin), each creating `per_writer` ratings and
/// deleting every other one it created.
fn hammer(db: &TempDb, base_urls: &[String], writers: usize, per_writer: usize) -> Acknowledged {
    let movies: Arc<Vec<i64>> = Arc::new(
        db.connect()
            .prepare("SELECT movie_id FROM movies ORDER BY movie_id LIMIT 50")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap(),
    );
    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    let threads: Vec<_> = (0..writers)
        .map(|writer| {
            let (base_url, acknowledged) = (base_urls[writer % base_urls.len()].clone(), acknowledged.clone());
            let movies = movies.clone();
            thread::spawn(move || {
                for n in 0..per_writer {
                    let (status, _, body) =
                        post_rating(&base_url, 5_000 + writer as i64, movies[n % movies.len()], 3.5);
                    if status != 201 {
                        acknowledged.lock().unwrap().failures.push(format!("POST {status}: {body}"));
                        continue;
                    }
                    let id = created_id(status, &body);
                    if n % 2 == 0 {
                        acknowledged.lock().unwrap().kept.push(id);
                        continue;
                    }
                    match delete_rating(&base_url, id) {
                        204 => acknowledged.lock().unwrap().deleted.push(id),
                        status => acknowledged.lock().unwrap().failures.push(format!("DELETE {id}: {status}")),
                    }
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|thread| thread.join().unwrap());
    Arc::into_inner(acknowledged).unwrap().into_inner().unwrap()
}

/// Every kept rating is in the database and every deleted one is gone.
fn assert_all_present(db: &TempDb, acknowledged: &Acknowledged) {
    let conn = db.connect();
    let exists = |id: i64| -> bool {
        conn.query_row("SELECT EXISTS (SELECT 1 FROM ratings WHERE id = ?1)", [id], |row| row.get(0)).unwrap()
    };
    assert!(acknowledged.kept.iter().all(|id| exists(*id)), "an acknowledged rating is missing");
    assert!(acknowledged.deleted.iter().all(|id| !exists(*id)), "an acknowledged delete did not happen");
    let mut all: Vec<i64> = acknowledged.kept.iter().chain(&acknowledged.deleted).copied().collect();
    let total = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), total, "an id was handed out twice");
}

#[test]
fn four_concurrent_writers_get_no_error_and_every_acknowledged_write_is_kept() {
    let app = spawn_app_with_token(None, TOKEN);
    let acknowledged = hammer(&app.db, &[app.url("")], 4, 150);
    assert!(
        acknowledged.failures.is_empty(),
        "{} failures, first: {:?}",
        acknowledged.failures.len(),
        acknowledged.failures.first()
    );
    assert_eq!(acknowledged.kept.len() + acknowledged.deleted.len(), 600);
    assert_all_present(&app.db, &acknowledged);
}

#[test]
fn two_server_processes_on_one_file_lose_no_write() {
    let db = TempDb::new();
    let envs = [("MOVIELENS_ADMIN_TOKEN", TOKEN)];
    let (mut first, first_url, _) = start_server(&db, &[], &envs);
    let (mut second, second_url, _) = start_server(&db, &[], &envs);
    let acknowledged = hammer(&db, &[first_url, second_url], 4, 100);
    assert!(terminate(&mut first).success());
    assert!(terminate(&mut second).success());
    assert!(
        acknowledged.failures.is_empty(),
        "{} failures, first: {:?}",
        acknowledged.failures.len(),
        acknowledged.failures.first()
    );
    assert_all_present(&db, &acknowledged);
}

#[test]
fn a_write_blocked_by_another_process_answers_503_with_retry_after_while_reads_go_on() {
    let app = spawn_app_with_token(None, TOKEN);
    // Another process's writer holds the lock for longer than the server's busy timeout.
    let outside = app.db.connect();
    outside.execute_batch("BEGIN IMMEDIATE").unwrap();
    let base_url = app.url("");
    let write = thread::spawn(move || post_rating(&base_url, 1, 1, 4.0));
    // Reads do not queue behind the waiting write.
    for _ in 0..20 {
        get_json(&app.url("/api/movies/1"), 200);
    }
    let (status, headers, body) = write.join().unwrap();
    outside.execute_batch("ROLLBACK").unwrap();
    assert_eq!(status, 503, "{body}");
    assert_eq!(headers.get("retry-after").unwrap(), "1");
    let error: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["code"], "unavailable");
    assert!(error["request_id"].is_string());
    // Once the lock is free, the same write goes through.
    let (status, _, body) = post_rating(&app.url(""), 1, 1, 4.0);
    assert_eq!(status, 201, "{body}");
}

fn max_rating_id(app: &TestApp) -> i64 {
    app.db.connect().query_row("SELECT max(id) FROM ratings", [], |row| row.get(0)).unwrap()
}

#[test]
fn deleting_the_newest_rating_never_frees_its_id_for_the_next_one() {
    let app = spawn_app_with_token(None, TOKEN);
    let (status, headers, body) = post_rating(&app.url(""), 1, 1, 4.0);
    let first = created_id(status, &body);
    assert_eq!(headers.get("location").unwrap().to_str().unwrap(), app.url(&format!("/api/ratings/{first}")));
    assert_eq!(get_json(&app.url(&format!("/api/ratings/{first}")), 200)["rating"], 4.0);
    assert_eq!(delete_rating(&app.url(""), first), 204);
    assert!(max_rating_id(&app) < first);
    let (status, _, body) = post_rating(&app.url(""), 1, 1, 4.0);
    let second = created_id(status, &body);
    assert!(second > first, "id {first} was deleted and then handed out again as {second}");
    // A retried delete of the first id cannot remove the second rating.
    assert_eq!(delete_rating(&app.url(""), first), 404);
    get_json(&app.url(&format!("/api/ratings/{second}")), 200);
}

#[test]
fn ids_are_not_reused_across_a_restart_or_an_import_replace() {
    let db = TempDb::new();
    let envs = [("MOVIELENS_ADMIN_TOKEN", TOKEN)];
    let (mut server, url, _) = start_server(&db, &[], &envs);
    let (status, _, body) = post_rating(&url, 1, 1, 4.0);
    let deleted = created_id(status, &body);
    assert_eq!(delete_rating(&url, deleted), 204);
    assert!(terminate(&mut server).success());

    let (mut server, url, _) = start_server(&db, &[], &envs);
    let (status, _, body) = post_rating(&url, 1, 1, 4.0);
    let after_restart = created_id(status, &body);
    assert!(after_restart > deleted, "id {deleted} came back after a restart");
    assert!(terminate(&mut server).success());

    let data = tempfile::tempdir().unwrap();
    common::write_small_dataset(data.path());
    common::movielens_ok(&["--db", db.arg(), "import", "--replace", data.path().to_str().unwrap()]);
    let smallest: i64 = db.connect().query_row("SELECT min(id) FROM ratings", [], |row| row.get(0)).unwrap();
    assert!(smallest > after_restart, "the replacing import numbered its ratings from {smallest}");
}
