//! The debug headers: `Server-Timing` and `X-Query-Count` on every response, agreeing with the
//! statement recorder, and an admin's `?debug=true` block.

use crate::common;
use crate::inspector_support;

use common::web::request;
use common::{send, spawn_app_with};
use inspector_support::{admin_get, wait_for_requests, TOKEN};
use movielens::config::Secret;

/// The `dur` of each metric in a `Server-Timing` value, and the `db` metric's description.
fn timings(value: &str) -> (Vec<(String, f64)>, String) {
    let mut metrics = Vec::new();
    let mut description = String::new();
    for metric in value.split(", ") {
        let mut parts = metric.split(';');
        let name = parts.next().unwrap().to_string();
        for part in parts {
            if let Some(duration) = part.strip_prefix("dur=") {
                metrics.push((name.clone(), duration.parse().unwrap()));
            } else if let Some(desc) = part.strip_prefix("desc=").filter(|_| name == "db") {
                description = desc.trim_matches('"').to_string();
            }
        }
    }
    (metrics, description)
}

#[test]
fn server_timing_and_x_query_count_agree_with_the_recorder() {
    let app = spawn_app_with(None, |serve| serve.admin_token = Some(Secret(TOKEN.into())));
    for (lab, expected) in [("/api/movies/n-plus-one/?limit=4", 5), ("/api/movies/select-related/?limit=4", 1)] {
        let (status, headers, body) = send("GET", &app.url(lab), &[], None);
        assert_eq!(status, 200, "{body}");
        let report: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(report["queries_count"], expected);
        assert_eq!(headers.get("x-query-count").unwrap(), &expected.to_string(), "{lab}");
        let (metrics, description) = timings(headers.get("server-timing").unwrap().to_str().unwrap());
        let names: Vec<&str> = metrics.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["db", "cache", "app", "total"], "{lab}");
        assert_eq!(description, format!("{expected} {}", if expected == 1 { "query" } else { "queries" }));
        let (db, cache, app_time, total) = (metrics[0].1, metrics[1].1, metrics[2].1, metrics[3].1);
        // Rounded to the microsecond, as sent.
        assert!((db + cache + app_time - total).abs() < 0.005, "{metrics:?}");
        assert!(db <= total, "{metrics:?}");
        let lab_ms = report["queries_time_ms"].as_f64().unwrap();
        assert!((db - lab_ms).abs() < 0.002, "the db time is the recorder's: {db} vs {lab_ms}");
    }
    // The inspector recorded the same counts.
    let recorded = wait_for_requests(&app, "path=/api/movies/&sort=oldest", 2);
    assert_eq!(recorded[0]["queries"], 5);
    assert_eq!(recorded[1]["queries"], 1);
}

#[test]
fn errors_and_pages_carry_the_headers_too() {
    let app = spawn_app_with(None, |_| {});
    for (path, status) in [("/api/no-such-thing", 404), ("/api/movies?page_size=5&page_size=6", 400), ("/silk/", 303)] {
        let answer = request("GET", &app.url(path), &[], None);
        assert_eq!(answer.status, status, "{path}: {}", answer.body);
        assert!(answer.header("server-timing").is_some(), "{path}");
        assert_eq!(answer.header("x-query-count"), Some("0"), "{path}");
    }
}

#[test]
fn a_page_served_from_the_per_view_cache_shows_its_hit_and_no_queries() {
    let app = spawn_app_with(None, |_| {});
    let first = request("GET", &app.url("/api/cache/per-view/"), &[], None);
    assert!(first.header("server-timing").unwrap().contains("desc=\"0 hits, 1 miss\""), "{:?}", first.headers);
    assert_eq!(first.header("x-query-count"), Some("1"));
    let second = request("GET", &app.url("/api/cache/per-view/"), &[], None);
    assert_eq!(second.header("x-cache"), Some("HIT"));
    assert!(second.header("server-timing").unwrap().contains("desc=\"1 hit, 0 misses\""), "{:?}", second.headers);
    assert_eq!(second.header("x-query-count"), Some("0"));
}

#[test]
fn the_headers_can_be_turned_off() {
    let app = spawn_app_with(None, |serve| serve.inspector.debug_headers = false);
    let (_, headers, _) = send("GET", &app.url("/api/genres"), &[], None);
    assert!(headers.get("server-timing").is_none() && headers.get("x-query-count").is_none());
}

#[test]
fn an_admins_debug_request_gets_a_debug_block_and_nobody_else_does() {
    let app = spawn_app_with(None, |serve| serve.admin_token = Some(Secret(TOKEN.into())));
    let bearer = format!("Bearer {TOKEN}");
    let (status, headers, body) =
        send("GET", &app.url("/api/movies/n-plus-one/?limit=3&debug=true"), &[("Authorization", &bearer)], None);
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    let debug = &answer["_debug"];
    assert_eq!(debug["queries_count"], 4, "{debug}");
    assert_eq!(debug["queries"].as_array().unwrap().len(), 4);
    assert_eq!(debug["similar_queries"][0]["count"], 3);
    let phases: Vec<&str> =
        debug["timings"]["children"].as_array().unwrap().iter().map(|phase| phase["name"].as_str().unwrap()).collect();
    assert_eq!(phases, ["db", "cache", "app"]);
    assert!(headers.get("etag").is_none(), "the tag would name the body without the block");
    assert_eq!(answer["queries_count"], 4, "the answer itself is unchanged");

    // Cache calls show: the manual cache's lookup, and its store after a miss.
    let (_, _, body) = send("GET", &app.url("/api/cache/manual/?debug=true"), &[("Authorization", &bearer)], None);
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    let cache = &answer["_debug"]["cache"];
    let operations: Vec<&str> =
        cache["calls"].as_array().unwrap().iter().map(|c| c["operation"].as_str().unwrap()).collect();
    assert_eq!(operations, ["get", "set"], "{answer}");
    assert_eq!((cache["hits"].as_i64(), cache["misses"].as_i64()), (Some(0), Some(1)), "{answer}");

    for headers in [vec![], vec![("Authorization", "Bearer wrong")]] {
        let (status, _, body) = send("GET", &app.url("/api/movies/n-plus-one/?limit=3&debug=true"), &headers, None);
        assert_eq!(status, 200);
        let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(answer.get("_debug").is_none(), "{headers:?}: {body}");
    }
    let _ = admin_get(&app, "/api/profiling/requests/summary");
}
