//! What the task monitor's tests share: an app with a known admin token, queuing `noop` tasks,
//! waiting for their states, and signed-in page views.
#![allow(dead_code)] // each test binary uses its own subset

use serde_json::{json, Value};

use crate::common::web::{get_with_cookie, sign_in, Answer};
use crate::common::{get_json, post_json, spawn_app_with, wait_for, write_small_dataset, TestApp};

pub const TOKEN: &str = "flower-test-token";

pub fn app() -> TestApp {
    let data = tempfile::tempdir().unwrap();
    write_small_dataset(data.path());
    spawn_app_with(Some(data.path()), |serve| {
        serve.admin_token = Some(movielens::config::Secret(TOKEN.to_string()));
    })
}

/// Queues `body` (`{"name": .., "args": ..}`) and returns the task's id.
pub fn queue_task(base: &str, body: Value) -> String {
    let (status, answer) = post_json(&format!("{base}/api/tasks"), TOKEN, &body);
    assert_eq!(status, 202, "{answer}");
    answer["task_id"].as_str().unwrap().to_string()
}

/// Queues a `noop` task with `args`; returns its id.
pub fn queue_noop(app: &TestApp, args: Value) -> String {
    queue_task(&app.url(""), json!({"name": "noop", "args": args}))
}

/// Queues a `noop` task that waits an hour before it may start: it stays `pending`.
pub fn queue_pending(app: &TestApp) -> String {
    queue_task(&app.url(""), json!({"name": "noop", "args": {}, "countdown": 3600}))
}

pub fn task(base: &str, id: &str) -> Value {
    get_json(&format!("{base}/api/tasks/{id}"), 200)
}

/// Waits until task `id` is in `state`, and returns it.
pub fn wait_state(base: &str, id: &str, state: &str) -> Value {
    wait_for(&format!("task {id} to be {state}"), || {
        let task = task(base, id);
        (task["state"] == state).then_some(task)
    })
}

/// A signed-in session's cookie.
pub fn session(app: &TestApp) -> String {
    sign_in(&app.url(""), TOKEN)
}

/// GETs `path` signed in with `cookie`.
pub fn view(app: &TestApp, path: &str, cookie: &str) -> Answer {
    get_with_cookie(&app.url(path), cookie)
}

/// The `<tr data-task="id">` row of task `id` in a page, whole.
pub fn task_row<'a>(body: &'a str, id: &str) -> Option<&'a str> {
    let start = body.find(&format!("<tr data-task=\"{id}\">"))?;
    let end = body[start..].find("</tr>")? + start;
    Some(&body[start..end])
}
