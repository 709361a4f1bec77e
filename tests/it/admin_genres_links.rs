//! The admin write API for genres and links, through real HTTP against a real SQLite file.

use crate::admin_support;
use crate::common;

use admin_support::{assert_error, assert_fields, assert_no_drift, delete, spawn, write, write_as};
use common::get_json;

#[test]
fn a_genre_is_created_renamed_and_its_name_is_unique_without_regard_to_case() {
    let (app, _data) = spawn();
    let (status, body) = write(&app, "POST", "/api/genres", r#"{"name": " Film-Noir "}"#);
    assert_eq!(status, 201, "{body}");
    assert_eq!((body["name"].as_str(), body["movie_count"].as_i64()), (Some("Film-Noir"), Some(0)));
    get_json(&app.url("/api/genres/film-noir"), 200);
    assert_error(&write(&app, "POST", "/api/genres", r#"{"name": "film-NOIR"}"#), 409, "conflict", "Film-Noir");

    get_json(&app.url("/api/movies/3"), 200); // cached now
    let (status, body) = write(&app, "PATCH", "/api/genres/sci-fi", r#"{"name": "Science Fiction"}"#);
    assert_eq!((status, body["name"].as_str(), body["movie_count"].as_i64()), (200, Some("Science Fiction"), Some(1)));
    assert_eq!(get_json(&app.url("/api/movies/3"), 200)["genres"], serde_json::json!(["Science Fiction"]));
    assert_error(
        &write(&app, "PATCH", "/api/genres/Science%20Fiction", r#"{"name": "drama"}"#),
        409,
        "conflict",
        "Drama",
    );
    assert_error(&write(&app, "PATCH", "/api/genres/Western", r#"{"name": "Westerns"}"#), 404, "not_found", "Western");
    assert_no_drift(&app);
}

#[test]
fn every_problem_of_a_genre_body_is_listed_and_nothing_is_written() {
    let (app, _data) = spawn();
    assert_fields(&write(&app, "POST", "/api/genres", r#"{"name": "   "}"#), &["name"]);
    assert_fields(&write(&app, "POST", "/api/genres", r#"{"name": "War|Peace"}"#), &["name"]);
    assert_fields(&write(&app, "POST", "/api/genres", r#"{"name": 5}"#), &["name"]);
    assert_fields(&write(&app, "POST", "/api/genres", &format!(r#"{{"name": "{}"}}"#, "g".repeat(101))), &["name"]);
    assert_fields(&write(&app, "PATCH", "/api/genres/Drama", r#"{}"#), &["name"]);
    assert_eq!(app.db.count("genres"), 8);
}

#[test]
fn a_genre_in_use_is_deleted_only_when_asked_to_detach_it() {
    let (app, _data) = spawn();
    get_json(&app.url("/api/movies/2"), 200); // cached now
    let refused = delete(&app, "/api/genres/comedy");
    assert_error(&refused, 409, "conflict", "used by 2 movies");
    assert!(refused.1["message"].as_str().unwrap().contains("detach=true"), "{}", refused.1);
    assert_eq!(app.db.count("movie_genres"), 9);

    assert_eq!(delete(&app, "/api/genres/comedy?detach=true").0, 204);
    get_json(&app.url("/api/genres/Comedy"), 404);
    assert_eq!(get_json(&app.url("/api/movies/2"), 200)["genres"], serde_json::json!(["Drama", "Romance"]));
    assert_eq!(app.db.count("movie_genres"), 7);
    assert_eq!(write(&app, "POST", "/api/genres", r#"{"name": "Unused"}"#).0, 201);
    assert_eq!(delete(&app, "/api/genres/unused").0, 204);
    assert_error(&delete(&app, "/api/genres/unused"), 404, "not_found", "unused");
    assert_no_drift(&app);
}

#[test]
fn genre_writes_need_the_admin_token() {
    let (app, _data) = spawn();
    for (method, path, body) in [
        ("POST", "/api/genres", Some(r#"{"name": "X"}"#)),
        ("PATCH", "/api/genres/Drama", Some(r#"{"name": "X"}"#)),
        ("DELETE", "/api/genres/Drama?detach=true", None),
    ] {
        assert_error(&write_as(&app, None, method, path, body), 401, "unauthorized", "token");
        assert_error(&write_as(&app, Some("wrong"), method, path, body), 403, "forbidden", "token");
    }
    assert_eq!(app.db.count("genres"), 8);
}

#[test]
fn a_link_is_created_changed_and_deleted_and_a_movie_has_at_most_one() {
    let (app, _data) = spawn();
    assert_eq!(write(&app, "POST", "/api/movies", r#"{"title": "Heat (1995)", "genres": []}"#).0, 201);
    get_json(&app.url("/api/movies/4"), 200); // cached now, without links
    let (status, body) = write(&app, "POST", "/api/links", r#"{"movie_id": 4, "imdb_id": "113277", "tmdb_id": 949}"#);
    assert_eq!(status, 201, "{body}");
    assert_eq!((body["imdb_id"].as_str(), body["tmdb_id"].as_i64()), (Some("0113277"), Some(949)));
    assert_eq!(get_json(&app.url("/api/movies/4"), 200)["links"]["imdb_id"], "0113277");
    assert_eq!(get_json(&app.url("/api/links?imdb_id=tt0113277"), 200)["movie_id"], 4);

    let again = write(&app, "POST", "/api/links", r#"{"movie_id": 4, "imdb_id": "1"}"#);
    assert_error(&again, 409, "conflict", "movie 4 has a link");
    assert_error(&write(&app, "POST", "/api/links", r#"{"movie_id": 999, "imdb_id": "1"}"#), 404, "not_found", "999");

    let (status, body) = write(&app, "PATCH", "/api/links/4", r#"{"tmdb_id": null}"#);
    assert_eq!((status, body.get("tmdb_id"), body["imdb_id"].as_str()), (200, None, Some("0113277")), "{body}");
    let (status, body) = write(&app, "PATCH", "/api/links/4", r#"{"imdb_id": "12345678", "tmdb_id": 5}"#);
    assert_eq!((status, body["imdb_id"].as_str(), body["tmdb_id"].as_i64()), (200, Some("12345678"), Some(5)));
    assert_error(&write(&app, "PATCH", "/api/links/999", r#"{"tmdb_id": 5}"#), 404, "not_found", "999");

    assert_eq!(delete(&app, "/api/links/4").0, 204);
    get_json(&app.url("/api/links/4"), 404);
    assert!(get_json(&app.url("/api/movies/4"), 200).get("links").is_none());
    assert_error(&delete(&app, "/api/links/4"), 404, "not_found", "4");
}

#[test]
fn every_problem_of_a_link_body_is_listed_at_once() {
    let (app, _data) = spawn();
    let answer = write(&app, "POST", "/api/links", r#"{"movie_id": 0, "imdb_id": "tt0114709", "tmdb_id": -1}"#);
    assert_fields(&answer, &["imdb_id", "movie_id", "tmdb_id"]);
    assert_fields(
        &write(&app, "POST", "/api/links", r#"{"movie_id": 1.5, "imdb_id": 114709}"#),
        &["imdb_id", "movie_id"],
    );
    assert_fields(&write(&app, "PATCH", "/api/links/1", r#"{"imdb_id": "", "tmdb_id": "x"}"#), &["imdb_id", "tmdb_id"]);
    for (method, path, body) in
        [("POST", "/api/links", Some(r#"{"movie_id": 1, "imdb_id": "1"}"#)), ("DELETE", "/api/links/1", None)]
    {
        assert_error(&write_as(&app, None, method, path, body), 401, "unauthorized", "token");
        assert_error(&write_as(&app, Some("wrong"), method, path, body), 403, "forbidden", "token");
    }
    assert_eq!(app.db.count("links"), 3);
}
