//! The task monitor's Cancel and Retry buttons over real HTTP: they act through the same code
//! as the task API, and only for a signed-in form from this site that carries the CSRF token.

use crate::common;
use crate::flower_support;

use common::web::{post_form, Answer};
use common::TestApp;
use flower_support::{app, queue_noop, queue_pending, session, task, view, wait_state};
use serde_json::json;

/// Presses button `action` (`cancel` or `retry`) of task `id` with the form's `csrf` field.
fn press(app: &TestApp, id: &str, action: &str, cookie: &str, csrf: &str, extra: &[(&str, &str)]) -> Answer {
    post_form(&app.url(&format!("/flower/task/{id}/{action}")), cookie, &[("csrf", csrf)], extra)
}

/// The CSRF token of the task page of `id`, which shows the button `action`.
fn page_csrf(app: &TestApp, id: &str, action: &str, cookie: &str) -> String {
    let page = view(app, &format!("/flower/task/{id}"), cookie);
    assert!(page.body.contains(&format!("action=\"/flower/task/{id}/{action}\"")), "no {action} button: {}", page.body);
    page.csrf_field()
}

#[test]
fn cancelling_a_running_task_through_its_form_stops_it_and_goes_back_to_its_page() {
    let app = app();
    let base = app.url("");
    let cookie = session(&app);
    let id = queue_noop(&app, json!({"sleep_ms": 60_000}));
    wait_state(&base, &id, "running");
    let csrf = page_csrf(&app, &id, "cancel", &cookie);
    let answer = press(&app, &id, "cancel", &cookie, &csrf, &[("origin", base.as_str())]);
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(answer.header("location"), Some(format!("/flower/task/{id}").as_str()));
    let stopped = wait_state(&base, &id, "cancelled");
    assert!(stopped["runtime_ms"].as_i64().unwrap() < 30_000, "it stopped long before its 60 s: {stopped}");
    let page = view(&app, &format!("/flower/task/{id}"), &cookie);
    assert!(page.body.contains(">cancelled</span>") && page.body.contains("/retry\""), "{}", page.body);
}

#[test]
fn retrying_a_failed_task_through_its_form_runs_it_again() {
    let app = app();
    let base = app.url("");
    let cookie = session(&app);
    let id = queue_noop(&app, json!({"fail": "error"}));
    wait_state(&base, &id, "failed");
    let csrf = page_csrf(&app, &id, "retry", &cookie);
    let answer = press(&app, &id, "retry", &cookie, &csrf, &[]);
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(answer.header("location"), Some(format!("/flower/task/{id}").as_str()));
    // The retry was stored before the answer: the task is `retrying` now, so this waits for its
    // second run to end.
    let again = wait_state(&base, &id, "failed");
    assert_eq!(again["attempts"], 2, "{again}");
    assert!(again["error"].as_str().unwrap().contains("attempt 2"), "{again}");
    let page = view(&app, &format!("/flower/task/{id}"), &cookie);
    assert!(page.body.contains("<td>failed on purpose (attempt 2)</td>"), "{}", page.body);
}

#[test]
fn a_pressed_twice_button_acts_once_and_the_second_press_is_a_409() {
    let app = app();
    let base = app.url("");
    let cookie = session(&app);
    let id = queue_pending(&app);
    let csrf = page_csrf(&app, &id, "cancel", &cookie);
    assert_eq!(press(&app, &id, "cancel", &cookie, &csrf, &[]).status, 303);
    assert_eq!(task(&base, &id)["state"], "cancelled");
    let twice = press(&app, &id, "cancel", &cookie, &csrf, &[]);
    assert_eq!(twice.status, 409, "{}", twice.body);
    assert!(twice.body.contains("already ended (it is cancelled)"), "{}", twice.body);
    assert_eq!(press(&app, &id, "retry", &cookie, &csrf, &[]).status, 303);
    // Queued again, running or done: in no case is it retried a second time.
    let again = press(&app, &id, "retry", &cookie, &csrf, &[]);
    assert_eq!(again.status, 409, "{}", again.body);
    let done = wait_state(&base, &id, "succeeded");
    assert_eq!(done["attempts"], 1, "one run, after the one retry: {done}");
}

#[test]
fn cancel_and_retry_are_refused_without_the_csrf_token_or_from_another_origin() {
    let app = app();
    let base = app.url("");
    let cookie = session(&app);
    let other_csrf = view(&app, "/flower/", &session(&app)).csrf_field();
    let running = queue_noop(&app, json!({"sleep_ms": 60_000}));
    let failed = queue_noop(&app, json!({"fail": "error"}));
    wait_state(&base, &running, "running");
    wait_state(&base, &failed, "failed");
    let csrf = page_csrf(&app, &running, "cancel", &cookie);
    for (id, action) in [(&running, "cancel"), (&failed, "retry")] {
        let url = app.url(&format!("/flower/task/{id}/{action}"));
        let no_field = post_form(&url, &cookie, &[], &[]);
        assert_eq!(no_field.status, 403, "{action} without the field: {}", no_field.body);
        for (token, extra) in [
            ("", None),
            ("0".repeat(64).as_str(), None),
            (other_csrf.as_str(), None),
            (csrf.as_str(), Some(("origin", "http://evil.example"))),
            (csrf.as_str(), Some(("origin", "null"))),
            (csrf.as_str(), Some(("sec-fetch-site", "cross-site"))),
        ] {
            let answer = press(&app, id, action, &cookie, token, extra.as_slice());
            assert_eq!(answer.status, 403, "{action} with {token:?} {extra:?}: {}", answer.body);
        }
        assert_eq!(press(&app, id, action, "", &csrf, &[]).status, 403, "{action} without a session");
    }
    let still = task(&base, &running);
    assert_eq!((still["state"].as_str(), still["cancel_requested"].as_bool()), (Some("running"), Some(false)));
    assert_eq!(task(&base, &failed)["attempts"], 1, "the failed task was not retried");
    // The same form with its token and from this site is accepted.
    assert_eq!(press(&app, &running, "cancel", &cookie, &csrf, &[]).status, 303);
    wait_state(&base, &running, "cancelled");
}
