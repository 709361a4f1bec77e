//! The cache over HTTP, on both backends: the seed's three strategies, the per-view middleware's
//! rules, writes that are seen at once, an outage of Redis, and two instances sharing one.

use crate::common;

use std::time::{Duration, Instant};

use common::redis_server::RedisServer;
use common::{get_json, send, spawn_app_with, start_server, terminate, write_small_dataset, TempDb, TestApp};
use serde_json::Value;

const TOKEN: &str = "cache-token";

/// An app over the small data set, with the in-process cache or, given a URL, Redis.
fn app(redis_url: Option<String>) -> (tempfile::TempDir, TestApp) {
    let data = tempfile::tempdir().unwrap();
    write_small_dataset(data.path());
    let app = spawn_app_with(Some(data.path()), move |serve| {
        serve.admin_token = Some(movielens::config::Secret(TOKEN.to_string()));
        serve.cache.url = redis_url;
    });
    (data, app)
}

/// Runs `check` on the in-process cache, then on a Redis of its own (or says loudly it cannot).
fn on_both_backends(check: impl Fn(&TestApp, &str)) {
    let (_data, app_in_process) = app(None);
    check(&app_in_process, "in-process");
    let Some(redis) = RedisServer::start_or_skip() else { return };
    let (_data, app_on_redis) = app(Some(redis.url()));
    check(&app_on_redis, "redis");
}

fn get_with(url: &str, headers: &[(&str, &str)]) -> (u16, ureq::http::HeaderMap, Value) {
    let (status, headers, body) = send("GET", url, headers, None);
    (status, headers, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn header<'a>(headers: &'a ureq::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|value| value.to_str().unwrap())
}

fn post_rating(app: &TestApp, movie_id: i64, rating: f64) {
    let body = format!(r#"{{"user_id": 99, "movie_id": {movie_id}, "rating": {rating}}}"#);
    let headers = [("content-type", "application/json"), ("authorization", "Bearer cache-token")];
    let (status, _, body) = send("POST", &app.url("/api/ratings"), &headers, Some(&body));
    assert_eq!(status, 201, "{body}");
}

#[test]
fn the_manual_and_partial_caches_miss_once_then_hit() {
    on_both_backends(|app, backend| {
        let first = get_json(&app.url("/api/cache/manual/"), 200);
        let second = get_json(&app.url("/api/cache/manual"), 200);
        assert_eq!((first["cache_status"].as_str(), second["cache_status"].as_str()), (Some("MISS"), Some("HIT")));
        assert_eq!(first["cached_at"], second["cached_at"], "{backend}");
        assert_eq!(first["data"], second["data"]);
        assert_eq!(first["data"][0], serde_json::json!({"id": 1, "title": "Toy Story (1995)"}));

        let first = get_json(&app.url("/api/cache/partial/"), 200);
        std::thread::sleep(Duration::from_millis(5));
        let second = get_json(&app.url("/api/cache/partial/"), 200);
        assert_eq!((first["cache_status"].as_str(), second["cache_status"].as_str()), (Some("MISS"), Some("HIT")));
        assert_eq!(first["expensive_data"], second["expensive_data"], "{backend}");
        assert_eq!(first["expensive_data"][1]["genres"], serde_json::json!(["Comedy", "Drama", "Romance"]));
        assert_ne!(first["current_timestamp"], second["current_timestamp"], "the timestamp is always fresh");

        let stats = get_json(&app.url("/api/cache/stats"), 200);
        assert_eq!(stats["backend"], if backend == "redis" { "redis" } else { "memory" });
        assert!(stats["entries"].as_u64().unwrap() >= 2, "the entries just stored count: {stats}");
        let manual = stats["prefixes"].as_array().unwrap().iter().find(|row| row["prefix"] == "manual").unwrap();
        assert_eq!((manual["hits"].as_u64(), manual["misses"].as_u64()), (Some(1), Some(1)), "{stats}");
    });
}

#[test]
fn the_per_view_cache_keeps_the_whole_answer_with_its_tag_and_freshness() {
    on_both_backends(|app, backend| {
        let url = app.url("/api/cache/per-view/");
        let (status, miss_headers, miss) = get_with(&url, &[]);
        assert_eq!(status, 200);
        let (_, hit_headers, hit) = get_with(&url, &[]);
        assert_eq!((header(&miss_headers, "x-cache"), header(&hit_headers, "x-cache")), (Some("MISS"), Some("HIT")));
        assert_eq!((miss["cache_status"].as_str(), hit["cache_status"].as_str()), (Some("MISS"), Some("HIT")));
        assert_eq!(miss["timestamp"], hit["timestamp"], "{backend}: the hit is the stored answer");
        let max_age: u64 =
            header(&hit_headers, "cache-control").unwrap().strip_prefix("max-age=").unwrap().parse().unwrap();
        assert!((100..=120).contains(&max_age), "{max_age}");
        assert_ne!(header(&miss_headers, "x-request-id"), header(&hit_headers, "x-request-id"));

        let etag = header(&hit_headers, "etag").unwrap().to_string();
        let (status, headers, _) = send("GET", &url, &[("if-none-match", &etag)], None);
        assert_eq!((status, header(&headers, "etag")), (304, Some(etag.as_str())));
        // The query string is part of the key, in any order of its pairs.
        let (_, headers, _) = get_with(&app.url("/api/cache/per-view/?b=2&a=1"), &[]);
        assert_eq!(header(&headers, "x-cache"), Some("MISS"));
        let (_, headers, _) = get_with(&app.url("/api/cache/per-view/?a=1&b=2"), &[]);
        assert_eq!(header(&headers, "x-cache"), Some("HIT"));
    });
}

#[test]
fn errors_and_requests_that_carry_a_token_or_cookie_are_never_cached() {
    let (_data, app) = app(None);
    for _ in 0..2 {
        let (status, headers, _) = get_with(&app.url("/api/movies/424242"), &[]);
        assert_eq!((status, header(&headers, "x-cache")), (404, None));
        let (status, headers, _) = get_with(&app.url("/api/movies?page_size=0"), &[]);
        assert_eq!((status, header(&headers, "x-cache")), (400, None));
    }
    for token in [("authorization", "Bearer cache-token"), ("cookie", "session=abc")] {
        let (status, headers, _) = get_with(&app.url("/api/genres"), &[token]);
        assert_eq!((status, header(&headers, "x-cache")), (200, None), "{token:?}");
    }
    let (_, headers, _) = get_with(&app.url("/api/genres"), &[]);
    assert_eq!(header(&headers, "x-cache"), Some("MISS"), "the token requests stored nothing");
}

#[test]
fn a_rating_written_through_the_api_is_seen_by_the_next_read_of_every_cached_page() {
    on_both_backends(|app, backend| {
        let pages = ["/api/movies/3", "/api/top-rated", "/api/genres", "/api/movies?sort=-mean_rating", "/api/movies"];
        let before: Vec<Value> = pages.iter().map(|page| get_json(&app.url(page), 200)).collect();
        for page in pages {
            let (_, headers, _) = get_with(&app.url(page), &[]);
            assert_eq!(header(&headers, "x-cache"), Some("HIT"), "{backend} {page}");
        }
        post_rating(app, 3, 1.0);
        for (page, before) in pages.iter().zip(&before) {
            let (status, headers, after) = get_with(&app.url(page), &[]);
            assert_eq!((status, header(&headers, "x-cache")), (200, Some("MISS")), "{backend} {page}");
            assert_ne!(&after, before, "{backend} {page} still shows the old data");
        }
        let movie = get_json(&app.url("/api/movies/3"), 200);
        assert_eq!(movie["ratings"]["count"], 2, "{movie}");
    });
}

#[test]
fn a_write_from_another_process_on_the_file_is_seen_within_moments() {
    let (_data, app) = app(None);
    assert_eq!(get_json(&app.url("/api/movies/1"), 200)["title"], "Toy Story (1995)");
    get_json(&app.url("/api/movies/1"), 200);
    app.db.connect().execute("UPDATE movies SET title = 'Toy Story, renamed (1995)' WHERE movie_id = 1", []).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while get_json(&app.url("/api/movies/1"), 200)["title"] != "Toy Story, renamed (1995)" {
        assert!(Instant::now() < deadline, "the cache kept serving the old title");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn only_the_admin_clears_the_cache() {
    let (_data, app) = app(None);
    get_json(&app.url("/api/cache/manual/"), 200);
    assert_eq!(send("DELETE", &app.url("/api/cache"), &[], None).0, 401);
    assert_eq!(send("DELETE", &app.url("/api/cache"), &[("authorization", "Bearer wrong")], None).0, 403);
    assert_eq!(get_json(&app.url("/api/cache/manual/"), 200)["cache_status"], "HIT");
    assert_eq!(send("DELETE", &app.url("/api/cache/"), &[("authorization", "Bearer cache-token")], None).0, 204);
    assert_eq!(get_json(&app.url("/api/cache/manual/"), 200)["cache_status"], "MISS");
}

#[test]
fn requests_succeed_while_redis_is_down_and_redis_is_used_again_when_it_returns() {
    let Some(mut redis) = RedisServer::start_or_skip() else { return };
    let (_data, app) = app(Some(redis.url()));
    get_json(&app.url("/api/cache/per-view/"), 200);
    let (_, headers, _) = get_with(&app.url("/api/cache/per-view/"), &[]);
    assert_eq!(header(&headers, "x-cache"), Some("HIT"));

    redis.kill();
    for _ in 0..20 {
        for page in ["/api/cache/per-view/", "/api/cache/manual/", "/api/cache/partial/", "/api/genres"] {
            let (status, _, body) = get_with(&app.url(page), &[]);
            assert_eq!(status, 200, "{page}: {body}");
        }
    }
    post_rating(&app, 1, 3.0);
    let stats = get_json(&app.url("/api/cache/stats"), 200);
    assert_eq!(stats["redis"]["up"], false, "{stats}");
    assert!(stats["redis"]["last_error"].is_string(), "{stats}");

    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, headers, _) = get_with(&app.url("/api/cache/per-view/"), &[]);
        if header(&headers, "x-cache") == Some("HIT") {
            break;
        }
        assert!(Instant::now() < deadline, "Redis was not used again");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(get_json(&app.url("/api/cache/stats"), 200)["redis"]["up"], true);
}

#[test]
fn two_server_processes_on_one_redis_and_one_file_see_each_others_writes() {
    let Some(redis) = RedisServer::start_or_skip() else { return };
    let data = tempfile::tempdir().unwrap();
    write_small_dataset(data.path());
    let db = TempDb::new();
    let url = redis.url();
    let data_arg = data.path().to_str().unwrap();
    let args = ["--cache-url", &url, "--data", data_arg];
    let env = [("MOVIELENS_ADMIN_TOKEN", TOKEN)];
    let (mut first, first_url, _) = start_server(&db, &args, &env);
    let (mut second, second_url, _) = start_server(&db, &args, &env);

    let read = |base: &str| get_with(&format!("{base}/api/movies/2"), &[]);
    assert_eq!(read(&second_url).2["ratings"]["count"], 1);
    let (_, headers, _) = read(&second_url);
    assert_eq!(header(&headers, "x-cache"), Some("HIT"));

    let body = r#"{"user_id": 7, "movie_id": 2, "rating": 5.0}"#;
    let headers = [("content-type", "application/json"), ("authorization", "Bearer cache-token")];
    assert_eq!(send("POST", &format!("{first_url}/api/ratings"), &headers, Some(body)).0, 201);
    let (_, headers, after) = read(&second_url);
    assert_eq!((header(&headers, "x-cache"), &after["ratings"]["count"]), (Some("MISS"), &Value::from(2)));
    terminate(&mut first);
    terminate(&mut second);
}

#[test]
fn with_cache_pages_off_the_data_pages_are_served_uncached_and_the_lessons_still_cache() {
    let data = tempfile::tempdir().unwrap();
    write_small_dataset(data.path());
    let app = spawn_app_with(Some(data.path()), |serve| serve.cache.pages = false);
    for _ in 0..2 {
        let (status, headers, _) = get_with(&app.url("/api/genres"), &[]);
        assert_eq!((status, header(&headers, "x-cache")), (200, None));
        assert!(header(&headers, "etag").is_some(), "conditional requests still work");
    }
    get_json(&app.url("/api/cache/per-view/"), 200);
    let (_, headers, _) = get_with(&app.url("/api/cache/per-view/"), &[]);
    assert_eq!(header(&headers, "x-cache"), Some("HIT"));
}

#[test]
fn the_api_root_lists_the_caching_endpoints_and_each_answers() {
    let (_data, app) = app(None);
    let root = get_json(&app.url("/api/"), 200);
    let endpoints = root["caching_endpoints"].as_object().expect("caching_endpoints");
    assert_eq!(endpoints.len(), 4, "{root}");
    for url in endpoints.values() {
        let url = url.as_str().unwrap();
        assert!(url.starts_with(&app.url("/api/cache/")), "{url}");
        get_json(url, 200);
    }
}
