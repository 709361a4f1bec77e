//! The recommendation endpoints and the `recommendations.build` task over real HTTP: the 503
//! before a model exists, the answers after a build, the 404s and 400s, the genre filter, the
//! skip of a build that would change nothing, and the schedule.

use crate::common;

use common::{get, get_json, post_json, send, spawn_app_with, wait_for, TestApp};
use serde_json::{json, Value};

const TOKEN: &str = "recommendations-test-token";

fn app(data: Option<&std::path::Path>) -> TestApp {
    spawn_app_with(data, |serve| serve.admin_token = Some(movielens::config::Secret(TOKEN.to_string())))
}

/// Queues a build with `args` (without the evaluation unless asked: it is a second build) and
/// waits for it to end; returns the task.
fn build(app: &TestApp, mut args: Value) -> Value {
    if args.get("evaluate").is_none() {
        args["evaluate"] = false.into();
    }
    let (status, body) =
        post_json(&app.url("/api/tasks"), TOKEN, &json!({"name": "recommendations.build", "args": args}));
    assert_eq!(status, 202, "{body}");
    let id = body["task_id"].as_str().unwrap().to_string();
    wait_for("the build to end", || {
        let task = get_json(&app.url(&format!("/api/tasks/{id}")), 200);
        matches!(task["state"].as_str(), Some("succeeded" | "failed" | "cancelled" | "timed_out")).then_some(task)
    })
}

/// A user id with ratings, and the movies they rated.
fn rated_by(app: &TestApp, user_id: i64) -> std::collections::HashSet<i64> {
    let conn = app.db.connect();
    let mut statement = conn.prepare("SELECT movie_id FROM ratings WHERE user_id = ?1").unwrap();
    statement.query_map([user_id], |row| row.get(0)).unwrap().map(Result::unwrap).collect()
}

#[test]
fn every_recommendation_endpoint_answers_503_with_retry_after_and_the_task_to_run_until_a_model_is_built() {
    let app = app(None);
    for path in ["/api/movies/1/similar", "/api/users/1/recommendations", "/api/recommendations/model"] {
        let (status, headers, body) = send("GET", &app.url(path), &[], None);
        assert_eq!(status, 503, "{path}: {body}");
        assert_eq!(headers.get("retry-after").and_then(|v| v.to_str().ok()), Some("60"), "{path}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["code"], "unavailable");
        assert!(body["message"].as_str().unwrap().contains("recommendations.build"), "{body}");
        assert!(body["request_id"].is_string());
    }
}

#[test]
fn a_build_reports_its_progress_in_movies_and_then_every_endpoint_answers_from_its_model() {
    let app = app(None);
    let task = build(&app, json!({"evaluate": true}));
    assert_eq!(task["state"], "succeeded", "{task}");
    let movies = app.db.count("movies");
    assert_eq!(task["progress"]["total"], movies, "{task}");
    assert_eq!(task["progress"]["done"], movies, "{task}");
    let model = get_json(&app.url("/api/recommendations/model"), 200);
    assert_eq!(model["id"], task["result"]["model_id"]);
    assert_eq!((model["neighbours"].as_i64(), model["min_co_raters"].as_i64()), (Some(50), Some(2)));
    assert_eq!(model["normalization"], "binary");
    assert_eq!(model["stale"], false);
    assert!(model["neighbour_rows"].as_i64().unwrap() > 0);
    let evaluation = &model["evaluation"];
    assert!(evaluation["users"].as_i64().unwrap() > 0, "{model}");
    for ranking in ["model", "popularity", "damped_mean"] {
        let hit_rate = evaluation[ranking]["hit_rate"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&hit_rate), "{model}");
    }

    let similar = get_json(&app.url("/api/movies/1/similar?limit=5"), 200);
    assert_eq!(similar["movie"]["id"], 1);
    assert_eq!(similar["model_id"], model["id"]);
    let neighbours = similar["similar"].as_array().unwrap();
    assert!(!neighbours.is_empty() && neighbours.len() <= 5, "{similar}");
    let mut previous = f64::INFINITY;
    for neighbour in neighbours {
        let similarity = neighbour["similarity"].as_f64().unwrap();
        assert!(similarity > 0.0 && similarity <= 1.0 + 1e-12 && similarity <= previous, "{similar}");
        previous = similarity;
        assert!(neighbour["co_raters"].as_i64().unwrap() >= 2);
        assert!(neighbour["movie"]["title"].is_string() && neighbour["movie"]["genres"].is_array());
        assert_ne!(neighbour["movie"]["id"], 1, "a movie is not its own neighbour");
    }
    let default = get_json(&app.url("/api/movies/1/similar"), 200);
    assert!(default["similar"].as_array().unwrap().len() <= 10, "the default limit is 10");
}

#[test]
fn recommendations_never_include_a_rated_movie_and_name_only_rated_movies_as_the_reason() {
    let app = app(None);
    build(&app, json!({}));
    for user_id in [1, 2, 3, 10, 25] {
        let rated = rated_by(&app, user_id);
        let answer = get_json(&app.url(&format!("/api/users/{user_id}/recommendations?limit=50")), 200);
        let picks = answer["recommendations"].as_array().unwrap();
        assert!(!picks.is_empty(), "user {user_id}: {answer}");
        let mut previous = f64::INFINITY;
        for pick in picks {
            let movie = pick["movie"]["id"].as_i64().unwrap();
            assert!(!rated.contains(&movie), "user {user_id} already rated {movie}");
            let score = pick["score"].as_f64().unwrap();
            assert!(score > 0.0 && score <= previous, "{answer}");
            previous = score;
            let because = pick["because"].as_array().unwrap();
            assert!(!because.is_empty() && because.len() <= 3, "{pick}");
            for reason in because {
                assert!(rated.contains(&reason["movie"]["id"].as_i64().unwrap()), "{pick}");
                assert!(reason["contribution"].as_f64().unwrap() > 0.0);
            }
        }
    }
}

#[test]
fn genre_keeps_only_picks_of_that_genre_and_an_unknown_genre_is_a_400() {
    let app = app(None);
    build(&app, json!({}));
    let all = get_json(&app.url("/api/users/1/recommendations?limit=50"), 200);
    let genre = all["recommendations"][0]["movie"]["genres"][0].as_str().unwrap().to_string();
    let url = app.url(&format!("/api/users/1/recommendations?limit=50&genre={}", genre.replace(' ', "%20")));
    let filtered = get_json(&url, 200);
    assert_eq!(filtered["genre"], genre.as_str());
    let picks = filtered["recommendations"].as_array().unwrap();
    assert!(!picks.is_empty());
    for pick in picks {
        let genres: Vec<&str> =
            pick["movie"]["genres"].as_array().unwrap().iter().map(|g| g.as_str().unwrap()).collect();
        assert!(genres.contains(&genre.as_str()), "{pick}");
    }
    let unknown = get_json(&app.url("/api/users/1/recommendations?genre=NoSuchGenre"), 400);
    assert_eq!(unknown["code"], "invalid_request");
}

#[test]
fn unknown_movies_and_users_are_404_and_bad_limits_are_400() {
    let app = app(None);
    build(&app, json!({}));
    assert_eq!(get_json(&app.url("/api/movies/999999999/similar"), 404)["code"], "not_found");
    assert_eq!(get_json(&app.url("/api/users/999999999/recommendations"), 404)["code"], "not_found");
    for path in [
        "/api/movies/1/similar?limit=0",
        "/api/movies/1/similar?limit=51",
        "/api/movies/1/similar?limit=ten",
        "/api/users/1/recommendations?limit=51",
        "/api/movies/0/similar",
        "/api/users/-3/recommendations",
    ] {
        assert_eq!(get_json(&app.url(path), 400)["code"], "invalid_request", "{path}");
    }
    // A movie that nobody rated is in the catalogue but not in the model.
    app.db
        .connect()
        .execute(
            "INSERT INTO movies (movie_id, title, year, genres) VALUES (999999990, 'Unseen (2026)', 2026, 'Drama')",
            [],
        )
        .unwrap();
    let unseen = get_json(&app.url("/api/movies/999999990/similar"), 404);
    assert!(unseen["message"].as_str().unwrap().contains("no neighbours"), "{unseen}");
}

#[test]
fn a_build_that_would_change_nothing_is_skipped_unless_forced_and_a_data_change_marks_the_model_stale() {
    let app = app(None);
    let first = build(&app, json!({}));
    let skipped = build(&app, json!({}));
    assert_eq!(skipped["result"]["built"], false, "{skipped}");
    assert_eq!(skipped["result"]["model_id"], first["result"]["model_id"]);
    let forced = build(&app, json!({"force": true}));
    assert_eq!(forced["result"]["built"], true, "{forced}");
    assert_ne!(forced["result"]["model_id"], first["result"]["model_id"]);
    let other = build(&app, json!({"neighbours": 5}));
    assert_eq!(other["result"]["built"], true, "other parameters build: {other}");
    let models: i64 =
        app.db.connect().query_row("SELECT count(*) FROM recommendation_models", [], |r| r.get(0)).unwrap();
    assert_eq!(models, 1, "replaced models are deleted");
    app.db.connect().execute("UPDATE ratings SET rating = 5.0 WHERE id = 1", []).unwrap();
    assert_eq!(get_json(&app.url("/api/recommendations/model"), 200)["stale"], true);
    let rebuilt = build(&app, json!({"neighbours": 5}));
    assert_eq!(rebuilt["result"]["built"], true, "changed data builds: {rebuilt}");
}

#[test]
fn bad_build_arguments_are_refused_before_anything_is_queued() {
    let app = app(None);
    let refused = |args: Value| {
        let (status, body) =
            post_json(&app.url("/api/tasks"), TOKEN, &json!({"name": "recommendations.build", "args": args}));
        assert_eq!(status, 400, "{body}");
        body["details"].as_str().unwrap().to_string()
    };
    let details = refused(json!({"neighbours": 0, "threads": 1000}));
    assert!(details.contains("args.neighbours") && details.contains("args.threads"), "{details}");
    assert!(refused(json!({"normalization": "cubic"})).contains("args.normalization"));
    assert!(refused(json!({"min_co_raters": -1})).contains("args.min_co_raters"));
    assert!(refused(json!({"sleep": 1})).contains("args.sleep"));
    let tasks: i64 = app.db.connect().query_row("SELECT count(*) FROM job_results", [], |r| r.get(0)).unwrap();
    assert_eq!(tasks, 0, "nothing was queued");
}

#[test]
fn the_recommendations_refresh_schedule_is_defined_in_code() {
    let app = app(None);
    let list = wait_for("the code's schedules", || {
        let (status, _, body) =
            send("GET", &app.url("/api/schedules"), &[("Authorization", &format!("Bearer {TOKEN}"))], None);
        let list: Value = serde_json::from_str(&body).ok()?;
        (status == 200 && list.to_string().contains("recommendations_refresh")).then_some(list)
    });
    let text = list.to_string();
    assert!(text.contains("recommendations.build"), "{text}");
}

#[test]
fn the_model_description_documents_only_the_statuses_it_can_return() {
    let spec: Value = serde_json::from_str(&movielens::api::spec_json()).unwrap();
    let operation = &spec["paths"]["/api/recommendations/model"]["get"];
    assert!(operation["parameters"].as_array().is_none_or(Vec::is_empty), "it takes no parameters: {operation}");
    let mut statuses: Vec<&str> = operation["responses"].as_object().unwrap().keys().map(String::as_str).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, ["200", "500", "503"], "no parameter to refuse (400), nothing to look up (404)");
    // Whatever a client adds, the answer is still the 503 (or the model), never a 400.
    let app = app(None);
    for path in [
        "/api/recommendations/model?limit=abc",
        "/api/recommendations/model?genre=&genre=",
        "/api/recommendations/model?x=%FF",
    ] {
        assert_eq!(get(&app.url(path)).0, 503, "{path}");
    }
}

/// A user's picks as the model's definition gives them, straight from the tables: each rated
/// movie's first `score_neighbours` neighbours, weighted by the rating minus the user's mean,
/// summed per movie the user has not rated; as (movie, score), best first.
fn picks_from_the_tables(app: &TestApp, user_id: i64) -> Vec<(i64, f64)> {
    let conn = app.db.connect();
    let (model_id, per_movie): (i64, i64) = conn
        .query_row(
            "SELECT m.id, m.score_neighbours FROM recommendation_current c
             JOIN recommendation_models m ON m.id = c.model_id",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    let mut statement = conn.prepare("SELECT movie_id, rating FROM ratings WHERE user_id = ?1").unwrap();
    let ratings: Vec<(i64, f64)> =
        statement.query_map([user_id], |row| Ok((row.get(0)?, row.get(1)?))).unwrap().map(Result::unwrap).collect();
    let mean = ratings.iter().map(|(_, rating)| rating).sum::<f64>() / ratings.len() as f64;
    let rated: std::collections::HashSet<i64> = ratings.iter().map(|&(movie, _)| movie).collect();
    let mut neighbours = conn
        .prepare(
            "SELECT neighbour_id, similarity FROM recommendation_neighbours
             WHERE model_id = ?1 AND movie_id = ?2 AND rank <= ?3",
        )
        .unwrap();
    let mut scores = std::collections::HashMap::<i64, f64>::new();
    for &(movie, rating) in &ratings {
        let rows = neighbours.query_map([model_id, movie, per_movie], |row| Ok((row.get(0)?, row.get(1)?))).unwrap();
        for (neighbour, similarity) in rows.map(Result::unwrap).collect::<Vec<(i64, f64)>>() {
            if !rated.contains(&neighbour) {
                *scores.entry(neighbour).or_default() += similarity * (rating - mean);
            }
        }
    }
    let mut picks: Vec<(i64, f64)> = scores.into_iter().filter(|&(_, score)| score > 0.0).collect();
    picks.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    picks
}

#[test]
fn served_picks_and_scores_equal_the_sums_computed_from_the_tables() {
    let app = app(None);
    build(&app, json!({}));
    for user_id in [1, 2, 7, 19] {
        let expected = picks_from_the_tables(&app, user_id);
        let answer = get_json(&app.url(&format!("/api/users/{user_id}/recommendations?limit=50")), 200);
        let served: Vec<(i64, f64)> = answer["recommendations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|pick| (pick["movie"]["id"].as_i64().unwrap(), pick["score"].as_f64().unwrap()))
            .collect();
        assert_eq!(served.len(), expected.len().min(50), "user {user_id}");
        for ((movie, score), (expected_movie, expected_score)) in served.iter().zip(&expected) {
            assert_eq!(movie, expected_movie, "user {user_id}: {served:?}");
            assert!((score - expected_score).abs() < 1e-9, "user {user_id}, movie {movie}: {score} {expected_score}");
        }
    }
}

#[test]
fn a_movie_deleted_after_its_model_was_first_served_is_never_recommended_and_the_limit_is_still_met() {
    let app = app(None);
    build(&app, json!({}));
    let before = get_json(&app.url("/api/users/1/recommendations?limit=5"), 200);
    let top = before["recommendations"][0]["movie"]["id"].as_i64().unwrap();
    let auth = format!("Bearer {TOKEN}");
    let (status, _, body) = send("DELETE", &app.url(&format!("/api/movies/{top}")), &[("Authorization", &auth)], None);
    assert!(status == 200 || status == 204, "{status}: {body}");
    let after = get_json(&app.url("/api/users/1/recommendations?limit=5"), 200);
    let picks = after["recommendations"].as_array().unwrap();
    assert_eq!(picks.len(), 5, "{after}");
    for pick in picks {
        assert_ne!(pick["movie"]["id"], top, "{after}");
        for reason in pick["because"].as_array().unwrap() {
            assert_ne!(reason["movie"]["id"], top, "{after}");
        }
    }
    let expected: Vec<i64> = picks_from_the_tables(&app, 1).into_iter().take(5).map(|(movie, _)| movie).collect();
    let served: Vec<i64> = picks.iter().map(|pick| pick["movie"]["id"].as_i64().unwrap()).collect();
    assert_eq!(served, expected);
}

/// The server keeps the names it gave picks, for one data version: an edit through the API, and
/// one by another connection to the file, are both in the next answer.
#[test]
fn picks_are_named_as_the_data_is_now_after_edits_through_the_api_and_by_another_process() {
    let app = app(None);
    build(&app, json!({}));
    let before = get_json(&app.url("/api/users/1/recommendations?limit=5"), 200);
    let top = before["recommendations"][0]["movie"]["id"].as_i64().unwrap();
    let reason = before["recommendations"][0]["because"][0]["movie"]["id"].as_i64().unwrap();
    let auth = format!("Bearer {TOKEN}");
    let body = json!({"title": "Renamed Through The API (1999)"}).to_string();
    let (status, _, answer) = send(
        "PATCH",
        &app.url(&format!("/api/movies/{top}")),
        &[("Authorization", &auth), ("Content-Type", "application/json")],
        Some(&body),
    );
    assert_eq!(status, 200, "{answer}");
    let after = get_json(&app.url("/api/users/1/recommendations?limit=5"), 200);
    assert_eq!(after["recommendations"][0]["movie"]["id"], top, "{after}");
    assert_eq!(after["recommendations"][0]["movie"]["title"], "Renamed Through The API (1999)", "{after}");

    // Another process's write: straight into the file, past the server.
    let conn = app.db.connect();
    conn.execute("UPDATE movies SET title = 'Renamed Elsewhere (2001)' WHERE movie_id = ?1", [reason]).unwrap();
    let later = get_json(&app.url("/api/users/1/recommendations?limit=5"), 200);
    let named: Vec<&Value> = later["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|pick| pick["because"].as_array().unwrap())
        .filter(|because| because["movie"]["id"] == reason)
        .collect();
    assert!(!named.is_empty(), "{later}");
    assert!(named.iter().all(|because| because["movie"]["title"] == "Renamed Elsewhere (2001)"), "{later}");
}
