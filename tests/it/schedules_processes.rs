//! Schedulers as real processes on one database file: a restart adds no second task 1, two
//! schedulers fire each slot once, and runs missed while none ran fire once.

use crate::common;

use common::{post_json, start_server, terminate, wait_for, TempDb};
use serde_json::json;

const TOKEN: &str = "schedule-process-token";

fn worker(db: &TempDb) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_movielens"))
        .args(["--db", db.arg(), "worker"])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the worker starts")
}

fn count(db: &TempDb, sql: &str) -> i64 {
    db.connect().query_row(sql, [], |row| row.get(0)).unwrap()
}

#[test]
fn a_restart_does_not_duplicate_the_task_defined_in_code() {
    let db = TempDb::new();
    let env = [("MOVIELENS_ADMIN_TOKEN", TOKEN)];
    for _ in 0..2 {
        let (mut server, _, _) = start_server(&db, &[], &env);
        terminate(&mut server);
    }
    let (mut server, _, _) = start_server(&db, &["--prior-refresh-secs", "60"], &env);
    terminate(&mut server);
    assert_eq!(count(&db, "SELECT count(*) FROM schedules WHERE name = 'scheduled_task_every_3_min'"), 1);
    let timing: String = db.connect().query_row("SELECT timing FROM schedules", [], |row| row.get(0)).unwrap();
    assert!(timing.contains("\"every\":60"), "its timing follows the code: {timing}");
}

#[test]
fn two_schedulers_on_one_file_fire_each_slot_once() {
    let db = TempDb::new();
    let env = [("MOVIELENS_ADMIN_TOKEN", TOKEN)];
    let (mut server, base, _) = start_server(&db, &[], &env);
    let mut second = worker(&db); // runs a scheduler too
    let (status, body) = post_json(
        &format!("{base}/api/schedules"),
        TOKEN,
        &json!({"name": "tick", "task": "noop", "interval": {"every": 1, "period": "seconds"}}),
    );
    assert_eq!(status, 201, "{body}");
    wait_for("eight runs", || {
        (count(&db, "SELECT total_run_count FROM schedules WHERE name = 'tick'") >= 8).then_some(())
    });
    terminate(&mut second);
    terminate(&mut server);
    let runs = count(&db, "SELECT total_run_count FROM schedules WHERE name = 'tick'");
    let queued =
        count(&db, "SELECT count(*) FROM job_results r JOIN schedules s ON s.id = r.schedule_id WHERE s.name = 'tick'");
    assert_eq!(queued, runs, "one task per run, none twice");
    let conn = db.connect();
    let mut statement = conn
        .prepare("SELECT received_at FROM job_results r JOIN schedules s ON s.id = r.schedule_id WHERE s.name = 'tick' ORDER BY 1")
        .unwrap();
    let times: Vec<i64> = statement.query_map([], |row| row.get(0)).unwrap().collect::<Result<_, _>>().unwrap();
    let closest = times.windows(2).map(|pair| pair[1] - pair[0]).min().unwrap();
    assert!(closest >= 900, "no slot fired twice: two runs only {closest} ms apart");
}

#[test]
fn runs_missed_while_no_scheduler_ran_fire_once() {
    let db = TempDb::new();
    let env = [("MOVIELENS_ADMIN_TOKEN", TOKEN)];
    let (mut server, base, _) = start_server(&db, &["--no-scheduler"], &env);
    let (status, body) = post_json(
        &format!("{base}/api/schedules"),
        TOKEN,
        &json!({"name": "hourly", "task": "noop", "interval": {"every": 1, "period": "minutes"}}),
    );
    assert_eq!(status, 201, "{body}");
    // As if the last run were 100 minutes ago and no scheduler had run since: 99 missed slots.
    let now = chrono::Utc::now().timestamp_millis();
    db.connect()
        .execute(
            "UPDATE schedules SET last_run_at = ?1, next_run_at = ?2 WHERE name = 'hourly'",
            [now - 100 * 60_000, now - 99 * 60_000],
        )
        .unwrap();
    let mut scheduler = worker(&db);
    wait_for("the missed run", || {
        (count(&db, "SELECT total_run_count FROM schedules WHERE name = 'hourly'") >= 1).then_some(())
    });
    std::thread::sleep(std::time::Duration::from_secs(2));
    terminate(&mut scheduler);
    terminate(&mut server);
    assert_eq!(
        count(&db, "SELECT total_run_count FROM schedules WHERE name = 'hourly'"),
        1,
        "fired once, not 99 times"
    );
    let next: i64 = db
        .connect()
        .query_row("SELECT next_run_at FROM schedules WHERE name = 'hourly'", [], |row| row.get(0))
        .unwrap();
    assert!(next > now + 50_000, "the next run is planned a minute after the catch-up");
}
