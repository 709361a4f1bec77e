//! Conditional GETs over real HTTP: every JSON answer to GET and HEAD has a strong ETag made from
//! its body, and `If-None-Match` naming it (in a list, weakly, or as `*`) gets a 304 with no body.

use crate::common;

use std::time::Duration;

use common::{raw_exchange, send, spawn_app_with_token, write_small_dataset, TestApp};

const TOKEN: &str = "etag-token";

/// The app over the three-movie data set, with a known admin token.
fn small_app() -> (TestApp, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    write_small_dataset(data.path());
    (spawn_app_with_token(Some(data.path()), TOKEN), data)
}

fn get_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> (u16, ureq::http::HeaderMap, String) {
    send("GET", &app.url(path), headers, None)
}

fn etag_of(headers: &ureq::http::HeaderMap) -> Option<String> {
    headers.get("etag").map(|value| value.to_str().unwrap().to_string())
}

/// GET `path`, expecting 200 and a strong ETag; returns the tag and the body.
fn tagged(app: &TestApp, path: &str) -> (String, String) {
    let (status, headers, body) = get_with(app, path, &[]);
    assert_eq!(status, 200, "GET {path}: {body}");
    let etag = etag_of(&headers).unwrap_or_else(|| panic!("GET {path} has no ETag"));
    let opaque = etag.strip_prefix('"').and_then(|rest| rest.strip_suffix('"')).expect("a quoted, strong tag");
    assert!(opaque.len() == 32 && opaque.bytes().all(|b| b.is_ascii_hexdigit()), "GET {path}: ETag {etag}");
    (etag, body)
}

fn post_rating(app: &TestApp, movie_id: i64, rating: f64, headers: &[(&str, &str)]) -> (u16, ureq::http::HeaderMap) {
    let body = format!(r#"{{"user_id": 7, "movie_id": {movie_id}, "rating": {rating}}}"#);
    let auth = format!("Bearer {TOKEN}");
    let mut all = vec![("content-type", "application/json"), ("authorization", auth.as_str())];
    all.extend_from_slice(headers);
    let (status, headers, text) = send("POST", &app.url("/api/ratings"), &all, Some(&body));
    assert_eq!(status, 201, "{text}");
    (status, headers)
}

#[test]
fn every_json_get_of_the_api_and_the_lab_answers_with_a_strong_etag() {
    let (app, _data) = small_app();
    for path in [
        "/api",
        "/api/movies",
        "/api/movies/1",
        "/api/movies/1/ratings",
        "/api/genres",
        "/api/genres/Comedy",
        "/api/top-rated",
        "/api/users/1",
        "/api/ratings",
        "/api/tags",
        "/api/links/1",
        "/api/stats",
        "/api/health",
        "/api/movies/n-plus-one?limit=2",
        "/api/movies/select-related?limit=2",
        "/api/movies/prefetch-related?limit=2",
        "/api/movies/only?limit=2",
        "/api/movies/defer?limit=2",
        "/api/movies/values?limit=2",
        "/api/movies/values-list?limit=2",
        "/api/movies/q-filters?limit=2",
        "/api/movies/index-compare?runs=1",
        "/api/movies/connection-pool",
        "/openapi.json",
    ] {
        tagged(&app, path);
    }
}

#[test]
fn the_same_body_gets_the_same_etag_and_a_rating_write_changes_both() {
    let (app, _data) = small_app();
    for path in ["/api/movies/1", "/api/genres", "/api/top-rated", "/api/movies"] {
        let (first, first_body) = tagged(&app, path);
        let (second, second_body) = tagged(&app, path);
        assert_eq!(first_body, second_body, "{path}");
        assert_eq!(first, second, "{path}: one body, one tag");
    }
    let (before, before_body) = tagged(&app, "/api/movies/1");
    let (genres_before, _) = tagged(&app, "/api/genres");
    post_rating(&app, 1, 0.5, &[]);
    let (after, after_body) = tagged(&app, "/api/movies/1");
    assert_ne!(before_body, after_body);
    assert_ne!(before, after, "a new body needs a new tag");
    assert_ne!(genres_before, tagged(&app, "/api/genres").0, "genre figures changed with the rating");
    // A client revalidating its old copy gets the new one, not a 304.
    let (status, headers, body) = get_with(&app, "/api/movies/1", &[("if-none-match", &before)]);
    assert_eq!((status, etag_of(&headers), body), (200, Some(after), after_body));
}

#[test]
fn two_servers_give_the_same_body_the_same_etag() {
    let (one, _data_one) = small_app();
    let (two, _data_two) = small_app();
    assert_eq!(tagged(&one, "/api/movies/1"), tagged(&two, "/api/movies/1"));
}

#[test]
fn if_none_match_with_the_current_etag_answers_304_with_no_body_but_the_etag_and_request_id() {
    let (app, _data) = small_app();
    // (The lab's answers report measured times, so their bodies, and tags, differ each time.)
    for path in ["/api/movies", "/api/movies/1", "/api/genres", "/api/top-rated", "/api/links/1"] {
        let (etag, _) = tagged(&app, path);
        let (status, headers, body) =
            get_with(&app, path, &[("if-none-match", &etag), ("x-request-id", "revalidate-1")]);
        assert_eq!(status, 304, "{path}");
        assert_eq!(body, "", "{path}");
        assert_eq!(etag_of(&headers).as_deref(), Some(etag.as_str()), "{path}");
        assert_eq!(headers["x-request-id"], "revalidate-1", "{path}");
        assert!(headers.get("content-type").is_none(), "{path}: a 304 describes no body");
    }
}

#[test]
fn a_304_on_the_wire_has_no_body_and_no_body_headers() {
    let (app, _data) = small_app();
    let (etag, _) = tagged(&app, "/api/movies/1");
    let request =
        format!("GET /api/movies/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: {etag}\r\nConnection: close\r\n\r\n");
    let (answer, closed) = raw_exchange(app.address, request.as_bytes(), Duration::from_secs(30));
    assert!(closed, "the server closes as asked: {answer}");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a complete head");
    assert!(head.starts_with("HTTP/1.1 304"), "{head}");
    assert_eq!(body, "");
    let head = head.to_ascii_lowercase();
    assert!(head.contains(&format!("etag: {etag}")), "{head}");
    for absent in ["content-type:", "transfer-encoding:", "content-length: 0"] {
        assert!(!head.contains(absent), "{absent} in {head}");
    }
}

#[test]
fn lists_of_tags_on_one_or_several_lines_and_weak_tags_match_by_weak_comparison() {
    let (app, _data) = small_app();
    let (etag, _) = tagged(&app, "/api/movies/1");
    let weak = format!("W/{etag}");
    let listed = format!(r#""other", {etag} ,"more""#);
    let weak_listed = format!(r#"W/"other",{weak}"#);
    let padded = format!(" ,\t, {etag} , ,");
    let long_list = format!("{}{etag}", r#""x", "#.repeat(5_000));
    for headers in [
        vec![("if-none-match", listed.as_str())],
        vec![("if-none-match", weak.as_str())],
        vec![("if-none-match", weak_listed.as_str())],
        vec![("if-none-match", padded.as_str())],
        vec![("if-none-match", long_list.as_str())],
        vec![("if-none-match", r#""other""#), ("if-none-match", etag.as_str())],
    ] {
        let (status, _, body) = get_with(&app, "/api/movies/1", &headers);
        assert_eq!((status, body.as_str()), (304, ""), "{:.80}", format!("{headers:?}"));
    }
    for unmatched in [r#""other", W/"more""#, r#""a,b""#, ""] {
        let (status, headers, _) = get_with(&app, "/api/movies/1", &[("if-none-match", unmatched)]);
        assert_eq!(status, 200, "{unmatched}");
        assert_eq!(etag_of(&headers).as_deref(), Some(etag.as_str()));
    }
}

#[test]
fn a_star_matches_any_current_representation_but_never_an_error() {
    let (app, _data) = small_app();
    for path in ["/api/movies/1", "/api/genres", "/api/movies/n-plus-one?limit=2", "/api/movies/connection-pool"] {
        let (status, headers, body) = get_with(&app, path, &[("if-none-match", "*")]);
        assert_eq!((status, body.as_str()), (304, ""), "{path}");
        assert!(etag_of(&headers).is_some(), "{path}");
    }
    let (status, headers, body) = get_with(&app, "/api/movies/999999", &[("if-none-match", "*")]);
    assert_eq!(status, 404);
    assert!(body.contains("\"not_found\""), "{body}");
    assert!(etag_of(&headers).is_none());
}

#[test]
fn malformed_if_none_match_values_are_ignored_and_the_body_is_served() {
    let (app, _data) = small_app();
    let (etag, body) = tagged(&app, "/api/movies/1");
    let opaque = etag.trim_matches('"').to_string();
    let hostile = [
        "garbage".to_string(),
        opaque.clone(),
        format!("\"{opaque}"),
        format!("w/{etag}"),
        format!("W/ {etag}"),
        format!("{etag} trailing"),
        format!("{etag}{etag}"),
        format!("*, {etag}"),
        "*, *".to_string(),
        "W/".to_string(),
        "\"".to_string(),
        "\"caf\u{e9}\" garbage".to_string(),
        format!("\"{opaque}\u{1F600}\""),
        format!("\"a\"b\", {etag}"),
    ];
    for value in &hostile {
        let (status, headers, text) = get_with(&app, "/api/movies/1", &[("if-none-match", value)]);
        let shown = &value[..value.len().min(60)];
        assert_eq!(status, 200, "{shown}: {text}");
        assert_eq!(text, body, "{shown}");
        assert_eq!(etag_of(&headers).as_deref(), Some(etag.as_str()), "{shown}");
    }
    // Raw bytes past ASCII (obs-text) are legal in a tag; they just match nothing.
    let request = b"GET /api/movies/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: \"\xff\xfe\", W/\"\x80\"\r\nConnection: close\r\n\r\n";
    let (answer, _) = raw_exchange(app.address, request, Duration::from_secs(30));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn writes_never_get_an_etag_or_a_304() {
    let (app, _data) = small_app();
    let (status, headers) = post_rating(&app, 2, 4.0, &[("if-none-match", "*")]);
    assert_eq!(status, 201);
    assert!(etag_of(&headers).is_none());
    let location = headers["location"].to_str().unwrap().to_string();
    let auth = format!("Bearer {TOKEN}");
    let (status, headers, _) =
        send("DELETE", &location, &[("authorization", auth.as_str()), ("if-none-match", "*")], None);
    assert_eq!(status, 204);
    assert!(etag_of(&headers).is_none());
}

#[test]
fn errors_never_get_an_etag_even_when_if_none_match_is_a_star() {
    let (app, _data) = small_app();
    for (path, expected) in [
        ("/api/movies/999999", 404),
        ("/api/nowhere", 404),
        ("/api/movies?page=99", 404),
        ("/api/movies?page_size=0", 400),
        ("/api/movies/not-a-number", 400),
        ("/api/genres/no-such-genre", 404),
    ] {
        for headers in [vec![], vec![("if-none-match", "*")]] {
            let (status, response_headers, body) = get_with(&app, path, &headers);
            assert_eq!(status, expected, "{path}: {body}");
            assert!(etag_of(&response_headers).is_none(), "{path}");
            assert!(body.contains("\"request_id\""), "{path}: the usual error body: {body}");
        }
    }
    let (status, headers, _) = send("PUT", &app.url("/api/movies/1"), &[("if-none-match", "*")], None);
    assert_eq!(status, 405);
    assert!(etag_of(&headers).is_none());
}

#[test]
fn head_answers_like_get_with_the_same_etag_and_no_body() {
    let (app, _data) = small_app();
    for path in ["/api/movies/1", "/api/genres", "/api/movies?page_size=2"] {
        let (etag, body) = tagged(&app, path);
        let (status, headers, text) = send("HEAD", &app.url(path), &[], None);
        assert_eq!((status, text.as_str()), (200, ""), "{path}");
        assert_eq!(etag_of(&headers).as_deref(), Some(etag.as_str()), "{path}");
        assert_eq!(headers["content-length"], body.len().to_string().as_str(), "{path}: GET's length");
        let (status, headers, _) = send("HEAD", &app.url(path), &[("if-none-match", &etag)], None);
        assert_eq!(status, 304, "{path}");
        assert_eq!(etag_of(&headers).as_deref(), Some(etag.as_str()), "{path}");
    }
    let (status, headers, _) = send("HEAD", &app.url("/api/movies/999999"), &[("if-none-match", "*")], None);
    assert_eq!(status, 404);
    assert!(etag_of(&headers).is_none());
    // On the wire: the head only, and the connection stays usable for the next request.
    let request = "HEAD /api/movies/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    let (answer, _) = raw_exchange(app.address, request.as_bytes(), Duration::from_secs(30));
    let (head, rest) = answer.split_once("\r\n\r\n").expect("a complete head");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(rest.starts_with("HTTP/1.1 200"), "the HEAD answer sent no body: {rest}");
}
