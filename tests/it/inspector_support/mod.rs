//! Helpers of the request inspector's tests: the admin's JSON reads, and waiting for the
//! background writer.
#![allow(dead_code)]

use crate::common::{send, wait_for, TestApp};

pub const TOKEN: &str = "inspector-test-admin-token-0123456789";

/// GET `path` with the admin token; the status and the parsed body.
pub fn admin_get(app: &TestApp, path: &str) -> (u16, serde_json::Value) {
    let authorization = format!("Bearer {TOKEN}");
    let (status, _, body) = send("GET", &app.url(path), &[("Authorization", &authorization)], None);
    (status, serde_json::from_str(&body).unwrap_or(serde_json::Value::Null))
}

/// The inspector's list for `query`, once it holds at least `count` requests.
pub fn wait_for_requests(app: &TestApp, query: &str, count: usize) -> Vec<serde_json::Value> {
    wait_for(&format!("{count} recorded requests for {query}"), || {
        let (status, page) = admin_get(app, &format!("/api/profiling/requests?{query}"));
        assert_eq!(status, 200, "{page}");
        let requests = page["requests"].as_array().cloned().unwrap_or_default();
        (requests.len() >= count).then_some(requests)
    })
}

/// The summary.
pub fn summary(app: &TestApp) -> serde_json::Value {
    let (status, summary) = admin_get(app, "/api/profiling/requests/summary");
    assert_eq!(status, 200, "{summary}");
    summary
}
