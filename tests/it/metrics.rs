//! `GET /metrics`, through the real binary: every line parses as Prometheus text, histograms are
//! whole, and the counters move with requests, statements, cache lookups and tasks.

use crate::common;
use crate::flamegraph_support;

use std::collections::HashMap;

use common::{get, post_json, terminate, wait_for};
use flamegraph_support::{admin_get, serve, TOKEN};

/// `name` or `name{labels}` to its value; panics on any line that is neither that nor a comment.
fn parse(text: &str) -> HashMap<String, f64> {
    let mut series = HashMap::new();
    let mut typed: HashMap<String, String> = HashMap::new();
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            let mut words = comment.splitn(3, ' ');
            let (kind, name, rest) = (words.next().unwrap(), words.next().unwrap_or(""), words.next().unwrap_or(""));
            assert!(matches!(kind, "HELP" | "TYPE") && valid_name(name) && !rest.is_empty(), "bad comment: {line}");
            if kind == "TYPE" {
                assert!(["counter", "gauge", "histogram"].contains(&rest), "bad type: {line}");
                typed.insert(name.to_string(), rest.to_string());
            }
            continue;
        }
        let (key, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("not `series value`: {line:?}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            value => value.parse().unwrap_or_else(|_| panic!("bad value: {line:?}")),
        };
        let name = key.split('{').next().unwrap();
        assert!(valid_name(name), "bad name: {line:?}");
        if let Some(labels) = key.strip_prefix(name).filter(|labels| !labels.is_empty()) {
            assert!(valid_labels(labels), "bad labels: {line:?}");
        }
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .filter(|f| typed.contains_key(*f));
        assert!(typed.contains_key(name) || family.is_some(), "no # TYPE before {line:?}");
        assert!(series.insert(key.to_string(), value).is_none(), "series twice: {key}");
    }
    series
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `{a="x",b="y\"z"}`: names, `=`, quoted values with escapes, commas between.
fn valid_labels(labels: &str) -> bool {
    let Some(inner) = labels.strip_prefix('{').and_then(|rest| rest.strip_suffix('}')) else { return false };
    let mut rest = inner;
    while !rest.is_empty() {
        let Some((name, after)) = rest.split_once("=\"") else { return false };
        if !valid_name(name) {
            return false;
        }
        let mut escaped = false;
        let Some(end) = after.char_indices().find_map(|(index, c)| {
            let closes = c == '"' && !escaped;
            escaped = c == '\\' && !escaped;
            closes.then_some(index)
        }) else {
            return false;
        };
        rest = &after[end + 1..];
        if let Some(next) = rest.strip_prefix(',') {
            rest = next;
        } else if !rest.is_empty() {
            return false;
        }
    }
    true
}

fn scrape(url: &str) -> HashMap<String, f64> {
    let (status, headers, body) = admin_get(&format!("{url}/metrics"));
    assert_eq!(status, 200, "{body}");
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    parse(&body)
}

fn value(series: &HashMap<String, f64>, key: &str) -> f64 {
    series.get(key).copied().unwrap_or(0.0)
}

#[test]
fn metrics_parse_as_prometheus_text_and_move_with_requests_statements_and_the_cache() {
    let (mut child, url, _db) = serve(&[]);
    let before = scrape(&url);
    for _ in 0..3 {
        assert_eq!(get(&format!("{url}/api/genres")).0, 200);
    }
    assert_eq!(get(&format!("{url}/api/movies/999999999")).0, 404);
    assert_eq!(get(&format!("{url}/api/movies/select-related/?limit=2")).0, 200);
    let after = scrape(&url);
    let genres = r#"{method="GET",route="/api/genres",status="200"}"#;
    let moved = |key: &str| value(&after, key) - value(&before, key);
    assert_eq!(moved(&format!("movielens_http_requests_total{genres}")), 3.0);
    assert_eq!(moved(&format!("movielens_http_request_duration_seconds_count{genres}")), 3.0);
    assert_eq!(
        moved(r#"movielens_http_requests_total{method="GET",route="/api/movies/{movie_id}",status="404"}"#),
        1.0
    );
    // A literal route is its own label, not the parameter route beside it.
    assert_eq!(
        moved(r#"movielens_http_requests_total{method="GET",route="/api/movies/select-related",status="200"}"#),
        1.0
    );
    assert!(moved("movielens_db_statements_total") >= 1.0, "the first genres page ran no statement");
    assert!(moved("movielens_db_statement_seconds_total") >= 0.0);
    assert!(moved(r#"movielens_cache_hits_total{prefix="view"}"#) >= 2.0, "two of three genre pages were not hits");
    assert!(moved(r#"movielens_cache_misses_total{prefix="view"}"#) >= 1.0);
    assert_eq!(value(&after, "movielens_inspector_dropped_records_total"), 0.0);
    // Each histogram is whole: cumulative buckets ending in +Inf, which equals its count.
    let bucket = |le: &str| {
        value(
            &after,
            &format!(
                r#"movielens_http_request_duration_seconds_bucket{{method="GET",route="/api/genres",status="200",le="{le}"}}"#
            ),
        )
    };
    assert!(bucket("0.001") <= bucket("0.01") && bucket("0.01") <= bucket("+Inf"));
    assert_eq!(bucket("+Inf"), value(&after, &format!("movielens_http_request_duration_seconds_count{genres}")));
    terminate(&mut child);
}

#[test]
fn tasks_show_by_type_and_state_and_unknown_paths_share_one_route_label() {
    let (mut child, url, _db) = serve(&[]);
    let (status, body) =
        post_json(&format!("{url}/api/tasks"), TOKEN, &serde_json::json!({"name": "noop", "args": {}}));
    assert_eq!(status, 202, "{body}");
    wait_for("the noop task to succeed", || {
        (value(&scrape(&url), r#"movielens_jobs{name="noop",state="succeeded"}"#) == 1.0).then_some(())
    });
    for path in ["/no/such/path/1", "/no/such/path/2", "/%22quoted%22"] {
        assert_eq!(get(&format!("{url}{path}")).0, 404);
    }
    let after = scrape(&url);
    assert!(value(&after, r#"movielens_http_requests_total{method="GET",route="(unmatched)",status="404"}"#) >= 3.0);
    assert!(!after.keys().any(|key| key.contains("/no/such/path")), "a raw path became a label");
    terminate(&mut child);
}
