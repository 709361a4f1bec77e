//! The admin write API for ratings and tags, through real HTTP against a real SQLite file.

use crate::admin_support;
use crate::common;

use admin_support::{assert_error, assert_fields, assert_no_drift, delete, spawn, write, write_as};
use common::get_json;

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn every_problem_of_a_rating_body_is_listed_at_once() {
    let (app, _data) = spawn();
    let rules =
        write(&app, "POST", "/api/ratings", r#"{"user_id": 0, "movie_id": -1, "rating": 4.3, "timestamp": -5}"#);
    assert_fields(&rules, &["movie_id", "rating", "timestamp", "user_id"]);
    let types =
        write(&app, "POST", "/api/ratings", r#"{"user_id": "1", "movie_id": 1.5, "rating": "4", "timestamp": null}"#);
    assert_fields(&types, &["movie_id", "rating", "timestamp", "user_id"]);
    assert_fields(&write(&app, "POST", "/api/ratings", r#"{"rating": 5.5}"#), &["movie_id", "rating", "user_id"]);
    assert_fields(&write(&app, "POST", "/api/ratings", r#"{"user_id": 1, "movie_id": 1, "rating": 0}"#), &["rating"]);
    assert_fields(&write(&app, "PATCH", "/api/ratings/1", r#"{"rating": 0.25, "user_id": 0}"#), &["rating", "user_id"]);
    assert_eq!(app.db.count("ratings"), 3, "nothing was written");
}

#[test]
fn a_rating_for_an_unknown_movie_is_a_404_naming_it() {
    let (app, _data) = spawn();
    let answer = write(&app, "POST", "/api/ratings", r#"{"user_id": 1, "movie_id": 999999, "rating": 4}"#);
    assert_error(&answer, 404, "not_found", "no movie has id 999999");
    assert_error(&write(&app, "PATCH", "/api/ratings/1", r#"{"movie_id": 424242}"#), 404, "not_found", "424242");
    assert_error(&write(&app, "PATCH", "/api/ratings/777", r#"{"rating": 3}"#), 404, "not_found", "777");
    assert_error(&delete(&app, "/api/ratings/777"), 404, "not_found", "777");
}

#[test]
fn a_rating_without_a_timestamp_is_stamped_now() {
    let (app, _data) = spawn();
    let before = unix_now();
    let (status, body) = write(&app, "POST", "/api/ratings", r#"{"user_id": 9, "movie_id": 3, "rating": 2.5}"#);
    assert_eq!(status, 201, "{body}");
    let stamped = body["timestamp"].as_i64().unwrap();
    assert!((before - 1..=unix_now() + 1).contains(&stamped), "{stamped} is not now");
}

#[test]
fn a_rating_update_moves_it_between_movies_and_every_figure_follows_at_once() {
    let (app, _data) = spawn();
    // Cache the answers the update changes. Rating 1 is user 1's 4.0 for movie 1.
    get_json(&app.url("/api/movies/1"), 200);
    get_json(&app.url("/api/movies/2"), 200);
    get_json(&app.url("/api/users/1"), 200);
    get_json(&app.url("/api/genres"), 200);
    let (status, body) = write(&app, "PATCH", "/api/ratings/1", r#"{"movie_id": 2, "rating": 5.0}"#);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["movie_id"].as_i64(), body["rating"].as_f64(), body["user_id"].as_i64()),
        (Some(2), Some(5.0), Some(1))
    );
    assert_eq!(get_json(&app.url("/api/movies/1"), 200)["ratings"]["count"], 0);
    let two = get_json(&app.url("/api/movies/2"), 200);
    assert_eq!((two["ratings"]["count"].as_i64(), two["ratings"]["mean"].as_f64()), (Some(2), Some(2.75)));
    assert_eq!(get_json(&app.url("/api/users/1"), 200)["mean_rating"], 2.75);
    let genres = get_json(&app.url("/api/genres"), 200);
    let animation = genres.as_array().unwrap().iter().find(|genre| genre["name"] == "Animation").unwrap();
    assert_eq!(animation["rating_count"], 0);
    let top = get_json(&app.url("/api/top-rated"), 200);
    assert!(!top["results"].as_array().unwrap().iter().any(|movie| movie["id"] == 1));

    assert_eq!(delete(&app, "/api/ratings/1").0, 204);
    assert_eq!(get_json(&app.url("/api/movies/2"), 200)["ratings"]["count"], 1);
    assert_no_drift(&app);
}

#[test]
fn rating_writes_need_the_admin_token() {
    let (app, _data) = spawn();
    for (method, path, body) in [
        ("POST", "/api/ratings", Some(r#"{"user_id": 1, "movie_id": 1, "rating": 4}"#)),
        ("PATCH", "/api/ratings/1", Some(r#"{"rating": 1}"#)),
        ("DELETE", "/api/ratings/1", None),
    ] {
        assert_error(&write_as(&app, None, method, path, body), 401, "unauthorized", "token");
        assert_error(&write_as(&app, Some("wrong"), method, path, body), 403, "forbidden", "token");
    }
    assert_eq!(get_json(&app.url("/api/ratings/1"), 200)["rating"], 4.0);
}

#[test]
fn a_tag_is_stored_trimmed_changed_and_deleted_and_the_movie_shows_it_at_once() {
    let (app, _data) = spawn();
    get_json(&app.url("/api/movies/3"), 200); // cached now, without tags
    let (status, body) =
        write(&app, "POST", "/api/tags", r#"{"user_id": 5, "movie_id": 3, "tag": "  space opera ", "timestamp": 1}"#);
    assert_eq!(status, 201, "{body}");
    assert_eq!((body["tag"].as_str(), body["movie_title"].as_str()), (Some("space opera"), Some("Babylon 5")));
    let id = body["id"].as_i64().unwrap();
    assert_eq!(get_json(&app.url("/api/movies/3"), 200)["top_tags"][0]["tag"], "space opera");
    assert_eq!(get_json(&app.url(&format!("/api/tags/{id}")), 200)["tag"], "space opera");

    let at_limit = format!(r#"{{"tag": " {} "}}"#, "é".repeat(255));
    let (status, body) = write(&app, "PATCH", &format!("/api/tags/{id}"), &at_limit);
    assert_eq!((status, body["tag"].as_str().map(|tag| tag.chars().count())), (200, Some(255)), "{body}");
    assert_eq!(delete(&app, &format!("/api/tags/{id}")).0, 204);
    get_json(&app.url(&format!("/api/tags/{id}")), 404);
    assert_eq!(get_json(&app.url("/api/movies/3"), 200)["top_tags"], serde_json::json!([]));
    assert_error(&delete(&app, &format!("/api/tags/{id}")), 404, "not_found", &id.to_string());
}

#[test]
fn every_problem_of_a_tag_body_is_listed_at_once() {
    let (app, _data) = spawn();
    let too_long = format!(r#"{{"user_id": 0, "movie_id": 0, "tag": "{}", "timestamp": -1}}"#, "x".repeat(256));
    assert_fields(&write(&app, "POST", "/api/tags", &too_long), &["movie_id", "tag", "timestamp", "user_id"]);
    assert_fields(&write(&app, "POST", "/api/tags", r#"{"user_id": 1, "movie_id": 1, "tag": " \t "}"#), &["tag"]);
    assert_fields(&write(&app, "PATCH", "/api/tags/1", r#"{"tag": 7, "user_id": -3}"#), &["tag", "user_id"]);
    let unknown = write(&app, "POST", "/api/tags", r#"{"user_id": 1, "movie_id": 31337, "tag": "x"}"#);
    assert_error(&unknown, 404, "not_found", "31337");
    for (method, path, body) in
        [("POST", "/api/tags", Some(r#"{"user_id": 1, "movie_id": 1, "tag": "x"}"#)), ("DELETE", "/api/tags/1", None)]
    {
        assert_error(&write_as(&app, None, method, path, body), 401, "unauthorized", "token");
        assert_error(&write_as(&app, Some("wrong"), method, path, body), 403, "forbidden", "token");
    }
    assert_eq!(app.db.count("tags"), 2);
}

#[test]
fn null_is_refused_where_the_schema_does_not_admit_it() {
    let (app, _data) = spawn();
    let tag = write(&app, "POST", "/api/tags", r#"{"user_id": 1, "movie_id": 1, "tag": "x", "timestamp": null}"#);
    assert_fields(&tag, &["timestamp"]);
    assert_fields(
        &write(&app, "PATCH", "/api/ratings/1", r#"{"timestamp": null, "rating": null}"#),
        &["rating", "timestamp"],
    );
    assert_fields(
        &write(&app, "POST", "/api/links", r#"{"movie_id": 1, "imdb_id": "1", "tmdb_id": null}"#),
        &["tmdb_id"],
    );
    assert_fields(
        &write(&app, "POST", "/api/movies", r#"{"movie_id": null, "title": "X", "genres": []}"#),
        &["movie_id"],
    );
    assert_fields(&write(&app, "PATCH", "/api/movies/1", r#"{"genres": null}"#), &["genres"]);
    assert_eq!(app.db.count("tags"), 2);
}
