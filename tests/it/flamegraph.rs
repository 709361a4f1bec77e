//! `GET /api/profiling/flamegraph` and `?profile=true`, through the real binary: what a capture
//! shows, one capture at a time, empty windows, bounds, and the admin check.

use crate::common;
use crate::flamegraph_support;

use common::{send, terminate, wait_for};
use flamegraph_support::{admin_get, bearer, busy_until_done, parse_svg, serve, start_capture};

#[test]
fn a_capture_returns_an_svg_flamegraph_naming_the_spans_of_requests_made_during_the_window() {
    let (mut child, url, _db) = serve(&[]);
    let capture = start_capture(&url, "seconds=3");
    let sent = busy_until_done(&url, &capture);
    let (status, headers, body) = capture.join().unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["content-type"], "image/svg+xml");
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    let text = parse_svg(&body);
    assert!(text.contains("request"), "no request frame after {sent} requests:\n{text}");
    assert!(text.contains("db:movies."), "no unit of work of the movie list:\n{text}");
    terminate(&mut child);
}

#[test]
fn a_folded_capture_has_one_stack_and_count_per_line_with_units_of_work_and_cache_calls_inside_requests() {
    let (mut child, url, _db) = serve(&[]);
    let capture = start_capture(&url, "seconds=2&format=folded");
    busy_until_done(&url, &capture);
    let (status, headers, body) = capture.join().unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/plain"));
    for line in body.lines() {
        let (stack, count) = line.rsplit_once(' ').unwrap_or_else(|| panic!("not `stack count`: {line:?}"));
        assert!(!stack.is_empty() && count.parse::<u64>().is_ok(), "not `stack count`: {line:?}");
    }
    let stacks: Vec<&str> = body.lines().filter_map(|line| Some(line.rsplit_once(' ')?.0)).collect();
    assert!(stacks.iter().any(|stack| stack.starts_with("request;db:movies.")), "{body}");
    assert!(stacks.iter().any(|stack| stack.starts_with("request;cache:get")), "{body}");
    terminate(&mut child);
}

#[test]
fn a_second_capture_while_one_runs_gets_a_clear_409_and_the_next_one_runs_after_it() {
    let (mut child, url, _db) = serve(&[]);
    let first = start_capture(&url, "seconds=2");
    let (status, _, body) = admin_get(&format!("{url}/api/profiling/flamegraph?seconds=1"));
    assert_eq!(status, 409, "{body}");
    let error: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["code"], "conflict");
    assert!(error["message"].as_str().unwrap().contains("already running"), "{body}");
    assert_eq!(first.join().unwrap().0, 200);
    let (status, _, body) = admin_get(&format!("{url}/api/profiling/flamegraph?seconds=1&format=folded"));
    assert_eq!(status, 200, "the lock was not released: {body}");
    terminate(&mut child);
}

fn units_of_work(url: &str) -> u64 {
    let (_, _, body) = admin_get(&format!("{url}/metrics"));
    let line = body.lines().find_map(|line| line.strip_prefix("movielens_db_units_of_work_total "));
    line.and_then(|value| value.parse().ok()).unwrap_or_else(|| panic!("no unit count in {body}"))
}

#[test]
fn a_window_in_which_no_span_ran_answers_with_an_svg_that_says_so() {
    let (mut child, url, _db) = serve(&["--no-worker", "--no-scheduler"]);
    // Wait out the start's own work (a checkpoint of the import's log): until, between two
    // scrapes, the only unit of work that ran was the second scrape's own.
    let units = || units_of_work(&url);
    wait_for("a quiet server", || {
        let before = units();
        (units() == before + 1).then_some(())
    });
    let (status, headers, body) = admin_get(&format!("{url}/api/profiling/flamegraph?seconds=1"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["content-type"], "image/svg+xml");
    let text = parse_svg(&body);
    assert!(text.contains("No span was entered in the 1 s window"), "{text}");
    terminate(&mut child);
}

#[test]
fn out_of_range_or_malformed_capture_parameters_are_400s_in_the_error_shape() {
    let (mut child, url, _db) = serve(&[]);
    for query in [
        "seconds=0",
        "seconds=61",
        "seconds=-1",
        "seconds=ten",
        "seconds=99999999999",
        "format=png",
        "seconds=1&seconds=2",
    ] {
        let (status, _, body) = admin_get(&format!("{url}/api/profiling/flamegraph?{query}"));
        assert_eq!(status, 400, "{query}: {body}");
        let error: serde_json::Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{query}: {body}"));
        assert_eq!(error["code"], "invalid_request", "{query}: {body}");
        assert!(error["request_id"].is_string());
    }
    terminate(&mut child);
}

#[test]
fn every_profiling_route_refuses_a_missing_or_wrong_token_and_profile_is_ignored_for_others() {
    let (mut child, url, _db) = serve(&[]);
    for path in ["/api/profiling/flamegraph?seconds=1", "/metrics"] {
        let (status, _, body) = send("GET", &format!("{url}{path}"), &[], None);
        assert_eq!(status, 401, "{path}: {body}");
        let (status, _, body) = send("GET", &format!("{url}{path}"), &[("Authorization", "Bearer wrong")], None);
        assert_eq!(status, 403, "{path}: {body}");
    }
    // Not the admin's: the ordinary answer, no span tree.
    let wrong: &[(&str, &str)] = &[("Authorization", "Bearer wrong")];
    for headers in [&[][..], wrong] {
        let (status, _, body) = send("GET", &format!("{url}/api/genres?profile=true"), headers, None);
        assert_eq!(status, 200, "{body}");
        let page: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(page.get("spans").is_none(), "a profile without the admin token: {body}");
    }
    terminate(&mut child);
}

#[test]
fn an_admins_profile_request_answers_with_its_own_span_tree_and_timings() {
    let (mut child, url, _db) = serve(&[]);
    let (status, headers, body) = send(
        "GET",
        &format!("{url}/api/movies?page_size=3&profile=true&page=2"),
        &[("Authorization", &bearer())],
        None,
    );
    assert_eq!(status, 200, "{body}");
    let profile: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(profile["request_id"], headers["x-request-id"].to_str().unwrap());
    assert_eq!((profile["status"].as_u64(), profile["path"].as_str()), (Some(200), Some("/api/movies")));
    assert_eq!(profile["spans_recorded"], true);
    let request = &profile["spans"][0];
    assert_eq!(request["name"], "request");
    assert_eq!(request["fields"]["path"], "/api/movies");
    assert_eq!(request["fields"]["status"], "200");
    let children = request["children"].as_array().unwrap();
    let unit = children.iter().find(|span| span["name"] == "db").unwrap_or_else(|| panic!("no db span: {body}"));
    assert!(unit["fields"]["sql"].as_str().unwrap().contains("SELECT"), "{unit}");
    assert!(unit["fields"]["operation"].as_str().unwrap().starts_with("movies."), "{unit}");
    for span in [request, unit] {
        let (busy, own) = (span["busy_us"].as_u64().unwrap(), span["self_us"].as_u64().unwrap());
        assert!(own <= busy, "{span}");
    }
    // The same request without `profile` is an ordinary page.
    let (status, _, body) =
        send("GET", &format!("{url}/api/movies?page_size=3&page=2"), &[("Authorization", &bearer())], None);
    assert_eq!(status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["results"].is_array(), "{body}");
    terminate(&mut child);
}
