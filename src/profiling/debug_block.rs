//! An admin's `?debug=true`: a `_debug` block added to a JSON object response, with the
//! request's statements and their groups, its cache calls, and its time per phase.

use serde_json::{json, Value};

use super::headers::Phases;
use crate::cache::tally::CacheTally;
use crate::db::statements::{Recording, StatementGroup};

fn ms(duration: std::time::Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn groups(groups: Vec<StatementGroup>) -> Value {
    groups
        .into_iter()
        .map(|group| json!({"sql": group.sql, "count": group.count, "time_ms": ms(group.elapsed)}))
        .collect()
}

/// Whether the query string asks for the block (`debug=true`, `debug=1`).
pub fn asked(query: &str) -> bool {
    form_urlencoded::parse(query.as_bytes()).any(|(key, value)| key == "debug" && (value == "true" || value == "1"))
}

/// The block itself.
pub fn block(recording: &Recording, cache: &CacheTally, phases: &Phases) -> Value {
    let queries: Vec<Value> = recording
        .statements()
        .iter()
        .map(|statement| {
            json!({
                "sql": statement.bound_sql().unwrap_or_else(|| statement.sql.to_string()),
                "time_ms": ms(statement.elapsed),
                "rows_changed": statement.rows_changed,
            })
        })
        .collect();
    let calls: Vec<Value> = cache
        .calls
        .iter()
        .map(|call| json!({"key": call.key, "operation": call.operation, "hit": call.hit, "time_ms": ms(call.elapsed)}))
        .collect();
    let phase = |name: &str, duration| json!({"name": name, "duration_ms": ms(duration)});
    json!({
        "queries_count": recording.count(),
        "queries_time_ms": ms(recording.elapsed()),
        "queries": queries,
        "similar_queries": groups(recording.similar()),
        "duplicate_queries": groups(recording.duplicates()),
        "cache": {"hits": cache.hits, "misses": cache.misses, "time_ms": ms(cache.elapsed), "calls": calls},
        "timings": {
            "name": "request",
            "duration_ms": ms(phases.total),
            "children": [phase("db", phases.db), phase("cache", phases.cache), phase("app", phases.app)],
        },
    })
}

/// `body` with `block` added as `_debug`, if `body` is a JSON object.
pub fn add_to(body: &[u8], block: Value) -> Option<Vec<u8>> {
    let mut value: Value = serde_json::from_slice(body).ok()?;
    value.as_object_mut()?.insert("_debug".to_string(), block);
    serde_json::to_vec(&value).ok()
}
