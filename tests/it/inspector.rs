//! The request inspector: what it records of a request, what it never records, how it prunes,
//! and what happens when it cannot keep up.

use crate::common;
use crate::inspector_support;

use common::{get_json, send, spawn_app_with, wait_for};
use inspector_support::{admin_get, summary, wait_for_requests, TOKEN};
use movielens::config::Secret;

#[test]
fn a_lab_request_is_recorded_with_its_exact_query_count_and_sql() {
    let app = spawn_app_with(None, |serve| serve.admin_token = Some(Secret(TOKEN.into())));
    let (status, headers, body) = send("GET", &app.url("/api/movies/n-plus-one/?limit=7"), &[], None);
    assert_eq!(status, 200, "{body}");
    let lab: serde_json::Value = serde_json::from_str(&body).unwrap();
    let count = lab["queries_count"].as_i64().unwrap();
    assert_eq!(count, 8, "1 + N statements for N = 7 movies: {lab}");

    let listed = wait_for_requests(&app, "path=n-plus-one", 1);
    assert_eq!(listed.len(), 1, "{listed:?}");
    let listed = &listed[0];
    assert_eq!(listed["queries"], count);
    assert_eq!(listed["route"], "/api/movies/n-plus-one");
    assert_eq!(listed["query"], "limit=7");
    assert_eq!(listed["status"], 200);
    assert_eq!(listed["request_id"], headers.get("x-request-id").unwrap().to_str().unwrap());

    let (status, detail) = admin_get(&app, &format!("/api/profiling/requests/{}", listed["id"]));
    assert_eq!(status, 200, "{detail}");
    let statements = detail["statements"].as_array().unwrap();
    let lab_queries = lab["queries"].as_array().unwrap();
    assert_eq!(statements.len(), lab_queries.len());
    for (recorded, ran) in statements.iter().zip(lab_queries) {
        // The lab writes the values in; the inspector keeps the SQL as prepared.
        let (recorded, ran) = (recorded["sql"].as_str().unwrap(), ran["sql"].as_str().unwrap());
        assert!(ran.starts_with(recorded.split('?').next().unwrap()), "{recorded} vs {ran}");
    }
    let groups = |value: &serde_json::Value| -> Vec<(String, i64)> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|g| (g["sql"].as_str().unwrap().to_string(), g["count"].as_i64().unwrap()))
            .collect()
    };
    assert_eq!(groups(&detail["similar_queries"]), groups(&lab["similar_queries"]));
    assert_eq!(groups(&detail["similar_queries"])[0].1, 7, "the N+1 shows as one group of N");
}

/// The raw bytes of the inspector's file and its write-ahead log.
fn inspector_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes =
        std::fs::read(dir.join("movielens-inspector.db")).expect("the inspector file is beside the database");
    bytes.extend(std::fs::read(dir.join("movielens-inspector.db-wal")).unwrap_or_default());
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle.as_bytes())
}

#[test]
fn a_token_sent_in_authorization_never_reaches_the_inspector_file() {
    let app = spawn_app_with(None, |serve| {
        serve.admin_token = Some(Secret(TOKEN.into()));
        serve.inspector.inspector_bodies = true;
    });
    let bearer = format!("Bearer {TOKEN}");
    let (status, _, _) =
        send("GET", &app.url("/api/schedules?marker=visible-marker-1"), &[("Authorization", &bearer)], None);
    assert_eq!(status, 200);
    // A wrong token is a secret too (someone's other password, a typo of the real one).
    let (status, _, _) = send(
        "GET",
        &app.url("/api/schedules?marker=visible-marker-2"),
        &[("authorization", "bearer wrong-secret-4242")],
        None,
    );
    assert_eq!(status, 403);
    let cookie = "movielens_session=cookie-secret-5151; other=cookie-secret-6161";
    send(
        "GET",
        &app.url("/api/genres?access_token=query-secret-7171&marker=visible-marker-3"),
        &[("Cookie", cookie)],
        None,
    );
    // The sign-in form carries the token in its body.
    let body = format!("token={TOKEN}&next=%2Fsilk%2F&csrf=x");
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    send("POST", &app.url("/login?marker=visible-marker-4"), &form, Some(&body));
    let json = [("Content-Type", "application/json"), ("Authorization", bearer.as_str())];
    send("POST", &app.url("/api/ratings?marker=visible-marker-5"), &json, Some(r#"{"password": "json-secret-8181"}"#));
    wait_for_requests(&app, "path=/", 5);

    let bytes = inspector_bytes(app.db.dir.path());
    for marker in 1..=5 {
        assert!(contains(&bytes, &format!("visible-marker-{marker}")), "the check reads the records ({marker})");
    }
    for secret in [
        TOKEN,
        "wrong-secret-4242",
        "cookie-secret-5151",
        "cookie-secret-6161",
        "query-secret-7171",
        "json-secret-8181",
    ] {
        assert!(!contains(&bytes, secret), "{secret} reached the inspector's file");
    }
}

#[test]
fn retention_keeps_only_the_newest_requests_up_to_the_limit() {
    let app = spawn_app_with(None, |serve| {
        serve.admin_token = Some(Secret(TOKEN.into()));
        serve.inspector.inspector_max_requests = 5;
    });
    for n in 0..30 {
        get_json(&app.url(&format!("/api/health?n={n}")), 200);
    }
    let newest = wait_for("the last request to be written", || {
        let (_, page) = admin_get(&app, "/api/profiling/requests");
        (page["requests"][0]["query"] == "n=29").then_some(page)
    });
    assert_eq!(newest["count"], 5, "{newest}");
    let kept: Vec<&str> = newest["requests"].as_array().unwrap().iter().map(|r| r["query"].as_str().unwrap()).collect();
    assert_eq!(kept, ["n=29", "n=28", "n=27", "n=26", "n=25"]);
    assert_eq!(summary(&app)["stored"], 5);
}

#[test]
fn requests_older_than_the_maximum_age_are_pruned() {
    let app = spawn_app_with(None, |serve| {
        serve.admin_token = Some(Secret(TOKEN.into()));
        // 3.6 seconds.
        serve.inspector.inspector_max_age_hours = 0.001;
    });
    get_json(&app.url("/api/health?n=old"), 200);
    wait_for_requests(&app, "path=health", 1);
    std::thread::sleep(std::time::Duration::from_secs(5));
    get_json(&app.url("/api/health?n=new"), 200);
    let kept = wait_for("the old request to be pruned", || {
        let (_, page) = admin_get(&app, "/api/profiling/requests?path=health");
        let queries: Vec<String> =
            page["requests"].as_array()?.iter().map(|r| r["query"].as_str().unwrap().to_string()).collect();
        queries.contains(&"n=new".to_string()).then_some(queries)
    });
    assert_eq!(kept, ["n=new"]);
}

#[test]
fn a_full_queue_drops_and_counts_records_without_blocking_requests() {
    let app = spawn_app_with(None, |serve| {
        serve.admin_token = Some(Secret(TOKEN.into()));
        serve.inspector.inspector_queue = 2;
    });
    // Another process holds the inspector file's write lock: the writer waits, the queue fills.
    let blocker = rusqlite::Connection::open(app.db.dir.path().join("movielens-inspector.db")).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let agent: ureq::Agent =
        ureq::Agent::config_builder().timeout_global(Some(std::time::Duration::from_secs(60))).build().into();
    for n in 0..40 {
        let response =
            agent.get(&app.url(&format!("/api/health?n={n}"))).call().expect("answered while the writer waits");
        assert_eq!(response.status(), 200);
    }
    let counts = summary(&app);
    let (recorded, dropped) = (counts["recorded"].as_i64().unwrap(), counts["dropped"].as_i64().unwrap());
    assert_eq!(recorded + dropped, 40, "{counts}");
    assert!(dropped >= 30, "at most the queue and one batch fit: {counts}");
    drop(blocker);
    // The writer recovers once the lock is gone (a request sent while the queue is still full is
    // dropped like the others, so one is sent on each look).
    wait_for("a request after the lock to be written", || {
        get_json(&app.url("/api/health?n=after"), 200);
        let (_, page) = admin_get(&app, "/api/profiling/requests?path=health");
        (page["requests"][0]["query"] == "n=after").then_some(())
    });
}

#[test]
fn past_the_rate_cap_requests_are_served_but_not_recorded_and_the_summary_counts_them() {
    let app = spawn_app_with(None, |serve| {
        serve.admin_token = Some(Secret(TOKEN.into()));
        serve.inspector.inspector_max_per_second = 5;
    });
    let started = std::time::Instant::now();
    for n in 0..200 {
        get_json(&app.url(&format!("/api/health?n={n}")), 200);
    }
    // The requests touched at most this many of the cap's one-second windows.
    let windows = started.elapsed().as_secs() as i64 + 2;
    let counts = wait_for("the recorded requests to be written", || {
        let counts = summary(&app);
        (counts["stored"] == counts["recorded"]).then_some(counts)
    });
    let (recorded, over) = (counts["recorded"].as_i64().unwrap(), counts["over_rate_cap"].as_i64().unwrap());
    assert_eq!(recorded + over, 200, "{counts}");
    assert!(recorded >= 5 && recorded <= 5 * windows, "{counts} in {windows} windows");
    assert!(over > 0, "{counts}");
    assert_eq!(counts["max_per_second"], 5);
    assert_eq!(counts["dropped"], 0, "{counts}");
}
