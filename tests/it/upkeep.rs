//! Background upkeep: the top-rated prior is a snapshot that a write does not move and a refresh
//! brings up to date, and the write-ahead log stays small under reads plus writes. Also the read
//! snapshot that keeps a request's statements consistent with one another.

use crate::common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{get_json, send, spawn_app_with, TempDb};
use movielens::config::{DbConfig, Secret};
use rusqlite::Connection;

const TOKEN: &str = "upkeep-token";

fn post_rating(base_url: &str, movie_id: i64, rating: f64) -> i64 {
    let body = format!(r#"{{"user_id": 9999, "movie_id": {movie_id}, "rating": {rating}}}"#);
    let headers = [("content-type", "application/json"), ("authorization", "Bearer upkeep-token")];
    let (status, _, body) = send("POST", &format!("{base_url}/api/ratings"), &headers, Some(&body));
    assert_eq!(status, 201, "{body}");
    serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"].as_i64().unwrap()
}

/// movieId → stored score.
fn scores(conn: &Connection) -> HashMap<i64, f64> {
    conn.prepare("SELECT movie_id, score FROM movie_stats")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// movieId → the score recomputed from the ratings themselves against the live mean of all ratings.
fn recomputed_scores(conn: &Connection) -> (f64, HashMap<i64, f64>) {
    let mean: f64 = conn.query_row("SELECT avg(rating) FROM ratings", [], |row| row.get(0)).unwrap();
    let scores = conn
        .prepare("SELECT movie_id, count(*), sum(rating) FROM ratings GROUP BY movie_id")
        .unwrap()
        .query_map([], |row| {
            let (count, sum): (i64, f64) = (row.get(1)?, row.get(2)?);
            Ok((row.get(0)?, (10.0 * mean + sum) / (10.0 + count as f64)))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    (mean, scores)
}

fn assert_scores_match(actual: &HashMap<i64, f64>, expected: &HashMap<i64, f64>) {
    assert_eq!(actual.len(), expected.len());
    for (movie, score) in expected {
        assert!((actual[movie] - score).abs() < 1e-9, "movie {movie}: {} stored, {score} recomputed", actual[movie]);
    }
}

#[test]
fn a_write_rescores_only_its_movie_and_the_refresh_restores_exact_agreement() {
    let app = spawn_app_with(None, |serve| {
        serve.admin_token = Some(Secret(TOKEN.to_string()));
        serve.prior_refresh_secs = 1;
    });
    let conn = app.db.connect();
    let (mean_before, recomputed) = recomputed_scores(&conn);
    let before = scores(&conn);
    assert_scores_match(&before, &recomputed);
    let top = get_json(&app.url("/api/top-rated"), 200);
    assert!((top["prior"]["mean"].as_f64().unwrap() - mean_before).abs() < 1e-12);

    // Three 0.5-star ratings of one movie move the global mean, but rescore that movie alone.
    let movie: i64 = conn.query_row("SELECT min(movie_id) FROM movie_stats", [], |row| row.get(0)).unwrap();
    let written_at = Instant::now();
    for _ in 0..3 {
        post_rating(&app.url(""), movie, 0.5);
    }
    let after = scores(&conn);
    let changed: Vec<i64> = before.keys().filter(|id| before[id] != after[id]).copied().collect();
    assert_eq!(changed, vec![movie], "only the rated movie is rescored");
    let (count, sum): (i64, f64) = conn
        .query_row("SELECT rating_count, rating_sum FROM movie_stats WHERE movie_id = ?1", [movie], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap();
    assert!((after[&movie] - (10.0 * mean_before + sum) / (10.0 + count as f64)).abs() < 1e-12);

    // The background refresh (every second here) takes a new prior and rescores every movie.
    let refreshed = loop {
        let top = get_json(&app.url("/api/top-rated"), 200);
        let expected_count = i64::try_from(recomputed_scores(&conn).1.len()).unwrap();
        assert!(expected_count > 0);
        if top["prior"]["rating_count"].as_i64().unwrap()
            == conn.query_row("SELECT count(*) FROM ratings", [], |row| row.get::<_, i64>(0)).unwrap()
        {
            break top;
        }
        assert!(written_at.elapsed() < Duration::from_secs(30), "the prior was not refreshed within 30 s");
        thread::sleep(Duration::from_millis(100));
    };
    let (mean_now, recomputed) = recomputed_scores(&conn);
    assert!((refreshed["prior"]["mean"].as_f64().unwrap() - mean_now).abs() < 1e-12);
    assert_scores_match(&scores(&conn), &recomputed);
}

#[test]
fn the_write_ahead_log_stays_small_under_reads_plus_writes() {
    let app = spawn_app_with(None, |serve| serve.admin_token = Some(Secret(TOKEN.to_string())));
    let wal = app.db.path.with_file_name("movielens.db-wal");
    // Overlapping short readers: at every moment one of them holds a snapshot, which is what
    // keeps SQLite's own checkpoints from ever resetting the log.
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|reader| {
            let (conn, stop) = (app.db.connect(), stop.clone());
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(2 * reader));
                while !stop.load(Ordering::Relaxed) {
                    conn.execute_batch("BEGIN").unwrap();
                    conn.query_row("SELECT count(*) FROM movie_stats", [], |row| row.get::<_, i64>(0)).unwrap();
                    thread::sleep(Duration::from_millis(6));
                    conn.execute_batch("COMMIT").unwrap();
                }
            })
        })
        .collect();
    let movie: i64 = app.db.connect().query_row("SELECT min(movie_id) FROM movies", [], |row| row.get(0)).unwrap();
    let mut largest = 0;
    for n in 0..2_000 {
        post_rating(&app.url(""), movie, 0.5 + f64::from(n % 10) / 2.0);
        largest = largest.max(std::fs::metadata(&wal).map_or(0, |metadata| metadata.len()));
    }
    stop.store(true, Ordering::Relaxed);
    readers.into_iter().for_each(|reader| reader.join().unwrap());
    let stats = get_json(&app.url("/api/stats"), 200);
    assert!(stats["wal_bytes"].as_u64().is_some());
    eprintln!("largest WAL: {largest} bytes");
    // The log is started again once it is 16 MB long, each round waiting 25 ms longer for old
    // readers than the last; it is looked at every 50 ms. (Without that, it grew to 78 MB here;
    // waiting only past 32 MB, it reached 35 to 40 MB, and 66 MB on a busy machine.)
    assert!(largest < 40 << 20, "the log grew to {largest} bytes");
}

#[test]
fn once_writes_stop_the_log_file_is_cut_to_nothing_and_keeps_every_write() {
    let app = spawn_app_with(None, |serve| serve.admin_token = Some(Secret(TOKEN.to_string())));
    let wal = app.db.path.with_file_name("movielens.db-wal");
    let conn = app.db.connect();
    let movie: i64 = conn.query_row("SELECT min(movie_id) FROM movies", [], |row| row.get(0)).unwrap();
    let mut written = 0;
    while std::fs::metadata(&wal).map_or(0, |metadata| metadata.len()) <= 2 << 20 {
        post_rating(&app.url(""), movie, 4.0);
        written += 1;
        assert!(written < 20_000, "2 MB of log was never written");
    }
    let stopped = Instant::now();
    loop {
        if get_json(&app.url("/api/stats"), 200)["wal_bytes"].as_u64() == Some(0) {
            break;
        }
        assert!(stopped.elapsed() < Duration::from_secs(30), "the quiet log was not truncated within 30 s");
        thread::sleep(Duration::from_millis(100));
    }
    let kept: i64 = conn.query_row("SELECT count(*) FROM ratings WHERE user_id = 9999", [], |row| row.get(0)).unwrap();
    assert_eq!(kept, written);
}

/// genre name → (movie count, rating count, rating sum), recomputed from movies and ratings.
fn recomputed_genres(conn: &Connection) -> HashMap<String, (i64, i64, f64)> {
    conn.prepare(
        "SELECT g.name, count(DISTINCT mg.movie_id),
                (SELECT count(*) FROM ratings r JOIN movie_genres x ON x.movie_id = r.movie_id WHERE x.genre_id = g.id),
                (SELECT coalesce(sum(r.rating), 0) FROM ratings r JOIN movie_genres x ON x.movie_id = r.movie_id WHERE x.genre_id = g.id)
         FROM genres g JOIN movie_genres mg ON mg.genre_id = g.id GROUP BY g.id",
    )
    .unwrap()
    .query_map([], |row| Ok((row.get(0)?, (row.get(1)?, row.get(2)?, row.get(3)?))))
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

#[test]
fn genre_figures_follow_every_write_exactly() {
    let app = spawn_app_with(None, |serve| serve.admin_token = Some(Secret(TOKEN.to_string())));
    let conn = app.db.connect();
    let movies: Vec<i64> = conn
        .prepare("SELECT movie_id FROM movies LIMIT 5")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut created = Vec::new();
    for (n, movie) in movies.iter().cycle().take(20).enumerate() {
        created.push(post_rating(&app.url(""), *movie, 0.5 + (n % 10) as f64 / 2.0));
    }
    for id in created.iter().step_by(3) {
        let (status, _, _) =
            send("DELETE", &app.url(&format!("/api/ratings/{id}")), &[("authorization", "Bearer upkeep-token")], None);
        assert_eq!(status, 204);
    }
    let expected = recomputed_genres(&conn);
    let genres = get_json(&app.url("/api/genres"), 200);
    let genres = genres.as_array().unwrap();
    assert_eq!(genres.len(), expected.len());
    for genre in genres {
        let (movies, count, sum) = expected[genre["name"].as_str().unwrap()];
        assert_eq!(genre["movie_count"], movies, "{genre}");
        assert_eq!(genre["rating_count"], count, "{genre}");
        if count > 0 {
            assert!((genre["mean_rating"].as_f64().unwrap() - sum / count as f64).abs() < 1e-12, "{genre}");
        }
    }
}

#[test]
fn all_statements_of_one_read_see_the_same_snapshot() {
    let db = TempDb::new();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let handle = movielens::db::Db::open(&DbConfig::at(&db.path)).unwrap();
    let path = db.path.clone();
    let (first, second) = runtime
        .block_on(handle.read("snapshot", move |tx| {
            let count = || tx.query_row("SELECT count(*) FROM genres", [], |row| row.get::<_, i64>(0));
            let first = count()?;
            // Another connection commits a write between the two statements.
            let writer = thread::spawn(move || {
                Connection::open(path)
                    .unwrap()
                    .execute("INSERT INTO genres (name) VALUES ('Written meanwhile')", [])
                    .unwrap();
            });
            writer.join().unwrap();
            Ok::<_, movielens::db::DbError>((first, count()?))
        }))
        .unwrap();
    assert_eq!(first, second, "the second statement saw a write the first did not");
    assert_eq!(db.count("genres"), first + 1);
}
