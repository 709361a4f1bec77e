//! When builds get queued without anyone asking: once at a server's start on data without a
//! model, after an import on the command line (for the next server), and after an import task,
//! which wakes an idle worker instead of leaving the build to the next poll.

use crate::common;

use common::{get, get_json, post_json, start_server, terminate, wait_for, write_small_dataset, TempDb};
use serde_json::{json, Value};

const TOKEN: &str = "recommendations-queue-token";

/// The `recommendations.build` tasks in the file, by state.
fn builds(db: &TempDb) -> Vec<String> {
    let conn = db.connect();
    let mut statement = conn
        .prepare("SELECT state FROM job_results WHERE name = 'recommendations.build' ORDER BY received_at")
        .unwrap();
    statement.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect()
}

#[test]
fn a_server_started_on_data_without_a_model_queues_one_build_once_and_none_when_the_model_is_current() {
    let (folder, db) = (tempfile::tempdir().unwrap(), TempDb::new());
    write_small_dataset(folder.path());
    let data = folder.path().to_str().unwrap();
    let parsed = movielens::config::Cli::parse_or_serve_from(["movielens", "serve"]);
    let Some(movielens::config::Command::Serve(serve)) = parsed.command else { panic!("not serve") };
    assert!(serve.recommendations_at_start, "on by default");
    // The default, which the test helper turns off.
    let env = [("MOVIELENS_ADMIN_TOKEN", TOKEN), ("MOVIELENS_RECOMMENDATIONS_AT_START", "true")];
    // No workers: the queued build stays queued, so a second start can see it.
    let (mut server, base, _) = start_server(&db, &["--no-worker", "--data", data], &env);
    assert_eq!(builds(&db), ["pending"], "the first start (data just loaded, no model) queues one build");
    assert_eq!(get(&format!("{base}/api/recommendations/model")).0, 503);
    terminate(&mut server);
    let (mut server, _, _) = start_server(&db, &["--no-worker"], &env);
    assert_eq!(builds(&db), ["pending"], "a build already waits: no second one");
    terminate(&mut server);
    // Read-only: nothing is written, no build queued.
    db.connect().execute("DELETE FROM job_results", []).unwrap();
    db.connect().execute("DELETE FROM fang_tasks", []).unwrap();
    let (mut server, _, _) = start_server(&db, &["--read-only"], &env);
    assert!(builds(&db).is_empty(), "a read-only server queues nothing");
    terminate(&mut server);

    // With workers the 503 ends by itself.
    let (mut server, base, _) = start_server(&db, &[], &env);
    let model = wait_for("the model to be built", || {
        let (status, body) = get(&format!("{base}/api/recommendations/model"));
        (status == 200).then(|| serde_json::from_str::<Value>(&body).unwrap())
    });
    assert_eq!(model["stale"], false, "{model}");
    terminate(&mut server);
    let (mut server, _, _) = start_server(&db, &["--no-worker"], &env);
    assert_eq!(builds(&db), ["succeeded"], "the model is current: no build at this start");
    terminate(&mut server);
    // A change to the data leaves no model of the current data: the next start queues one.
    db.connect().execute("UPDATE ratings SET rating = 0.5 WHERE id = (SELECT min(id) FROM ratings)", []).unwrap();
    let (mut server, _, _) = start_server(&db, &["--no-worker"], &env);
    assert_eq!(builds(&db), ["succeeded", "pending"]);
    terminate(&mut server);
}

#[test]
fn a_command_line_import_leaves_a_build_queued_that_the_next_server_runs() {
    let (folder, db) = (tempfile::tempdir().unwrap(), TempDb::new());
    write_small_dataset(folder.path());
    let output = common::movielens_ok(&["--db", db.arg(), "import", folder.path().to_str().unwrap()]);
    assert!(output.contains("Queued recommendations.build"), "{output}");
    assert_eq!(builds(&db), ["pending"], "the import queued a build in the file");
    // The start-up build is off: only the import's task can build the model.
    let env = [("MOVIELENS_ADMIN_TOKEN", TOKEN), ("MOVIELENS_RECOMMENDATIONS_AT_START", "false")];
    let (mut server, base, _) = start_server(&db, &[], &env);
    wait_for("the queued build to run", || (builds(&db) == ["succeeded"]).then_some(()));
    assert_eq!(get(&format!("{base}/api/recommendations/model")).0, 200);
    terminate(&mut server);
    // A failed import queues nothing.
    std::fs::write(folder.path().join("ratings.csv"), "userId,movieId,rating\n").unwrap();
    common::movielens_err(&["--db", db.arg(), "import", "--replace", folder.path().to_str().unwrap()]);
    assert_eq!(builds(&db), ["succeeded"]);
}

fn queue(base: &str, name: &str, args: Value, countdown: u32) -> String {
    let body = json!({"name": name, "args": args, "countdown": countdown});
    let (status, body) = post_json(&format!("{base}/api/tasks"), TOKEN, &body);
    assert_eq!(status, 202, "{body}");
    body["task_id"].as_str().unwrap().to_string()
}

fn task(base: &str, id: &str) -> Value {
    get_json(&format!("{base}/api/tasks/{id}"), 200)
}

#[test]
fn a_build_queued_by_an_import_task_wakes_an_idle_worker_instead_of_waiting_for_the_poll() {
    let folder = tempfile::tempdir().unwrap();
    write_small_dataset(folder.path());
    // movies.csv is a pipe: the import blocks on it until the test writes it.
    let movies = folder.path().join("movies.csv");
    let contents = std::fs::read(&movies).unwrap();
    std::fs::remove_file(&movies).unwrap();
    assert!(std::process::Command::new("mkfifo").arg(&movies).status().unwrap().success());
    let app = common::spawn_app_with(None, |serve| {
        serve.admin_token = Some(movielens::config::Secret(TOKEN.to_string()));
        // Ten minutes: a worker that is not woken does not look for due tasks in this test.
        serve.jobs.job_poll_ms = 600_000;
    });
    let base = app.url("");
    // A long task due in two seconds: it becomes due without waking anyone.
    let long = queue(&base, "noop", json!({"sleep_ms": 60_000}), 2);
    let import = queue(&base, "import_dataset", json!({"path": folder.path(), "replace": true}), 0);
    wait_for("the import to start", || (task(&base, &import)["state"] == "running").then_some(()));
    wait_for("the long task to be due", || {
        let received = task(&base, &long)["received_at"].as_str().map(str::to_owned)?;
        let due = chrono::DateTime::parse_from_rfc3339(&received).ok()? + chrono::Duration::seconds(3);
        (chrono::Utc::now() > due).then_some(())
    });
    assert_eq!(task(&base, &long)["state"], "pending", "the idle worker was not woken for it");
    std::fs::write(&movies, contents).unwrap();
    let imported = wait_for("the import to end", || Some(task(&base, &import)).filter(|t| t["state"] != "running"));
    assert_eq!(imported["state"], "succeeded", "{imported}");
    // The importing worker goes on to the long task (queued first); the other one must be woken
    // for the build, or it sleeps through the whole test.
    let build = imported["result"]["recommendations_task"].as_str().unwrap().to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(45);
    while task(&base, &build)["state"] != "succeeded" {
        assert!(std::time::Instant::now() < deadline, "the build waited: {}", task(&base, &build));
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let (status, body) = post_json(&format!("{base}/api/tasks/{long}/cancel"), TOKEN, &json!({}));
    assert!(status == 200 || status == 202, "{status} {body}");
}
