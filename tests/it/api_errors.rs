//! Every kind of bad request gets the one JSON error shape, with the right status and headers;
//! writes need the admin token; the committed spec matches the code.

use crate::common;

use common::{get_json, send, spawn_app};

fn assert_error_shape(body: &str, code: &str) -> serde_json::Value {
    let error: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    assert_eq!(error["code"], code, "{error}");
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{error}");
    assert!(error["request_id"].as_str().is_some_and(|id| !id.is_empty()), "{error}");
    error
}

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json")).unwrap();
    assert!(
        committed.trim_end() == movielens::api::spec_json().trim_end(),
        "openapi/openapi.json is stale: run `cargo run -- openapi > openapi/openapi.json`"
    );
}

#[test]
fn unknown_routes_are_a_json_404() {
    let app = spawn_app(None);
    let (status, headers, body) = send("GET", &app.url("/api/nothing-here"), &[], None);
    assert_eq!(status, 404);
    let error = assert_error_shape(&body, "not_found");
    assert_eq!(headers["x-request-id"].to_str().unwrap(), error["request_id"]);
}

#[test]
fn a_wrong_method_is_a_405_with_allow() {
    let app = spawn_app(None);
    let (status, headers, body) = send("PUT", &app.url("/api/movies/1"), &[], None);
    assert_eq!(status, 405);
    assert_error_shape(&body, "method_not_allowed");
    assert_eq!(headers["allow"], "DELETE, GET, PATCH, HEAD");
    let (status, headers, _) = send("PATCH", &app.url("/api/ratings/"), &[], None);
    assert_eq!(status, 405);
    assert_eq!(headers["allow"], "GET, POST, HEAD");
}

#[test]
fn unparsable_path_and_query_parameters_are_a_json_400() {
    let app = spawn_app(None);
    for path in [
        "/api/movies/abc",
        "/api/movies?page=zero",
        "/api/movies?sort=sideways",
        "/api/users/-4",
        "/api/movies?genre=Nope",
    ] {
        let (status, _, body) = send("GET", &app.url(path), &[], None);
        assert_eq!(status, 400, "{path}: {body}");
        assert_error_shape(&body, "invalid_request");
    }
}

#[test]
fn a_missing_record_is_a_json_404() {
    let app = spawn_app(None);
    for path in ["/api/movies/999999999", "/api/users/99999999", "/api/genres/Polka", "/api/links/999999999"] {
        let (status, _, body) = send("GET", &app.url(path), &[], None);
        assert_eq!(status, 404, "{path}: {body}");
        assert_error_shape(&body, "not_found");
    }
}

#[test]
fn writes_need_the_admin_token() {
    let app = spawn_app(None);
    let rating = r#"{"user_id": 1, "movie_id": 1, "rating": 4.5}"#;
    let json = ("content-type", "application/json");
    let (status, _, body) = send("POST", &app.url("/api/ratings"), &[json], Some(rating));
    assert_eq!(status, 401);
    assert_error_shape(&body, "unauthorized");
    let (status, _, body) =
        send("POST", &app.url("/api/ratings"), &[json, ("authorization", "Bearer wrong")], Some(rating));
    assert_eq!(status, 403);
    assert_error_shape(&body, "forbidden");
    let (status, _, body) = send("DELETE", &app.url("/api/ratings/1"), &[], None);
    assert_eq!(status, 401, "{body}");
}

#[test]
fn a_rating_written_with_the_token_updates_the_movies_stats_and_can_be_deleted() {
    let app = common::spawn_app_with_token(None, "letmein");
    let bearer = ("authorization", "Bearer letmein");
    let before = get_json(&app.url("/api/movies/1"), 200)["ratings"].clone();
    let (status, _, body) = send(
        "POST",
        &app.url("/api/ratings"),
        &[("content-type", "application/json"), bearer],
        Some(r#"{"user_id": 7, "movie_id": 1, "rating": 0.5, "timestamp": 1700000000}"#),
    );
    assert_eq!(status, 201, "{body}");
    let created: serde_json::Value = serde_json::from_str(&body).unwrap();
    let after = get_json(&app.url("/api/movies/1"), 200)["ratings"].clone();
    assert_eq!(after["count"], before["count"].as_i64().unwrap() + 1);
    assert_eq!(after["histogram"][0]["count"], before["histogram"][0]["count"].as_i64().unwrap() + 1);

    let rating_url = app.url(&format!("/api/ratings/{}", created["id"]));
    assert_eq!(send("DELETE", &rating_url, &[bearer], None).0, 204);
    assert_eq!(get_json(&app.url("/api/movies/1"), 200)["ratings"], before);
    assert_eq!(send("DELETE", &rating_url, &[bearer], None).0, 404);

    let (status, _, body) = send(
        "POST",
        &app.url("/api/ratings"),
        &[("content-type", "application/json"), bearer],
        Some(r#"{"user_id": 7, "movie_id": 999999999, "rating": 4.0}"#),
    );
    // An unknown referenced record is a 404 that names it, as for every admin write.
    assert_eq!(status, 404, "{body}");
    assert_error_shape(&body, "not_found");
    assert!(body.contains("no movie has id 999999999"), "{body}");
}

#[test]
fn bodies_of_the_wrong_type_or_size_are_refused() {
    let app = common::spawn_app_with_token(None, "size-token");
    let bearer = ("authorization", "Bearer size-token");
    let (status, _, body) =
        send("POST", &app.url("/api/ratings"), &[("content-type", "text/plain"), bearer], Some("4.5"));
    assert_eq!(status, 415, "{body}");
    assert_error_shape(&body, "unsupported_media_type");
    let huge = format!(r#"{{"user_id": 1, "movie_id": 1, "rating": 4.5, "pad": "{}"}}"#, "x".repeat(100_000));
    let (status, _, body) =
        send("POST", &app.url("/api/ratings"), &[("content-type", "application/json"), bearer], Some(&huge));
    assert_eq!(status, 413);
    assert_error_shape(&body, "payload_too_large");
}

#[test]
fn request_ids_are_echoed_or_made_up() {
    let app = spawn_app(None);
    let (_, headers, _) = send("GET", &app.url("/api/health"), &[("x-request-id", "trace-42")], None);
    assert_eq!(headers["x-request-id"], "trace-42");
    let (_, headers, _) = send("GET", &app.url("/api/health"), &[], None);
    assert_eq!(headers["x-request-id"].len(), 16);
}

#[test]
fn trailing_slashes_do_not_matter() {
    let app = spawn_app(None);
    assert_eq!(get_json(&app.url("/api/movies/"), 200)["count"], get_json(&app.url("/api/movies"), 200)["count"]);
    assert_eq!(get_json(&app.url("/api/movies/1/"), 200)["id"], 1);
}
