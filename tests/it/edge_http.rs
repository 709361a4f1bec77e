//! The HTTP edge: which Host headers are served and what links are built on, links that cannot
//! loop, and errors from below the app, sent as raw bytes where a client library would refuse.

use crate::common;

use std::time::Duration;

use common::{get_json, raw_exchange, send, spawn_app, spawn_app_with};

fn assert_error(body: &str, code: &str) -> serde_json::Value {
    let error: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    assert_eq!(error["code"], code, "{error}");
    assert!(error["request_id"].as_str().is_some_and(|id| !id.is_empty()), "{error}");
    error
}

/// The body of a raw HTTP response.
fn body_of(response: &str) -> &str {
    response.split_once("\r\n\r\n").map_or("", |(_, body)| body)
}

#[test]
fn a_foreign_or_malformed_host_gets_a_400_in_the_error_shape_and_a_port_is_fine() {
    let app = spawn_app(None);
    for host in ["evil.example", "evil.example:8000", "a/b?c", "localhost.evil.example"] {
        let (status, _, body) = send("GET", &app.url("/api/movies?page_size=1"), &[("host", host)], None);
        assert_eq!(status, 400, "Host: {host}: {body}");
        assert_error(&body, "invalid_request");
        assert!(!body.contains("/api/movies?"), "no link is built on a refused host: {body}");
    }
    for host in ["localhost:8000", "LOCALHOST", "127.0.0.1", "[::1]:80"] {
        let page = send("GET", &app.url("/api/movies?page_size=1"), &[("host", host)], None);
        assert_eq!(page.0, 200, "Host: {host}: {}", page.2);
    }
    let page: serde_json::Value =
        serde_json::from_str(&send("GET", &app.url("/api/movies?page_size=1"), &[("host", "localhost:8000")], None).2)
            .unwrap();
    assert_eq!(page["next"], "http://localhost:8000/api/movies?page_size=1&page=2");
}

#[test]
fn a_star_in_allowed_hosts_allows_any_well_formed_host() {
    let app = spawn_app_with(None, |serve| serve.allowed_hosts = vec!["*".to_string()]);
    assert_eq!(send("GET", &app.url("/api/health"), &[("host", "anything.example")], None).0, 200);
    assert_eq!(send("GET", &app.url("/api/health"), &[("host", "a/b?c")], None).0, 400);
}

#[test]
fn the_public_url_is_the_base_of_page_links_the_api_root_and_the_specs_server() {
    let app = spawn_app_with(None, |serve| serve.public_url = Some("https://movies.example/base".to_string()));
    let page = get_json(&app.url("/api/movies?page=2&page_size=5"), 200);
    assert_eq!(page["next"], "https://movies.example/base/api/movies?page_size=5&page=3");
    assert_eq!(page["previous"], "https://movies.example/base/api/movies?page_size=5&page=1");
    let ratings = get_json(&app.url("/api/ratings?page_size=2"), 200);
    assert!(ratings["next"].as_str().unwrap().starts_with("https://movies.example/base/api/ratings?"), "{ratings}");
    let root = get_json(&app.url("/api"), 200);
    assert_eq!(root["movies"], "https://movies.example/base/api/movies");
    assert_eq!(root["docs"], "https://movies.example/base/docs");
    let spec = get_json(&app.url("/openapi.json"), 200);
    assert_eq!(spec["servers"][0]["url"], "https://movies.example/base");
    // The public URL's host is allowed by default; a forged Host still is not.
    let (status, _, _) = send("GET", &app.url("/api/health"), &[("host", "movies.example")], None);
    assert_eq!(status, 200);
    assert_eq!(send("GET", &app.url("/api/health"), &[("host", "evil.example")], None).0, 400);
}

#[test]
fn forwarded_headers_are_ignored_without_trust_proxy_and_used_with_it() {
    let forwarded = [("x-forwarded-host", "movies.example"), ("x-forwarded-proto", "https")];
    let untrusting =
        spawn_app_with(None, |serve| serve.allowed_hosts = vec!["127.0.0.1".into(), "movies.example".into()]);
    let (status, _, body) = send("GET", &untrusting.url("/api"), &forwarded, None);
    assert_eq!(status, 200, "{body}");
    let root: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(root["movies"], untrusting.url("/api/movies"));

    let trusting = spawn_app_with(None, |serve| {
        serve.allowed_hosts = vec!["127.0.0.1".into(), "movies.example".into()];
        serve.trust_proxy = true;
    });
    let (status, _, body) = send("GET", &trusting.url("/api"), &forwarded, None);
    assert_eq!(status, 200, "{body}");
    let root: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(root["movies"], "https://movies.example/api/movies");
    // A forwarded host is checked like any other.
    let (status, _, body) = send("GET", &trusting.url("/api"), &[("x-forwarded-host", "evil.example")], None);
    assert_eq!(status, 400, "{body}");
}

/// Follows `next` links from `url`, returning the ids seen; panics on a page seen twice.
fn follow_next(mut url: String, id_of: &str) -> Vec<i64> {
    let mut seen = Vec::new();
    for _ in 0..50 {
        let page = get_json(&url, 200);
        for item in page["results"].as_array().unwrap() {
            let id = item[id_of].as_i64().unwrap();
            assert!(!seen.contains(&id), "{id} came back: following `next` loops ({url})");
            seen.push(id);
        }
        match page["next"].as_str() {
            Some(next) => url = next.to_string(),
            None => return seen,
        }
    }
    panic!("still paging after 50 pages: {url}");
}

#[test]
fn following_next_with_percent_encoded_keys_visits_each_page_once_and_ends() {
    let data = tempfile::tempdir().unwrap();
    common::write_small_dataset(data.path());
    let app = spawn_app(Some(data.path()));
    let movies = follow_next(app.url("/api/movies?%70age=1&page_size=1"), "id");
    assert_eq!(movies, [1, 2, 3]);
    let ratings = follow_next(app.url("/api/ratings?%63ursor=&page_size=1"), "id");
    assert_eq!(ratings.len(), 3);
    let spaced = get_json(&app.url("/api/movies?search=toy+story&page_size=1"), 200);
    assert!(spaced.get("next").is_none(), "{spaced}");
}

#[test]
fn malformed_chunked_framing_is_a_400_not_a_413() {
    let app = common::spawn_app_with_token(None, "letmein");
    let request = b"POST /api/ratings HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer letmein\r\n\
                    Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
                    zz\r\n{}\r\n0\r\n\r\n";
    let (response, _) = raw_exchange(app.address, request, Duration::from_secs(20));
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert_error(body_of(&response), "invalid_request");
}

#[test]
fn control_characters_or_non_ascii_in_x_request_id_get_a_new_id() {
    let app = spawn_app(None);
    for id in [&b"trace\t42"[..], b"trace\xff42"] {
        let mut request =
            b"GET /api/nothing HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Request-Id: ".to_vec();
        request.extend_from_slice(id);
        request.extend_from_slice(b"\r\n\r\n");
        let (response, _) = raw_exchange(app.address, &request, Duration::from_secs(20));
        assert!(response.starts_with("HTTP/1.1 404"), "{response}");
        let error = assert_error(body_of(&response), "not_found");
        let made_up = error["request_id"].as_str().unwrap();
        assert!(made_up.len() == 16 && made_up.bytes().all(|b| b.is_ascii_hexdigit()), "{made_up:?}");
        assert!(response.to_lowercase().contains(&format!("x-request-id: {made_up}")), "{response}");
    }
}

/// hyper refuses these before the app sees them; they still get the error shape and an id.
#[test]
fn requests_the_http_parser_refuses_get_their_status_in_the_error_shape() {
    let app = spawn_app(None);
    let head = |target: &str, headers: &str| format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n{headers}\r\n");
    let many_headers: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        ("a 100 KB URL", head(&format!("/api/health?{}", "a".repeat(100_000)), "").into_bytes(), "414", "uri_too_long"),
        (
            "a 1 MB query",
            head(&format!("/api/health?{}", "a=b&".repeat(250_000)), "").into_bytes(),
            "431",
            "headers_too_large",
        ),
        ("200 headers", head("/api/health", &many_headers).into_bytes(), "431", "headers_too_large"),
        (
            "a raw 0xFF in the path",
            b"GET /api/\xffhealth HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec(),
            "400",
            "invalid_request",
        ),
        (
            "a control character in a header",
            head("/api/health", "X-Request-Id: a\x01b\r\n").into_bytes(),
            "400",
            "invalid_request",
        ),
        ("a bad Content-Length", head("/api/health", "Content-Length: abc\r\n").into_bytes(), "400", "invalid_request"),
    ];
    for (case, request, status, code) in cases {
        let (response, closed) = raw_exchange(app.address, &request, Duration::from_secs(20));
        assert!(response.starts_with(&format!("HTTP/1.1 {status}")), "{case}: {response}");
        let error = assert_error(body_of(&response), code);
        let id_header = format!("x-request-id: {}", error["request_id"].as_str().unwrap());
        assert!(response.contains(&id_header), "{case}: {response}");
        assert!(closed, "{case}: the connection is closed after the refusal");
    }
}
