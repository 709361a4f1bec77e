//! Requests are taken as they are written, not as they might have been meant: tokens match
//! exactly, a bad token is refused before the body is read, a single-valued parameter is given
//! once, a repeated genre is one genre, and the spec bounds every integer the server bounds.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::{get_json, send, spawn_app_with_token};

const TOKEN: &str = "strict-token";

/// Sends raw bytes and returns the status code and the body of the answer.
fn raw_request(address: std::net::SocketAddr, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default();
    (status, body)
}

fn post_with_authorization(address: std::net::SocketAddr, authorization: &str, body: &str) -> (u16, String) {
    raw_request(
        address,
        &format!(
            "POST /api/ratings HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n\
             Authorization: {authorization}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

const VALID_BODY: &str = r#"{"user_id": 1, "movie_id": 1, "rating": 4.0}"#;

#[test]
fn a_token_with_extra_white_space_inside_is_refused_and_the_scheme_ignores_case() {
    let app = spawn_app_with_token(None, TOKEN);
    for authorization in
        ["Bearer  strict-token", "Bearer strict-token\tx", "Bearer strict -token", "Bearer \tstrict-token"]
    {
        let (status, body) = post_with_authorization(app.address, authorization, VALID_BODY);
        assert_eq!(status, 403, "{authorization:?} was accepted: {body}");
        assert!(body.contains("\"code\":\"forbidden\""), "{body}");
    }
    // A tab is not the space that ends the scheme: this is no bearer token at all.
    for authorization in ["Basic c3RyaWN0LXRva2Vu", "Bearer", "Bearer\tstrict-token"] {
        let (status, body) = post_with_authorization(app.address, authorization, VALID_BODY);
        assert_eq!(status, 401, "{authorization:?}: {body}");
    }
    // The scheme is case-insensitive (RFC 9110); the token is exact.
    let movie: i64 = app.db.connect().query_row("SELECT min(movie_id) FROM movies", [], |row| row.get(0)).unwrap();
    let body = format!(r#"{{"user_id": 1, "movie_id": {movie}, "rating": 4.0}}"#);
    assert_eq!(post_with_authorization(app.address, "bEARER strict-token", &body).0, 201);
    assert_eq!(post_with_authorization(app.address, "Bearer STRICT-TOKEN", &body).0, 403);
}

#[test]
fn a_bad_token_is_refused_before_the_body_is_looked_at() {
    let app = spawn_app_with_token(None, TOKEN);
    let (status, body) = post_with_authorization(app.address, "Bearer wrong", r#"{"rating": "not a number"#);
    assert_eq!(status, 403, "{body}");
    let (status, body) = raw_request(
        app.address,
        "DELETE /api/ratings/not-a-number HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 401, "{body}");
}

#[test]
fn a_single_valued_parameter_given_twice_is_refused_even_when_encoded() {
    let app = spawn_app_with_token(None, TOKEN);
    for query in ["page_size=5&page_size=500", "page_size=5&%70age_size=5", "page=1&page=1"] {
        let error = get_json(&app.url(&format!("/api/movies?{query}")), 400);
        assert_eq!(error["code"], "invalid_request");
        assert!(error["message"].as_str().unwrap().contains("given 2 times"), "{error}");
    }
    let error = get_json(&app.url("/api/ratings?cursor=1&cursor=2"), 400);
    assert_eq!(error["details"], "cursor");
    // Array parameters repeat by design.
    get_json(&app.url("/api/movies?genre=Comedy&genre=Drama&genre_match=any"), 200);
}

#[test]
fn a_repeated_genre_counts_once_whatever_its_case() {
    let app = spawn_app_with_token(None, TOKEN);
    let once = get_json(&app.url("/api/movies?genre=Comedy"), 200)["count"].as_u64().unwrap();
    assert!(once > 0);
    for query in ["genre=Comedy&genre=Comedy", "genre=Comedy&genre=comedy", "genre=COMEDY&genre=Comedy&genre=comedy"] {
        assert_eq!(get_json(&app.url(&format!("/api/movies?{query}")), 200)["count"], once, "{query}");
    }
}

#[test]
fn min_ratings_below_zero_is_refused_by_the_spec_and_the_server_alike() {
    let app = spawn_app_with_token(None, TOKEN);
    for path in ["/api/movies?min_ratings=-1", "/api/top-rated?min_ratings=-1"] {
        assert_eq!(get_json(&app.url(path), 400)["code"], "invalid_request");
    }
    let (status, _, _) = send("GET", &app.url("/api/top-rated?min_ratings=0"), &[], None);
    assert_eq!(status, 200);
}

/// Every integer schema below `value` (a parameter, a field, an item) has both bounds.
fn unbounded_integers(value: &serde_json::Value, at: &str, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if map.get("type").and_then(|kind| kind.as_str()) == Some("integer")
                && (!map.contains_key("minimum") || !map.contains_key("maximum"))
            {
                found.push(at.to_string());
            }
            for (key, child) in map {
                unbounded_integers(child, &format!("{at}/{key}"), found);
            }
        }
        serde_json::Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                unbounded_integers(child, &format!("{at}/{index}"), found);
            }
        }
        _ => {}
    }
}

#[test]
fn every_integer_in_the_spec_has_a_minimum_and_a_maximum() {
    let spec: serde_json::Value = serde_json::from_str(&movielens::api::spec_json()).unwrap();
    let mut found = Vec::new();
    unbounded_integers(&spec, "", &mut found);
    assert!(found.is_empty(), "integers without both bounds:\n{}", found.join("\n"));
}
