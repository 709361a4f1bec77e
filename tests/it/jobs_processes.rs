//! Background workers as real processes on one database file: two `movielens worker`s share a
//! queue without running a task twice, a `kill -9` mid-task loses nothing, and a shutdown
//! queues what it could not finish.

use crate::common;

use common::{get_json, start_server, terminate, wait_for, TempDb};
use rusqlite::Connection;
use serde_json::{json, Value};

const TOKEN: &str = "jobs-process-token";

fn worker(db: &TempDb, args: &[&str]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_movielens"))
        .args(["--db", db.arg(), "worker"])
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the worker starts")
}

fn queue(base: &str, name: &str, args: Value) -> String {
    let (status, body) = common::post_json(&format!("{base}/api/tasks"), TOKEN, &json!({"name": name, "args": args}));
    assert_eq!(status, 202, "{body}");
    body["task_id"].as_str().unwrap().to_string()
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |row| row.get(0)).unwrap()
}

#[test]
fn two_worker_processes_on_one_file_run_each_task_exactly_once() {
    let db = TempDb::new();
    let env = [("MOVIELENS_ADMIN_TOKEN", TOKEN)];
    let (mut server, base, _) = start_server(&db, &["--no-worker"], &env);
    let mut workers = [worker(&db, &["--workers", "2"]), worker(&db, &["--workers", "2"])];
    for _ in 0..200 {
        queue(&base, "noop", json!({}));
    }
    let conn = db.connect();
    wait_for("all 200 tasks to succeed", || {
        (count(&conn, "SELECT count(*) FROM job_results WHERE state = 'succeeded'") == 200).then_some(())
    });
    assert_eq!(count(&conn, "SELECT count(*) FROM job_attempts"), 200, "200 runs for 200 tasks");
    let processes = count(&conn, "SELECT count(DISTINCT substr(worker, 1, instr(substr(worker, instr(worker, ':') + 1), ':') + instr(worker, ':'))) FROM job_attempts");
    assert_eq!(processes, 2, "both worker processes took tasks");
    for worker in &mut workers {
        terminate(worker);
    }
    terminate(&mut server);
}

#[test]
fn a_task_whose_process_is_killed_is_run_again_after_a_restart() {
    let db = TempDb::new();
    let env = [("MOVIELENS_ADMIN_TOKEN", TOKEN)];
    let (mut server, base, _) = start_server(&db, &[], &env);
    let id = queue(&base, "noop", json!({"sleep_ms": 60_000, "retries": 1}));
    wait_for("the task to start", || {
        (get_json(&format!("{base}/api/tasks/{id}"), 200)["state"] == "running").then_some(())
    });
    server.kill().unwrap(); // SIGKILL: no shutdown, the row stays `running`
    server.wait().unwrap();
    let (mut server, base, _) = start_server(&db, &[], &env);
    let task = get_json(&format!("{base}/api/tasks/{id}"), 200);
    assert!(task["state"] == "retrying" || task["state"] == "running", "recovered at start: {task}");
    wait_for("the task to run again", || {
        let task = get_json(&format!("{base}/api/tasks/{id}"), 200);
        (task["attempts"] == 2 && task["state"] == "running").then_some(())
    });
    let conn = db.connect();
    let first: (String, String) = conn
        .query_row("SELECT outcome, error FROM job_attempts WHERE attempt = 1", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap();
    assert_eq!(first.0, "failed");
    assert!(first.1.contains("stopped without finishing it"), "{first:?}");
    // The rerun is cut by this shutdown after its grace period, and queued again.
    common::signal_and_wait(&mut server, "TERM", std::time::Duration::from_secs(60));
}

#[test]
fn a_killed_task_without_retries_left_is_failed_not_stuck() {
    let db = TempDb::new();
    let env = [("MOVIELENS_ADMIN_TOKEN", TOKEN)];
    let (mut server, base, _) = start_server(&db, &[], &env);
    let id = queue(&base, "noop", json!({"sleep_ms": 60_000}));
    wait_for("the task to start", || {
        (get_json(&format!("{base}/api/tasks/{id}"), 200)["state"] == "running").then_some(())
    });
    server.kill().unwrap();
    server.wait().unwrap();
    let (mut server, base, _) = start_server(&db, &[], &env);
    // The workers recover it as they start, beside the server.
    let task = wait_for("the recovery", || {
        let task = get_json(&format!("{base}/api/tasks/{id}"), 200);
        (task["state"] != "running").then_some(task)
    });
    assert_eq!(task["state"], "failed", "{task}");
    assert!(task["error"].as_str().unwrap().contains("stopped without finishing it"), "{task}");
    let fang_state: String = db.connect().query_row("SELECT state FROM fang_tasks", [], |row| row.get(0)).unwrap();
    assert_eq!(fang_state, "failed", "fang's row is not left in_progress");
    terminate(&mut server);
}

#[test]
fn a_shutdown_lets_short_tasks_finish_and_queues_long_ones_again() {
    let db = TempDb::new();
    let env = [("MOVIELENS_ADMIN_TOKEN", TOKEN)];
    let (mut server, base, _) = start_server(&db, &["--shutdown-grace-secs", "2"], &env);
    let short = queue(&base, "noop", json!({"sleep_ms": 500, "cooperative": false}));
    let long = queue(&base, "noop", json!({"sleep_ms": 60_000, "cooperative": false}));
    wait_for("both tasks to start", || {
        let running = |id: &str| get_json(&format!("{base}/api/tasks/{id}"), 200)["state"] == "running";
        (running(&short) && running(&long)).then_some(())
    });
    common::signal_and_wait(&mut server, "TERM", std::time::Duration::from_secs(20));
    let conn = db.connect();
    let state = |id: &str| -> String {
        conn.query_row("SELECT state FROM job_results WHERE lower(hex(task_id)) = ?1", [id.replace('-', "")], |row| {
            row.get(0)
        })
        .unwrap()
    };
    assert_eq!(state(&short), "succeeded", "the short task finished within the grace period");
    assert_eq!(state(&long), "retrying", "the long task was queued to run again");
    let stopped = count(&conn, "SELECT count(*) FROM job_workers WHERE stopped_at IS NULL");
    assert_eq!(stopped, 0, "the workers were marked stopped");
}
