//! Periodic tasks through the API of an in-process server: firing on time, enable, disable,
//! expiry, one-offs, the plans of crontabs in time zones, and the checks of every field.

use crate::common;

use common::{get_json, post_json, send, spawn_app_with, wait_for, TestApp};
use serde_json::{json, Value};

const TOKEN: &str = "schedules-test-token";

fn app() -> TestApp {
    spawn_app_with(None, |serve| serve.admin_token = Some(movielens::config::Secret(TOKEN.to_string())))
}

fn authorized(method: &str, app: &TestApp, path: &str, body: Option<&Value>) -> (u16, Value) {
    let authorization = format!("Bearer {TOKEN}");
    let headers = [("Authorization", authorization.as_str()), ("Content-Type", "application/json")];
    let (status, _, text) = send(method, &app.url(path), &headers, body.map(Value::to_string).as_deref());
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn create(app: &TestApp, body: Value) -> Value {
    let (status, created) = post_json(&app.url("/api/schedules"), TOKEN, &body);
    assert_eq!(status, 201, "{body}: {created}");
    created
}

fn schedule(app: &TestApp, id: &Value) -> Value {
    let (status, body) = authorized("GET", app, &format!("/api/schedules/{id}"), None);
    assert_eq!(status, 200, "{body}");
    body
}

fn tasks_of(app: &TestApp, name: &str) -> i64 {
    app.db
        .connect()
        .query_row(
            "SELECT count(*) FROM job_results r JOIN schedules s ON s.id = r.schedule_id WHERE s.name = ?1",
            [name],
            |row| row.get(0),
        )
        .unwrap()
}

#[test]
fn an_interval_schedule_fires_on_time_and_its_tasks_run() {
    let app = app();
    let created = create(&app, json!({"name": "tick", "task": "noop", "interval": {"every": 1, "period": "seconds"}}));
    assert_eq!(created["schedule"], "every second");
    assert_eq!(created["next_runs"].as_array().unwrap().len(), 5);
    wait_for("three runs", || (schedule(&app, &created["id"])["total_run_count"].as_i64() >= Some(3)).then_some(()));
    let tasks = get_json(&app.url("/api/tasks?name=noop"), 200);
    let from_schedule = tasks["tasks"].as_array().unwrap().iter().filter(|task| task["schedule"] == "tick").count();
    assert!(from_schedule >= 3, "{tasks}");
    let found = schedule(&app, &created["id"]);
    assert_eq!(tasks_of(&app, "tick"), found["total_run_count"].as_i64().unwrap(), "one task per run");
}

#[test]
fn disabling_stops_a_schedule_and_enabling_starts_it_again() {
    let app = app();
    let created = create(&app, json!({"name": "tick", "task": "noop", "interval": {"every": 1, "period": "seconds"}}));
    let id = &created["id"];
    wait_for("a run", || (schedule(&app, id)["total_run_count"].as_i64() >= Some(1)).then_some(()));
    let (status, disabled) = authorized("POST", &app, &format!("/api/schedules/{id}/disable"), None);
    assert_eq!((status, &disabled["enabled"]), (200, &json!(false)), "{disabled}");
    assert!(disabled.get("next_run_at").is_none());
    let runs = schedule(&app, id)["total_run_count"].clone();
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert_eq!(schedule(&app, id)["total_run_count"], runs, "no run while disabled");
    let (status, _) = authorized("POST", &app, &format!("/api/schedules/{id}/enable"), None);
    assert_eq!(status, 200);
    wait_for("a run after enabling", || (schedule(&app, id)["total_run_count"].as_i64() > runs.as_i64()).then_some(()));
}

#[test]
fn one_off_clocked_and_expired_schedules_disable_themselves() {
    let app = app();
    let one_off = create(
        &app,
        json!({"name": "once", "task": "noop", "one_off": true, "interval": {"every": 1, "period": "seconds"}}),
    );
    let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(800)).to_rfc3339();
    let clocked = create(&app, json!({"name": "at", "task": "noop", "clocked": {"clocked_time": soon}}));
    assert_eq!(clocked["next_runs"].as_array().unwrap().len(), 1);
    let expires = (chrono::Utc::now() + chrono::Duration::milliseconds(2500)).to_rfc3339();
    let expiring = create(
        &app,
        json!({"name": "brief", "task": "noop", "expires": expires, "interval": {"every": 1, "period": "seconds"}}),
    );
    for (created, runs) in [(&one_off, 1), (&clocked, 1)] {
        let found = wait_for("the run and the disabling", || {
            let found = schedule(&app, &created["id"]);
            (found["enabled"] == false).then_some(found)
        });
        assert_eq!(found["total_run_count"], runs, "{found}");
    }
    let found = wait_for("the expiry", || {
        let found = schedule(&app, &expiring["id"]);
        (found["enabled"] == false).then_some(found)
    });
    assert!(found["total_run_count"].as_i64().unwrap() <= 2, "{found}");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(schedule(&app, &expiring["id"])["total_run_count"], found["total_run_count"], "no run after expiry");
}

#[test]
fn a_crontabs_next_runs_follow_its_time_zone_and_sunday_is_0_or_7() {
    let app = app();
    let cairo = create(
        &app,
        json!({"name": "cairo", "task": "noop",
        "crontab": {"minute": "30", "hour": "14", "timezone": "Africa/Cairo"}}),
    );
    for run in cairo["next_runs"].as_array().unwrap() {
        // Cairo is UTC+2 outside its summer time (late October to late April).
        let at = chrono::DateTime::parse_from_rfc3339(run.as_str().unwrap()).unwrap();
        let local = at.with_timezone(&chrono_tz::Africa::Cairo);
        assert_eq!(local.format("%H:%M").to_string(), "14:30", "{run}");
    }
    let sundays: Vec<Value> = ["0", "7", "sun"]
        .iter()
        .map(|day| {
            let body = json!({"name": format!("sunday-{day}"), "task": "noop",
                "crontab": {"minute": "0", "hour": "9", "day_of_week": day, "timezone": "Europe/Paris"}});
            create(&app, body)["next_runs"].clone()
        })
        .collect();
    assert_eq!(sundays[0], sundays[1]);
    assert_eq!(sundays[0], sundays[2]);
    for run in sundays[0].as_array().unwrap() {
        let at = chrono::DateTime::parse_from_rfc3339(run.as_str().unwrap()).unwrap();
        let local = at.with_timezone(&chrono_tz::Europe::Paris);
        assert_eq!(local.format("%a %H:%M").to_string(), "Sun 09:00");
    }
}

#[test]
fn bad_schedules_are_400s_that_name_every_field() {
    let app = app();
    let cases = [
        (json!({"name": "a", "task": "noop", "interval": {"every": 0, "period": "seconds"}}), vec!["interval.every"]),
        (json!({"name": "a", "task": "noop", "crontab": {"minute": "61"}}), vec!["crontab.minute"]),
        (
            json!({"name": "a", "task": "noop", "crontab": {"day_of_week": "8", "hour": "25"}}),
            vec!["crontab.day_of_week", "crontab.hour"],
        ),
        (json!({"name": "a", "task": "noop", "crontab": {"timezone": "Mars/Olympus"}}), vec!["crontab.timezone"]),
        (json!({"name": "a", "task": "teleport", "interval": {"every": 1, "period": "days"}}), vec!["task"]),
        (
            json!({"name": "a", "task": "movie_stats", "args": {"movie_id": "x"}, "interval": {"every": 1, "period": "days"}}),
            vec!["args.movie_id"],
        ),
        (json!({"name": "a", "task": "noop", "args": [1], "interval": {"every": 1, "period": "days"}}), vec!["args"]),
        (json!({"name": "a", "task": "noop"}), vec!["interval"]),
        (
            json!({"name": "a", "task": "noop", "interval": {"every": 1, "period": "days"}, "clocked": {"clocked_time": "2030-01-01T00:00:00Z"}}),
            vec!["interval"],
        ),
        (json!({"name": "a", "task": "noop", "clocked": {"clocked_time": "tomorrow"}}), vec!["clocked.clocked_time"]),
        (
            json!({"name": "a", "task": "noop", "interval": {"every": 1, "period": "days"}, "start_time": "2030-01-02T00:00:00Z", "expires": "2030-01-01T00:00:00Z"}),
            vec!["expires"],
        ),
    ];
    for (body, fields) in cases {
        let (status, answer) = post_json(&app.url("/api/schedules"), TOKEN, &body);
        assert_eq!(status, 400, "{body}: {answer}");
        let details = answer["details"].as_str().unwrap_or_default();
        let message = answer["message"].as_str().unwrap_or_default();
        for field in fields {
            // Our checks list the fields in `details`; the schema's own bounds (every >= 1) are
            // checked first by the framework, whose message names the field.
            let named = details.split(", ").any(|named| named == field)
                || message.contains(&format!("field `{}`", field.rsplit('.').next().unwrap()));
            assert!(named, "{body}: {field} not named in {answer}");
        }
    }
    create(&app, json!({"name": "taken", "task": "noop", "interval": {"every": 1, "period": "days"}}));
    let (status, _) = post_json(
        &app.url("/api/schedules"),
        TOKEN,
        &json!({"name": "taken", "task": "noop", "interval": {"every": 2, "period": "days"}}),
    );
    assert_eq!(status, 409, "a taken name");
    assert_eq!(send("GET", &app.url("/api/schedules"), &[], None).0, 401, "admin only");
}

#[test]
fn the_seeds_task_every_3_minutes_is_defined_in_code() {
    let app = app();
    // The scheduler writes it as it starts, beside the server.
    let seed = wait_for("the schedule defined in code", || {
        let (status, list) = authorized("GET", &app, "/api/schedules", None);
        assert_eq!(status, 200);
        list.as_array().unwrap().iter().find(|s| s["name"] == "scheduled_task_every_3_min").cloned()
    });
    assert_eq!(seed["interval"], json!({"every": 180, "period": "seconds"}));
    assert_eq!(seed["defined_in_code"], true);
    let mut changed = seed.clone();
    changed["interval"] = json!({"every": 5, "period": "seconds"});
    let (status, _) = authorized("PUT", &app, &format!("/api/schedules/{}", seed["id"]), Some(&changed));
    assert_eq!(status, 409, "its timing follows the code");
    let (status, queued) = authorized("POST", &app, &format!("/api/schedules/{}/run", seed["id"]), None);
    assert_eq!(status, 202, "{queued}");
    let task = wait_for("the run-now task to finish", || {
        let task = get_json(&app.url(&format!("/api/tasks/{}", queued["task_id"].as_str().unwrap())), 200);
        (task["state"] == "succeeded").then_some(task)
    });
    assert!(task["result"].get("refreshed").is_some(), "{task}");
}
