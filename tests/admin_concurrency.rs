//! Admin writers racing each other: no write fails (no `database is locked`), and afterwards
//! every aggregate equals a recomputation from the raw tables.

mod admin_support;
mod common;

use std::thread;

use admin_support::{aggregate_drift, delete, spawn, write};
use common::get_json;

/// One writer's round: a movie with ratings and a tag, edits, then the movie deleted or kept.
fn round(app: &common::TestApp, writer: i64, round: i64) -> Result<(), String> {
    let check = |what: &str, (status, body): (u16, serde_json::Value), expected: u16| {
        if status == expected {
            Ok(body)
        } else {
            Err(format!("writer {writer} round {round}: {what}: {status} {body}"))
        }
    };
    let genres = if round % 2 == 0 { r#"["Comedy", "Drama"]"# } else { r#"["Sci-Fi"]"# };
    let movie = check(
        "create movie",
        write(app, "POST", "/api/movies", &format!(r#"{{"title": "W{writer} R{round} (2001)", "genres": {genres}}}"#)),
        201,
    )?;
    let id = movie["id"].as_i64().unwrap();
    let mut ratings = Vec::new();
    for (movie_id, stars) in [(id, 4.5), (id, 2.0), (1, 3.0), (2, 1.5)] {
        let body = format!(r#"{{"user_id": {}, "movie_id": {movie_id}, "rating": {stars}}}"#, 100 + writer);
        ratings.push(check("create rating", write(app, "POST", "/api/ratings", &body), 201)?["id"].as_i64().unwrap());
    }
    check(
        "create tag",
        write(app, "POST", "/api/tags", &format!(r#"{{"user_id": 1, "movie_id": {id}, "tag": "t{writer}"}}"#)),
        201,
    )?;
    check(
        "update rating",
        write(app, "PATCH", &format!("/api/ratings/{}", ratings[2]), r#"{"movie_id": 3, "rating": 0.5}"#),
        200,
    )?;
    check(
        "update movie",
        write(app, "PATCH", &format!("/api/movies/{id}"), r#"{"add_genres": ["Romance"], "title": "Edited (2002)"}"#),
        200,
    )?;
    check("delete rating", delete(app, &format!("/api/ratings/{}", ratings[3])), 204)?;
    if round % 3 != 0 {
        check("delete movie", delete(app, &format!("/api/movies/{id}")), 204)?;
    }
    Ok(())
}

#[test]
fn eight_concurrent_admin_writers_all_succeed_and_leave_every_aggregate_exact() {
    let (app, _data) = spawn();
    let app = std::sync::Arc::new(app);
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let app = app.clone();
            thread::spawn(move || (0..6).map(|n| round(&app, writer, n)).filter_map(Result::err).collect::<Vec<_>>())
        })
        .collect();
    let failures: Vec<String> = writers.into_iter().flat_map(|writer| writer.join().unwrap()).collect();
    assert!(failures.is_empty(), "{} writes failed:\n{}", failures.len(), failures.join("\n"));
    let drift = aggregate_drift(&app.db.connect());
    assert!(drift.is_empty(), "aggregates differ from a recomputation:\n{}", drift.join("\n"));
    // 8 writers × 6 rounds: the rounds 0 and 3 keep their movie.
    assert_eq!(app.db.count("movies"), 3 + 8 * 2);
    assert_eq!(get_json(&app.url("/api/stats"), 200)["tables"]["movies"], 3 + 8 * 2);
    assert_eq!(app.db.count("audit_log"), 8 * (6 * 9 + 4));
}
