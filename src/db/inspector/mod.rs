//! The request inspector's own SQLite file (`movielens-inspector.db`): apart from the data, so
//! that recording never competes with data writes for SQLite's single writer lock. Written in
//! batches by one background thread; read by the `/silk/` pages and `/api/profiling/requests`.
//!
//! A request is one row: its statements are kept as JSON with each distinct SQL text once, so
//! an N+1 of 100 statements stores its SQL once, and retention deletes one row per request.

pub mod queries;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection};
use serde_json::json;

use crate::db::statements::StatementGroup;
use crate::profiling::record::RequestRecord;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY,
    request_id TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    -- the documented path template, or the path
    route TEXT NOT NULL,
    status INTEGER NOT NULL,
    started_at_ms INTEGER NOT NULL,
    duration_us INTEGER NOT NULL,
    response_bytes INTEGER,
    query_count INTEGER NOT NULL,
    query_time_us INTEGER NOT NULL,
    cache_hits INTEGER NOT NULL,
    cache_misses INTEGER NOT NULL,
    cache_time_us INTEGER NOT NULL,
    -- {\"sqls\": [distinct SQL texts], \"runs\": [[sql index, microseconds, rows changed or null]]}
    statements TEXT NOT NULL,
    -- [{\"sql\", \"count\", \"time_ms\"}]
    similar TEXT NOT NULL,
    duplicates TEXT NOT NULL,
    -- [{\"name\", \"value\"}], masked
    request_headers TEXT NOT NULL,
    request_body TEXT,
    response_body TEXT
);
CREATE INDEX IF NOT EXISTS requests_by_start ON requests (started_at_ms);
";

/// Opens (creating if needed) the inspector's file: WAL, so that the pages read while the
/// writer writes; `synchronous = NORMAL`, since a lost last batch after a power cut is harmless.
pub fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Keeps the log from staying at its largest after a burst.
    conn.pragma_update(None, "journal_size_limit", 4 * 1024 * 1024)?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

fn groups_json(groups: &[StatementGroup]) -> String {
    let groups: Vec<_> = groups
        .iter()
        .map(|group| json!({"sql": group.sql, "count": group.count, "time_ms": group.elapsed.as_secs_f64() * 1e3}))
        .collect();
    serde_json::Value::Array(groups).to_string()
}

fn statements_json(record: &RequestRecord) -> String {
    let mut sqls: Vec<&str> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let runs: Vec<_> = record
        .statements
        .iter()
        .map(|statement| {
            let at = *index.entry(&*statement.sql).or_insert_with(|| {
                sqls.push(&*statement.sql);
                sqls.len() - 1
            });
            json!([at, micros(statement.elapsed), statement.rows_changed])
        })
        .collect();
    json!({"sqls": sqls, "runs": runs}).to_string()
}

/// Writes `records` and prunes to the retention in one transaction, so that no reader ever sees
/// more than the retention allows.
pub fn insert_batch(conn: &mut Connection, records: &[RequestRecord], retention: Retention) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO requests (request_id, method, path, query, route, status, started_at_ms, duration_us,
                response_bytes, query_count, query_time_us, cache_hits, cache_misses, cache_time_us, statements,
                similar, duplicates, request_headers, request_body, response_body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
        )?;
        for record in records {
            let headers: Vec<_> =
                record.request_headers.iter().map(|(name, value)| json!({"name": name, "value": value})).collect();
            insert.execute(params![
                record.request_id,
                record.method,
                record.path,
                record.query,
                record.route,
                record.status,
                record.started_at_ms,
                micros(record.duration),
                record.response_bytes.map(|bytes| bytes as i64),
                record.query_count as i64,
                micros(record.query_time),
                record.cache_hits as i64,
                record.cache_misses as i64,
                micros(record.cache_time),
                statements_json(record),
                groups_json(&record.similar),
                groups_json(&record.duplicates),
                serde_json::Value::Array(headers).to_string(),
                record.request_body,
                record.response_body,
            ])?;
        }
    }
    prune(&tx, retention)?;
    tx.commit()
}

/// How long requests are kept.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub max_requests: u64,
    pub max_age: Duration,
}

/// Deletes all but the newest `max_requests` requests, and those older than the maximum age;
/// returns how many went.
pub fn prune(conn: &Connection, retention: Retention) -> rusqlite::Result<usize> {
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_millis() as i64);
    let oldest_ms = now_ms.saturating_sub(i64::try_from(retention.max_age.as_millis()).unwrap_or(i64::MAX));
    let by_count = conn.execute(
        "DELETE FROM requests WHERE id <= (SELECT max(id) FROM requests) - ?1",
        [i64::try_from(retention.max_requests).unwrap_or(i64::MAX)],
    )?;
    let by_age = conn.execute("DELETE FROM requests WHERE started_at_ms < ?1", [oldest_ms])?;
    Ok(by_count + by_age)
}
