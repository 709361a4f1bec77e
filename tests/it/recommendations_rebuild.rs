//! A rebuild on ml-latest-small while readers read: every answer comes whole from the old model
//! or from the new one; and a cancelled build leaves the previous model current.

use crate::common;

use common::{get_json, post_json, real_data, spawn_app_with, wait_for, TestApp};
use serde_json::{json, Value};

const TOKEN: &str = "rebuild-test-token";

fn app(data: &std::path::Path) -> TestApp {
    spawn_app_with(Some(data), |serve| serve.admin_token = Some(movielens::config::Secret(TOKEN.to_string())))
}

fn queue(app: &TestApp, args: Value) -> String {
    let (status, body) =
        post_json(&app.url("/api/tasks"), TOKEN, &json!({"name": "recommendations.build", "args": args}));
    assert_eq!(status, 202, "{body}");
    body["task_id"].as_str().unwrap().to_string()
}

fn task(app: &TestApp, id: &str) -> Value {
    get_json(&app.url(&format!("/api/tasks/{id}")), 200)
}

fn ended(task: &Value) -> bool {
    matches!(task["state"].as_str(), Some("succeeded" | "failed" | "cancelled" | "timed_out"))
}

fn finished(app: &TestApp, id: &str) -> Value {
    wait_for("the build to end", || Some(task(app, id)).filter(ended))
}

/// What readers see of one model: a movie's neighbours and a user's picks.
fn answers(app: &TestApp) -> (Value, Value) {
    let similar = get_json(&app.url("/api/movies/1/similar?limit=50"), 200);
    let picks = get_json(&app.url("/api/users/1/recommendations?limit=50"), 200);
    (similar, picks)
}

#[test]
fn readers_during_a_rebuild_get_each_answer_whole_from_the_old_model_or_the_new_one() {
    let Some(data) = real_data() else { return };
    let app = app(&data);
    assert_eq!(finished(&app, &queue(&app, json!({"neighbours": 5})))["state"], "succeeded");
    let old = answers(&app);
    let rebuild = queue(&app, json!({"neighbours": 40, "normalization": "centred", "evaluate": true}));
    let mut seen = Vec::new();
    loop {
        let done = ended(&task(&app, &rebuild));
        seen.push(answers(&app));
        if done {
            break;
        }
    }
    assert_eq!(task(&app, &rebuild)["state"], "succeeded");
    let new = answers(&app);
    assert_ne!(old.0["model_id"], new.0["model_id"]);
    for (similar, picks) in &seen {
        let expected = if similar["model_id"] == old.0["model_id"] { &old } else { &new };
        assert_eq!(similar, &expected.0, "a neighbour list mixed two models");
        let expected = if picks["model_id"] == old.1["model_id"] { &old } else { &new };
        assert_eq!(picks, &expected.1, "a user's picks mixed two models");
    }
}

#[test]
fn a_cancelled_build_leaves_the_previous_model_current_and_deletes_its_own_rows() {
    let Some(data) = real_data() else { return };
    let app = app(&data);
    let first = finished(&app, &queue(&app, json!({"neighbours": 5})));
    let mut current = first["result"]["model_id"].clone();
    // A build that ends before the cancel reaches it succeeds; try again with it as the old one.
    for _ in 0..5 {
        let slow = json!({"neighbours": 500, "max_user_ratings": 100000, "evaluate": true, "force": true});
        let before = answers(&app);
        let id = queue(&app, slow);
        wait_for("the build to start", || (task(&app, &id)["state"] != "pending").then_some(()));
        let (status, body) = post_json(&app.url(&format!("/api/tasks/{id}/cancel")), TOKEN, &json!({}));
        assert!(status == 200 || status == 202 || status == 409, "{status} {body}");
        let ended = finished(&app, &id);
        if ended["state"] == "succeeded" {
            current = ended["result"]["model_id"].clone();
            continue;
        }
        assert_eq!(ended["state"], "cancelled", "{ended}");
        let model = get_json(&app.url("/api/recommendations/model"), 200);
        assert_eq!(model["id"], current, "the previous model is still current");
        assert_eq!(answers(&app), before, "readers see the previous model");
        let conn = app.db.connect();
        let leftovers = wait_for("the cancelled build's rows to go", || {
            let rows: i64 = conn
                .query_row(
                    "SELECT count(*) FROM recommendation_neighbours WHERE model_id <> ?1",
                    [current.as_i64()],
                    |r| r.get(0),
                )
                .unwrap();
            (rows == 0).then_some(rows)
        });
        assert_eq!(leftovers, 0);
        return;
    }
    panic!("five builds in a row ended before their cancel reached them");
}

#[test]
fn two_builds_that_end_together_leave_a_current_model_that_readers_can_read() {
    let folder = tempfile::tempdir().unwrap();
    common::write_small_dataset(folder.path());
    let app = app(folder.path());
    // Two workers run the two builds side by side; each deletes the models it replaced. The one
    // that publishes first must not delete the other's, published since.
    for round in 0..30 {
        let first = queue(&app, json!({"neighbours": 5, "force": true, "evaluate": false}));
        let second = queue(&app, json!({"neighbours": 6, "force": true, "evaluate": false}));
        assert_eq!(finished(&app, &first)["state"], "succeeded");
        assert_eq!(finished(&app, &second)["state"], "succeeded");
        let (status, body) = common::get(&app.url("/api/recommendations/model"));
        assert_eq!(status, 200, "round {round}: the current model is gone: {body}");
    }
}
