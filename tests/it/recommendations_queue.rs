//! When builds get queued without anyone asking: once at a server's start on data without a
//! model, after an import on the command line (for the next server), and after an import task,
//! which wakes an idle worker instead of leaving the build to the next poll.

use crate::common;

use common::{get, start_server, terminate, wait_for, write_small_dataset, TempDb};
use serde_json::Value;

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
