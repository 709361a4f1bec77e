//! Admin writers racing each other: no write fails (no `database is locked`), and afterwards
//! every aggregate equals a recomputation from the raw tables.

use crate::admin_support;
use crate::common;

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

#[test]
fn the_recomputation_check_catches_every_kind_of_drift() {
    let (app, _data) = spawn();
    assert!(aggregate_drift(&app.db.connect()).is_empty());
    let corruptions = [
        ("movie_stats", "UPDATE movie_stats SET rating_count = rating_count + 1 WHERE movie_id = 1"),
        ("scores", "UPDATE movie_stats SET score = score + 0.5 WHERE movie_id = 2"),
        ("histogram", "UPDATE movie_rating_histogram SET count = count + 1 WHERE movie_id = 3"),
        ("totals", "UPDATE totals SET rating_sum = rating_sum + 0.5"),
        ("genre_stats", "UPDATE genre_stats SET movie_count = movie_count + 1 WHERE genre_id = 1"),
        ("movies.genres", "UPDATE movies SET genres = 'Drama' WHERE movie_id = 3"),
        ("orphans", "INSERT INTO tags (user_id, movie_id, tag, timestamp) VALUES (1, 777, 'x', 0)"),
    ];
    for (check, sql) in corruptions {
        let conn = app.db.connect();
        conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        // Without the triggers' help: the point is a stored figure the data does not back.
        let triggers: Vec<(String, String)> = conn
            .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (name, _) in &triggers {
            conn.execute(&format!("DROP TRIGGER {name}"), []).unwrap();
        }
        conn.execute_batch(&format!("SAVEPOINT corrupt; {sql};")).unwrap();
        let drift = aggregate_drift(&conn);
        assert!(drift.iter().any(|line| line.starts_with(&format!("{check}:"))), "{check} not caught: {drift:?}");
        conn.execute_batch("ROLLBACK TO corrupt; RELEASE corrupt;").unwrap();
        for (_, sql) in &triggers {
            conn.execute(sql, []).unwrap();
        }
        assert!(aggregate_drift(&conn).is_empty(), "{check}: the corruption was not undone");
    }
}

#[test]
fn racing_creates_of_one_movie_id_give_one_201_and_the_rest_409() {
    let (app, _data) = spawn();
    let app = std::sync::Arc::new(app);
    let racers: Vec<_> = (0..8)
        .map(|n| {
            let app = app.clone();
            thread::spawn(move || {
                let body = format!(r#"{{"movie_id": 500, "title": "Racer {n}", "genres": ["Drama"]}}"#);
                write(&app, "POST", "/api/movies", &body).0
            })
        })
        .collect();
    let mut statuses: Vec<u16> = racers.into_iter().map(|racer| racer.join().unwrap()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);
    assert_eq!(app.db.count("movies"), 4);
    assert!(aggregate_drift(&app.db.connect()).is_empty());
}
