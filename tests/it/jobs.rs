//! Background tasks through the HTTP API of an in-process server: queuing, running exactly
//! once, failures, retries, time limits, cancellation and the checks before queuing.

use crate::common;

use common::{get_json, post_json, send, spawn_app_with, wait_for, TestApp};
use serde_json::{json, Value};

const TOKEN: &str = "jobs-test-token";

fn app_with(configure: impl FnOnce(&mut movielens::config::ServeConfig)) -> TestApp {
    spawn_app_with(None, |serve| {
        serve.admin_token = Some(movielens::config::Secret(TOKEN.to_string()));
        configure(serve);
    })
}

/// Queues task `name` with `args`; returns its id.
fn queue(app: &TestApp, name: &str, args: Value) -> String {
    let (status, body) = post_json(&app.url("/api/tasks"), TOKEN, &json!({"name": name, "args": args}));
    assert_eq!(status, 202, "{body}");
    body["task_id"].as_str().unwrap().to_string()
}

fn task(app: &TestApp, id: &str) -> Value {
    get_json(&app.url(&format!("/api/tasks/{id}")), 200)
}

/// Waits until the task is in one of the final states and returns it.
fn finished(app: &TestApp, id: &str) -> Value {
    wait_for(&format!("task {id} to end"), || {
        let task = task(app, id);
        matches!(task["state"].as_str(), Some("succeeded" | "failed" | "cancelled" | "timed_out")).then_some(task)
    })
}

#[test]
fn two_hundred_tasks_on_four_workers_each_run_exactly_once() {
    let app = app_with(|serve| serve.jobs.workers = 4);
    let ids: Vec<String> = (0..200).map(|_| queue(&app, "noop", json!({}))).collect();
    wait_for("all 200 tasks to succeed", || {
        let succeeded: i64 = app
            .db
            .connect()
            .query_row("SELECT count(*) FROM job_results WHERE state = 'succeeded' AND name = 'noop'", [], |row| {
                row.get(0)
            })
            .unwrap();
        (succeeded == 200).then_some(())
    });
    let conn = app.db.connect();
    let runs: i64 = conn.query_row("SELECT count(*) FROM job_attempts", [], |row| row.get(0)).unwrap();
    let tasks_run: i64 =
        conn.query_row("SELECT count(DISTINCT task_id) FROM job_attempts", [], |row| row.get(0)).unwrap();
    assert_eq!((runs, tasks_run), (200, 200), "every task ran once and only once");
    let workers: i64 = conn.query_row("SELECT count(DISTINCT worker) FROM job_attempts", [], |row| row.get(0)).unwrap();
    assert!(workers > 1, "the work was shared between workers ({workers})");
    assert_eq!(task(&app, &ids[0])["attempts"], 1);
}

#[test]
fn a_panicking_task_is_recorded_as_failed_and_the_worker_goes_on() {
    let app = app_with(|serve| serve.jobs.workers = 1);
    let panicked = queue(&app, "noop", json!({"fail": "panic"}));
    let after = queue(&app, "noop", json!({}));
    let task = finished(&app, &panicked);
    assert_eq!(task["state"], "failed");
    assert!(task["error"].as_str().unwrap().contains("panicked on purpose"), "{task}");
    assert_eq!(finished(&app, &after)["state"], "succeeded", "the one worker ran the next task");
}

#[test]
fn a_failing_task_is_retried_with_its_backoff_and_its_final_failure_is_kept() {
    let app = app_with(|_| {});
    let id = queue(&app, "noop", json!({"fail": "error", "retries": 2, "retry_delay_secs": 1}));
    let task = finished(&app, &id);
    assert_eq!(task["state"], "failed");
    assert_eq!(task["attempts"], 3, "the first run and two retries");
    assert!(task["error"].as_str().unwrap().contains("attempt 3"), "{task}");
    let conn = app.db.connect();
    let starts: Vec<i64> = conn
        .prepare("SELECT started_at FROM job_attempts ORDER BY attempt")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(starts.len(), 3);
    // fang keeps whole seconds, so a 1 s backoff waits at least until the next second.
    assert!(starts.windows(2).all(|pair| pair[1] - pair[0] >= 500), "retries waited their backoff: {starts:?}");
    let fang_state: String = conn.query_row("SELECT state FROM fang_tasks", [], |row| row.get(0)).unwrap();
    assert_eq!(fang_state, "failed", "fang's row says failed too, and it is kept");
}

#[test]
fn a_task_over_its_hard_limit_is_timed_out_and_at_the_soft_limit_it_wraps_up() {
    let app = app_with(|serve| {
        serve.jobs.task_limits = vec![movielens::jobs::limits::parse_task_limit("noop=1:0.3").unwrap()];
    });
    // The noop task gives way at the soft limit, so it ends early and succeeds.
    let wrapped = finished(&app, &queue(&app, "noop", json!({"sleep_ms": 20_000})));
    assert_eq!(wrapped["state"], "succeeded");
    assert_eq!(wrapped["result"]["completed"], false, "it stopped waiting at the soft limit");
    assert!(wrapped["runtime_ms"].as_i64().unwrap() < 20_000);
    // Work that never checks is stopped at the hard limit.
    let stuck = finished(&app, &queue(&app, "noop", json!({"sleep_ms": 20_000, "cooperative": false})));
    assert_eq!(stuck["state"], "timed_out", "{stuck}");
    assert!(stuck["error"].as_str().unwrap().contains("hard time limit of 1 s"), "{stuck}");
    assert!(stuck["runtime_ms"].as_i64().unwrap() < 20_000);
}

#[test]
fn a_queued_task_and_a_running_task_can_both_be_cancelled() {
    let app = app_with(|serve| serve.jobs.workers = 1);
    let running = queue(&app, "noop", json!({"sleep_ms": 60_000}));
    let waiting = queue(&app, "noop", json!({}));
    wait_for("the long task to start", || (task(&app, &running)["state"] == "running").then_some(()));
    let cancel = |id: &str| post_json(&app.url(&format!("/api/tasks/{id}/cancel")), TOKEN, &json!({}));
    let (status, body) = cancel(&waiting);
    assert_eq!((status, body["state"].as_str()), (200, Some("cancelled")), "{body}");
    let (status, body) = cancel(&running);
    assert_eq!(status, 200, "{body}");
    let stopped = finished(&app, &running);
    assert_eq!(stopped["state"], "cancelled");
    assert!(stopped["runtime_ms"].as_i64().unwrap() < 30_000, "it stopped long before its 60 s");
    assert_eq!(task(&app, &waiting)["attempts"], 0, "the cancelled waiting task never ran");
    let (status, body) = cancel(&running);
    assert_eq!(status, 409, "cancelling an ended task: {body}");
    // And a cancelled task can be retried.
    let (status, body) = post_json(&app.url(&format!("/api/tasks/{waiting}/retry")), TOKEN, &json!({}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(finished(&app, &waiting)["state"], "succeeded");
}

#[test]
fn cancel_and_retry_need_the_admin_token() {
    let app = app_with(|_| {});
    let id = queue(&app, "noop", json!({}));
    for action in ["cancel", "retry"] {
        let url = app.url(&format!("/api/tasks/{id}/{action}"));
        assert_eq!(send("POST", &url, &[], None).0, 401);
        assert_eq!(send("POST", &url, &[("Authorization", "Bearer wrong")], None).0, 403);
    }
}

#[test]
fn nothing_invalid_enters_the_queue() {
    let app = app_with(|serve| serve.no_worker = true);
    let cases = [
        (json!({"name": "no_such_task", "args": {}}), 400, "task"),
        (json!({"name": "movie_stats", "args": {"movie_id": "one"}}), 400, "args.movie_id"),
        (json!({"name": "movie_stats", "args": {"film": 1}}), 400, "args.film"),
        (json!({"name": "movie_stats", "args": [1]}), 400, "args"),
        (json!({"name": "movie_stats", "args": {"simulate_seconds": 61}}), 400, "args.simulate_seconds"),
        (json!({"name": "noop", "args": {"fail": "maybe"}}), 400, "args.fail"),
        (json!({"name": "movie_stats", "args": {"movie_id": 999_999}}), 404, ""),
        (json!({"name": "user_profile", "args": {"user_id": 999_999}}), 404, ""),
    ];
    for (body, expected, field) in cases {
        let (status, answer) = post_json(&app.url("/api/tasks"), TOKEN, &body);
        assert_eq!(status, expected, "{body}: {answer}");
        if !field.is_empty() {
            assert!(answer["details"].as_str().unwrap_or_default().contains(field), "{body}: {answer}");
        }
    }
    for query in ["movie_id=0", "movie_id=x", "simulate_seconds=61", "movie_id=999999"] {
        let (status, _, body) = send("GET", &app.url(&format!("/api/celery/task1?{query}")), &[], None);
        assert!(status == 400 || status == 404, "{query}: {status} {body}");
    }
    assert_eq!(app.db.count("fang_tasks"), 0, "nothing was queued");
    assert_eq!(app.db.count("job_results"), 0);
}

/// The movie is looked up in the transaction that queues the task, which concurrent submissions
/// share (group commit): a 404 must take only its own task out of it.
#[test]
fn submissions_sharing_a_transaction_queue_the_valid_and_refuse_the_unknown() {
    let app = app_with(|serve| serve.no_worker = true);
    let answers: Vec<(i64, u16)> = std::thread::scope(|scope| {
        let app = &app;
        let threads: Vec<_> = (0..32)
            .map(|i| {
                scope.spawn(move || {
                    let movie_id = if i % 2 == 0 { 1 } else { 900_000 + i };
                    let body = json!({"name": "movie_stats", "args": {"movie_id": movie_id}});
                    (movie_id, post_json(&app.url("/api/tasks"), TOKEN, &body).0)
                })
            })
            .collect();
        threads.into_iter().map(|thread| thread.join().unwrap()).collect()
    });
    for (movie_id, status) in &answers {
        assert_eq!(*status, if *movie_id == 1 { 202 } else { 404 }, "movie {movie_id}");
    }
    assert_eq!(app.db.count("fang_tasks"), 16);
    assert_eq!(app.db.count("job_results"), 16);
}

#[test]
fn the_task_list_filters_and_pages_with_a_cursor() {
    let app = app_with(|serve| serve.no_worker = true);
    for _ in 0..5 {
        queue(&app, "noop", json!({}));
    }
    queue(&app, "refresh_prior", json!({}));
    let page = get_json(&app.url("/api/tasks?name=noop&limit=2"), 200);
    assert_eq!(page["tasks"].as_array().unwrap().len(), 2);
    let mut seen: Vec<String> =
        page["tasks"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().into()).collect();
    let mut cursor = page["next_cursor"].as_str().map(String::from);
    while let Some(next) = cursor {
        let page = get_json(&app.url(&format!("/api/tasks?name=noop&limit=2&cursor={next}")), 200);
        seen.extend(page["tasks"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_string()));
        cursor = page["next_cursor"].as_str().map(String::from);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5, "every noop task once, across pages");
    let pending = get_json(&app.url("/api/tasks?state=pending"), 200);
    assert_eq!(pending["tasks"].as_array().unwrap().len(), 6);
    assert_eq!(get_json(&app.url("/api/tasks?state=running"), 200)["tasks"].as_array().unwrap().len(), 0);
    for bad in ["state=asleep", "since=yesterday", "cursor=zzz", "limit=0", "limit=201"] {
        assert_eq!(send("GET", &app.url(&format!("/api/tasks?{bad}")), &[], None).0, 400, "{bad}");
    }
    let stats = get_json(&app.url("/api/tasks/stats"), 200);
    assert_eq!(stats["queue_length"], 6);
    assert_eq!(stats["workers"].as_array().unwrap().len(), 0, "--no-worker runs none");
}

#[test]
fn task_bookkeeping_does_not_flush_the_cache_but_a_data_change_does() {
    let app = app_with(|_| {});
    let status = |app: &TestApp| get_json(&app.url("/api/cache/manual/"), 200)["cache_status"].clone();
    status(&app);
    assert_eq!(status(&app), "HIT");
    let ids: Vec<String> = (0..20).map(|_| queue(&app, "noop", json!({}))).collect();
    for id in &ids {
        finished(&app, id);
    }
    // Longer than the watcher's check interval (250 ms): it has seen the commits.
    std::thread::sleep(std::time::Duration::from_millis(800));
    assert_eq!(status(&app), "HIT", "20 tasks' claims and results changed no data");
    app.db.connect().execute("UPDATE movies SET title = title || ' ' WHERE movie_id = 1", []).unwrap();
    wait_for("the data change to flush the cache", || (status(&app) == "MISS").then_some(()));
}

#[test]
fn an_import_runs_as_a_task_with_progress_and_refuses_to_overwrite_without_replace() {
    let app = app_with(|_| {});
    let folder = tempfile::tempdir().unwrap();
    common::write_small_dataset(folder.path());
    let path = folder.path().to_str().unwrap();
    let refused = finished(&app, &queue(&app, "import_dataset", json!({"path": path})));
    assert_eq!(refused["state"], "failed");
    assert!(refused["error"].as_str().unwrap().contains("replace"), "{refused}");
    assert_eq!(refused["attempts"], 1, "an import is not retried");
    let imported = finished(&app, &queue(&app, "import_dataset", json!({"path": path, "replace": true})));
    assert_eq!(imported["state"], "succeeded", "{imported}");
    assert_eq!(imported["result"]["movies"], 3);
    let progress = &imported["progress"];
    assert!(progress["total"].as_i64().unwrap() > 0 && progress["done"] == progress["total"], "{imported}");
    assert_eq!(app.db.count("movies"), 3);
    let (status, body) = post_json(
        &app.url("/api/tasks"),
        TOKEN,
        &json!({"name": "import_dataset", "args": {"path": "/no/such/folder"}}),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body["details"].as_str().unwrap().contains("args.path"));
}
