//! The performance lessons over real HTTP: the index comparison's plans, counters and figures, and
//! the read pool's reuse of connections with the default max age and with 0.
//!
//! No test asserts a timing: how much faster the index is, is measured by
//! `scripts/bench_lab_indexes.sh`. These check what holds on any machine.

use crate::common;

use movielens::config::DbConfig;
use movielens::db::{Db, DbError};

use common::{get, get_json, real_data, spawn_app, start_server, terminate, write_small_dataset, TempDb, TestApp};
use serde_json::Value;

const INDEX_COMPARE: &str = "/api/movies/index-compare";
const CONNECTION_POOL: &str = "/api/movies/connection-pool";

fn f64_of(value: &Value) -> f64 {
    value.as_f64().unwrap_or_else(|| panic!("not a number: {value}"))
}

/// Equal but for the last bit or two: serde_json's default float parser may round a decimal to
/// the neighbour of the double the server printed.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= a.abs().max(b.abs()) * 1e-12
}

/// The median of the runs' reported times, as the documentation defines it.
fn median_of_runs(query: &Value) -> f64 {
    let mut times: Vec<f64> = query["runs"].as_array().unwrap().iter().map(|run| f64_of(&run["time_ms"])).collect();
    times.sort_by(f64::total_cmp);
    let middle = times.len() / 2;
    if times.len() % 2 == 1 {
        times[middle]
    } else {
        (times[middle - 1] + times[middle]) / 2.0
    }
}

/// What holds for any data: the plans, the counters of each run, the matches against the file
/// itself, and figures that agree with each other. Returns the report's data.
fn check_comparison(app: &TestApp, query: &str, runs: usize) -> Value {
    let report = get_json(&app.url(&format!("{INDEX_COMPARE}{query}")), 200);
    let data = &report["data"];
    let (indexed, unindexed) = (&data["indexed"], &data["unindexed"]);
    assert_eq!(indexed["plan"], serde_json::json!(["SEARCH ratings USING COVERING INDEX ratings_user_id (user_id=?)"]));
    assert_eq!(unindexed["plan"], serde_json::json!(["SCAN ratings"]));

    let rows = app.db.count("ratings");
    assert_eq!(data["table_rows"], rows);
    assert_eq!(data["runs"], runs);
    for query in [indexed, unindexed] {
        assert_eq!(query["runs"].as_array().unwrap().len(), runs, "{query}");
        let (median, expected) = (f64_of(&query["median_ms"]), median_of_runs(query));
        assert!(close(median, expected), "median {median}, the runs give {expected}");
        assert!(query["runs"].as_array().unwrap().iter().all(|run| run["vm_steps"].as_i64().unwrap() > 0));
    }
    for run in indexed["runs"].as_array().unwrap() {
        assert_eq!(run["fullscan_steps"], 0, "the index leads to the rows without a scan: {run}");
    }
    for run in unindexed["runs"].as_array().unwrap() {
        // Every row but the first is a step of the scan.
        assert_eq!(run["fullscan_steps"], rows - 1, "{run}");
    }

    // The answers are the file's own.
    let conn = app.db.connect();
    let count =
        |sql: &str, value: &Value| -> i64 { conn.query_row(sql, [value.as_i64().unwrap()], |row| row.get(0)).unwrap() };
    assert_eq!(indexed["matched_rows"], count("SELECT count(*) FROM ratings WHERE user_id = ?1", &data["user_id"]));
    let scanned = count("SELECT count(*) FROM ratings WHERE timestamp = ?1", &data["timestamp"]);
    assert_eq!(unindexed["matched_rows"], scanned);

    let speedup = f64_of(&data["speedup"]);
    let expected = f64_of(&unindexed["median_ms"]) / f64_of(&indexed["median_ms"]);
    assert!(close(speedup, expected), "speedup {speedup}, the medians give {expected}");

    // The user's first rating, two plans, the row count, then the runs: each one recorded.
    assert_eq!(report["queries_count"], 4 + 2 * runs);
    let similar = report["similar_queries"].as_array().unwrap();
    if runs > 1 {
        assert!(similar.iter().all(|group| group["count"] == runs), "{similar:?}");
    }
    data.clone()
}

#[test]
fn index_compare_searches_the_index_and_scans_the_table_and_its_figures_agree() {
    let app = spawn_app(None);
    let data = check_comparison(&app, "", 7);
    assert_eq!(data["user_id"], 1);
    assert_eq!(data["timestamp_is_default"], true);
    let first: i64 = app
        .db
        .connect()
        .query_row("SELECT min(timestamp) FROM ratings WHERE user_id = 1", [], |row| row.get(0))
        .unwrap();
    assert_eq!(data["timestamp"], first);
    // The defaults make both queries match rows.
    assert!(data["indexed"]["matched_rows"].as_i64().unwrap() > 0);
    assert!(data["unindexed"]["matched_rows"].as_i64().unwrap() > 0);

    let chosen = check_comparison(&app, "?user_id=2&timestamp=0&runs=4", 4);
    assert_eq!((chosen["user_id"].as_i64(), chosen["timestamp"].as_i64()), (Some(2), Some(0)));
    assert_eq!(chosen["timestamp_is_default"], false);
    // Nothing was rated at the epoch, and the scan still read every row to find that out.
    assert_eq!(chosen["unindexed"]["matched_rows"], 0);
    check_comparison(&app, "?runs=1", 1);
    check_comparison(&app, "?runs=25", 25);
}

#[test]
fn index_compare_refuses_bad_parameters_and_an_unknown_user_in_the_error_shape() {
    let app = spawn_app(None);
    let cases = [
        ("?runs=0", 400, "invalid_request"),
        ("?runs=26", 400, "invalid_request"),
        ("?runs=many", 400, "invalid_request"),
        ("?user_id=0", 400, "invalid_request"),
        ("?timestamp=yesterday", 400, "invalid_request"),
        ("?user_id=9999999", 404, "not_found"),
        ("?user_id=9999999&timestamp=964982703", 404, "not_found"),
    ];
    for (query, status, code) in cases {
        let error = get_json(&app.url(&format!("{INDEX_COMPARE}{query}")), status);
        assert_eq!(error["code"], code, "{query}: {error}");
        assert!(error["message"].as_str().is_some_and(|message| !message.is_empty()), "{error}");
        assert!(error["request_id"].as_str().is_some_and(|id| !id.is_empty()), "{error}");
    }
}

#[test]
fn index_compare_on_the_real_data_scans_every_rating_and_reads_only_the_users() {
    let Some(data) = real_data() else { return };
    let app = spawn_app(Some(&data));
    let figures = check_comparison(&app, "", 7);
    assert_eq!(figures["table_rows"], 100_836);
    // ml-latest-small's user 1 rated 232 movies.
    assert_eq!(figures["indexed"]["matched_rows"], 232);
    assert!(figures["unindexed"]["matched_rows"].as_i64().unwrap() >= 1);
}

#[test]
fn the_lab_paths_are_not_taken_for_movie_ids() {
    let app = spawn_app(None);
    for path in [INDEX_COMPARE, CONNECTION_POOL] {
        for path in [path.to_string(), format!("{path}/")] {
            let report = get_json(&app.url(&path), 200);
            assert!(report["method"].is_string() && report["data"].is_object(), "{path}: {report}");
        }
    }
    assert_eq!(get_json(&app.url("/api/movies/1"), 200)["id"], 1);
}

fn pool(url: &str) -> Value {
    let report = get_json(url, 200);
    // The figures are kept in memory: the answer runs no SQL.
    assert_eq!(report["queries_count"], 0, "{report}");
    report
}

/// Checks that hold for any max age, and returns the pool's figures.
fn check_pool(report: &Value) -> &Value {
    let stats = &report["data"];
    let (open, idle, max_size) = (stats["open"].as_i64().unwrap(), stats["idle"].as_i64(), stats["max_size"].as_i64());
    assert!(open >= 1 && open <= max_size.unwrap(), "{stats}");
    // This answer holds a connection while it looks.
    assert!(idle.unwrap() < open, "{stats}");
    let connections = stats["connections"].as_array().unwrap();
    assert_eq!(connections.len() as i64, open, "{stats}");
    assert!(connections.iter().all(|connection| connection["checkouts"].as_i64().unwrap() >= 1), "{stats}");
    assert_eq!(stats["writer"]["open"], true, "{stats}");
    assert!(f64_of(&stats["writer"]["age_secs"]) >= 0.0);
    let (checkouts, reused, opened) = (&stats["checkouts"], &stats["reused"], &stats["opened"]);
    assert_eq!(checkouts.as_i64().unwrap(), reused.as_i64().unwrap() + opened.as_i64().unwrap(), "{stats}");
    stats
}

#[test]
fn with_the_default_max_age_sequential_requests_reuse_the_pools_connections() {
    let app = spawn_app(None);
    let url = app.url(CONNECTION_POOL);
    let before = pool(&url);
    let before = check_pool(&before);
    const REQUESTS: i64 = 12;
    // A page the per-view cache does not keep: each request checks out a connection.
    for _ in 0..REQUESTS {
        assert_eq!(get(&app.url("/api/movies/1/ratings")).0, 200);
    }
    let report = pool(&url);
    assert_eq!(report["method"], "CONN_MAX_AGE = 600");
    let after = check_pool(&report);
    let delta = |field: &str| after[field].as_i64().unwrap() - before[field].as_i64().unwrap();
    // The requests and this answer: one checkout each, none of which needed a new connection.
    assert_eq!(delta("checkouts"), REQUESTS + 1);
    assert_eq!(delta("reused"), REQUESTS + 1);
    assert!(after["opened"].as_i64() <= after["max_size"].as_i64(), "{after}");
    assert_eq!(after["closed"], 0);
    assert_eq!(after["max_age_secs"], 600);
    for connection in after["connections"].as_array().unwrap() {
        let age = f64_of(&connection["age_secs"]);
        assert!((0.0..=600.0).contains(&age), "{connection}");
    }
}

#[test]
fn with_max_age_0_every_checkout_opens_a_new_connection() {
    let db = TempDb::new();
    let data = db.dir.path().join("data");
    write_small_dataset(&data);
    common::movielens_ok(&["--db", db.arg(), "import", data.to_str().unwrap()]);
    // No workers or scheduler: their polls for due tasks and schedules check out connections of
    // their own, which would be counted with the requests'.
    let quiet = ["--no-worker", "--no-scheduler"];
    let (mut server, base, _) = start_server(&db, &quiet, &[("MOVIELENS_DB_CONN_MAX_AGE", "0")]);
    let url = format!("{base}{CONNECTION_POOL}");
    let before = pool(&url);
    const REQUESTS: i64 = 12;
    for _ in 0..REQUESTS {
        assert_eq!(get(&format!("{base}/api/movies/1/ratings")).0, 200);
    }
    let report = pool(&url);
    assert_eq!(report["method"], "CONN_MAX_AGE = 0");
    let (before, after) = (check_pool(&before), check_pool(&report));
    assert_eq!(after["max_age_secs"], 0);
    assert_eq!(after["reused"], 0, "{after}");
    let delta = |field: &str| after[field].as_i64().unwrap() - before[field].as_i64().unwrap();
    assert_eq!(delta("checkouts"), REQUESTS + 1);
    assert_eq!(delta("opened"), REQUESTS + 1);
    // Each closed when its unit of work ended; only this answer's is open, on its first use.
    assert_eq!(delta("closed"), REQUESTS + 1);
    assert_eq!(after["open"], 1, "{after}");
    assert_eq!(after["connections"][0]["checkouts"], 1, "{after}");
    assert!(terminate(&mut server).success());
}

#[test]
fn a_connection_past_its_max_age_is_closed_instead_of_reused() {
    let db = TempDb::new();
    let config = DbConfig { pool_size: 1, conn_max_age_secs: 1, ..DbConfig::at(&db.path) };
    let handle = Db::open(&config).unwrap();
    let touch = || handle.with_conn(|conn| conn.execute_batch("SELECT 1").map_err(DbError::from)).unwrap();
    touch();
    touch();
    assert_eq!((handle.pool_stats().opened, handle.pool_stats().reused), (1, 1));
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    touch();
    let stats = handle.pool_stats();
    assert_eq!((stats.opened, stats.closed, stats.checkouts, stats.reused), (2, 1, 3, 1), "{stats:?}");
    // The one open now is the second.
    assert_eq!(stats.connections.iter().map(|connection| connection.id).collect::<Vec<_>>(), [2], "{stats:?}");
}
