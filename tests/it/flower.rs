//! The task monitor's pages over real HTTP: the dashboard with its counts, filters, paging and
//! live fragment, one task's page, the sign-in guard, escaping, and history across a restart.

use crate::common;
use crate::flower_support;

use common::web::{get_with_cookie, post_form, request, sign_in};
use common::{post_json, start_server, terminate, TempDb};
use flower_support::{app, queue_noop, queue_pending, session, task_row, view, wait_state, TOKEN};
use serde_json::json;

const HOSTILE: &str = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>";

#[test]
fn the_dashboard_lists_queued_tasks_with_their_states_and_the_counts_per_type() {
    let app = app();
    let base = app.url("");
    let pending = queue_pending(&app);
    let done = queue_noop(&app, json!({"sleep_ms": 5}));
    wait_state(&base, &done, "succeeded");
    let page = view(&app, "/flower/", &session(&app));
    assert_eq!(page.status, 200, "{}", page.body);
    let waiting = task_row(&page.body, &pending).expect("the pending task is listed");
    assert!(waiting.contains(">pending</span>") && waiting.contains(&format!("href=\"/flower/task/{pending}\"")));
    let finished = task_row(&page.body, &done).expect("the finished task is listed");
    assert!(finished.contains(">succeeded</span>"), "{finished}");
    assert!(finished.contains("&quot;completed&quot;:true"), "its result is shown: {finished}");
    assert!(page.body.find(&done) < page.body.find(&pending), "newest first");
    // noop: 1 pending, 0 running, 1 succeeded, then none failed, retrying, cancelled or timed out.
    let counts = "<tr data-type=\"noop\"><th scope=\"row\">noop</th><td>1</td><td>0</td><td>1</td><td>0</td><td>0</td>";
    assert!(page.body.contains(counts), "{}", page.body);
    assert!(page.body.contains("live workers") && page.body.contains("scheduled_task_every_3_min"));
}

#[test]
fn filters_by_type_and_state_narrow_the_list_and_the_form_keeps_them() {
    let app = app();
    let base = app.url("");
    let cookie = session(&app);
    let failed = queue_noop(&app, json!({"fail": "error"}));
    let pending = queue_pending(&app);
    wait_state(&base, &failed, "failed");
    let only_failed = view(&app, "/flower/?state=failed", &cookie);
    assert!(task_row(&only_failed.body, &failed).is_some() && task_row(&only_failed.body, &pending).is_none());
    assert!(only_failed.body.contains("<option value=\"failed\" selected>"), "{}", only_failed.body);
    let both = view(&app, "/flower?name=noop&state=", &cookie);
    assert!(task_row(&both.body, &failed).is_some() && task_row(&both.body, &pending).is_some());
    let none = view(&app, "/flower?name=movie_stats", &cookie);
    assert!(none.body.contains("No tasks match these filters.") && none.body.contains("value=\"movie_stats\""));
    for bad in ["/flower?state=bogus", "/flower?cursor=12.nope", "/flower?cursor="] {
        assert_eq!(view(&app, bad, &cookie).status, 400, "{bad}");
    }
}

#[test]
fn older_pages_follow_the_cursor_and_keep_the_filters() {
    let app = app();
    let cookie = session(&app);
    let ids: Vec<String> = (0..53).map(|_| queue_pending(&app)).collect();
    let first = view(&app, "/flower?state=pending", &cookie);
    let listed = |body: &str| ids.iter().filter(|id| task_row(body, id).is_some()).cloned().collect::<Vec<_>>();
    let on_first = listed(&first.body);
    assert_eq!(on_first.len(), 50);
    let at = first.body.find("rel=\"next\" href=\"").expect("an Older link") + "rel=\"next\" href=\"".len();
    let older = first.body[at..first.body[at..].find('"').unwrap() + at].replace("&amp;", "&");
    assert!(older.starts_with("/flower?state=pending&cursor="), "{older}");
    let second = view(&app, &older, &cookie);
    let on_second = listed(&second.body);
    assert_eq!(on_second.len(), 3, "{}", second.body);
    assert!(on_second.iter().all(|id| !on_first.contains(id)), "no task on both pages");
    assert!(!second.body.contains("rel=\"next\"") && second.body.contains(">Newest</a>"));
}

#[test]
fn the_live_fragment_has_the_same_filters_and_answers_401_once_signed_out() {
    let app = app();
    let cookie = session(&app);
    let failed = queue_noop(&app, json!({"fail": "error"}));
    let pending = queue_pending(&app);
    wait_state(&app.url(""), &failed, "failed");
    let page = view(&app, "/flower?state=failed", &cookie);
    assert!(page.body.contains("data-live=\"/flower/fragments/tasks?state=failed\""), "{}", page.body);
    let fragment = view(&app, "/flower/fragments/tasks?state=failed", &cookie);
    assert_eq!(fragment.status, 200);
    assert!(!fragment.body.contains("<html") && !fragment.body.contains("<h1>"), "only the live part");
    assert!(task_row(&fragment.body, &failed).is_some() && task_row(&fragment.body, &pending).is_none());
    assert_eq!(request("GET", &app.url("/flower/fragments/tasks"), &[], None).status, 401);
    let csrf = page.csrf_field();
    assert_eq!(post_form(&app.url("/logout"), &cookie, &[("csrf", csrf.as_str())], &[]).status, 303);
    assert_eq!(view(&app, "/flower/fragments/tasks?state=failed", &cookie).status, 401, "the session ended");
}

#[test]
fn the_task_page_shows_arguments_result_and_every_run() {
    let app = app();
    let base = app.url("");
    let cookie = session(&app);
    let done = queue_noop(&app, json!({"sleep_ms": 5}));
    let failed = queue_noop(&app, json!({"fail": "error", "retries": 1, "retry_delay_secs": 1}));
    wait_state(&base, &done, "succeeded");
    let page = view(&app, &format!("/flower/task/{done}"), &cookie);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("&quot;sleep_ms&quot;: 5"), "arguments pretty-printed: {}", page.body);
    assert!(page.body.contains("&quot;slept_ms&quot;: 5"), "result pretty-printed: {}", page.body);
    assert!(!page.body.contains("/cancel\"") && !page.body.contains("/retry\""), "no button fits a success");
    wait_state(&base, &failed, "failed");
    let page = view(&app, &format!("/flower/task/{failed}"), &cookie);
    assert!(page.body.contains("2 of at most 2"), "{}", page.body);
    for run in ["attempt 1", "attempt 2"] {
        assert!(page.body.contains(&format!("<td>failed on purpose ({run})</td>")), "{run}: {}", page.body);
    }
    assert!(page.body.contains(&format!("action=\"/flower/task/{failed}/retry\"")) && !page.body.contains("/cancel\""));
}

#[test]
fn an_unknown_task_is_a_404_page_and_a_malformed_id_a_400_page() {
    let app = app();
    let cookie = session(&app);
    let nil = "00000000-0000-0000-0000-000000000000";
    let unknown = view(&app, &format!("/flower/task/{nil}"), &cookie);
    assert_eq!(unknown.status, 404);
    assert!(unknown.body.contains("No task has id"), "{}", unknown.body);
    for bad in ["not-a-uuid", "00000000000000000000000000000000", "%3Cscript%3E"] {
        assert_eq!(view(&app, &format!("/flower/task/{bad}"), &cookie).status, 400, "{bad}");
    }
    let csrf = unknown.csrf_field();
    let post = post_form(&app.url(&format!("/flower/task/{nil}/retry")), &cookie, &[("csrf", csrf.as_str())], &[]);
    assert_eq!(post.status, 404, "{}", post.body);
}

#[test]
fn without_a_session_the_pages_redirect_to_sign_in_and_come_back_afterwards() {
    let app = app();
    let id = queue_pending(&app);
    for (path, next) in [
        ("/flower/", "%2Fflower%2F"),
        ("/flower?state=failed", "%2Fflower%3Fstate%3Dfailed"),
        (&format!("/flower/task/{id}") as &str, &format!("%2Fflower%2Ftask%2F{id}") as &str),
    ] {
        let answer = request("GET", &app.url(path), &[], None);
        assert_eq!(answer.status, 303, "{path}");
        assert_eq!(answer.header("location"), Some(format!("/login?next={next}").as_str()), "{path}");
    }
}

#[test]
fn hostile_text_is_escaped_in_schedules_errors_and_filters() {
    let app = app();
    let base = app.url("");
    let cookie = session(&app);
    let schedule =
        json!({"name": HOSTILE, "task": "noop", "enabled": false, "interval": {"every": 1, "period": "days"}});
    let (status, created) = post_json(&app.url("/api/schedules"), TOKEN, &schedule);
    assert_eq!(status, 201, "{created}");
    let (status, queued) = post_json(&app.url(&format!("/api/schedules/{}/run", created["id"])), TOKEN, &json!({}));
    assert_eq!(status, 202, "{queued}");
    let scheduled = queued["task_id"].as_str().unwrap().to_string();
    let failed = queue_noop(&app, json!({"fail": "error"}));
    wait_state(&base, &failed, "failed");
    // A task's error is whatever its code wrote, input included.
    app.db.connect().execute("UPDATE job_results SET error = ?1 WHERE state = 'failed'", [HOSTILE]).unwrap();
    let filter: String = form_urlencoded::byte_serialize(HOSTILE.as_bytes()).collect();
    let pages = [
        "/flower/".to_string(),
        format!("/flower/task/{scheduled}"),
        format!("/flower/task/{failed}"),
        format!("/flower?name={filter}"),
    ];
    for path in pages {
        let page = view(&app, &path, &cookie);
        assert_eq!(page.status, 200, "{path}");
        assert!(!page.body.contains("<script>alert") && !page.body.contains("<img src=x"), "{path}: {}", page.body);
        assert!(page.body.contains("&lt;script&gt;alert(1)&lt;"), "{path}: the text is shown escaped");
        assert_eq!(page.body.matches("<script").count(), 1, "{path}: only the page's own script tag");
    }
}

#[test]
fn the_task_history_survives_a_restart_of_the_server_on_the_same_file() {
    let db = TempDb::new();
    let env = [("MOVIELENS_ADMIN_TOKEN", TOKEN)];
    let (mut server, base, _) = start_server(&db, &[], &env);
    let id = flower_support::queue_task(&base, json!({"name": "noop", "args": {"fail": "error"}}));
    wait_state(&base, &id, "failed");
    let cookie = sign_in(&base, TOKEN);
    assert!(task_row(&get_with_cookie(&format!("{base}/flower/"), &cookie).body, &id).is_some());
    terminate(&mut server);
    let (mut server, base, _) = start_server(&db, &[], &env);
    let dashboard = get_with_cookie(&format!("{base}/flower/"), &cookie);
    assert_eq!(dashboard.status, 200, "the sign-in held across the restart");
    let row = task_row(&dashboard.body, &id).expect("the task is still listed");
    assert!(row.contains(">failed</span>") && row.contains("failed on purpose (attempt 1)"), "{row}");
    let page = get_with_cookie(&format!("{base}/flower/task/{id}"), &cookie);
    assert!(page.body.contains("<td>failed on purpose (attempt 1)</td>"), "its run is kept: {}", page.body);
    terminate(&mut server);
}

#[test]
fn a_filter_given_twice_is_a_400_page_in_html_as_the_pages_document() {
    let app = app();
    let cookie = session(&app);
    for path in
        ["/flower?state=failed&state=running", "/flower/fragments/tasks?name=a&name=b", "/login?next=/a&next=/b"]
    {
        let answer = view(&app, path, &cookie);
        assert_eq!(answer.status, 400, "{path}: {}", answer.body);
        assert_eq!(answer.header("content-type"), Some("text/html; charset=utf-8"), "{path}");
        assert!(answer.body.contains("was given 2 times; it takes one value"), "{path}: {}", answer.body);
        assert!(answer.header("content-security-policy").is_some(), "{path}: the pages' headers");
    }
    // The API keeps its JSON error shape.
    let api = view(&app, "/api/tasks?state=failed&state=running", &cookie);
    assert_eq!((api.status, api.header("content-type")), (400, Some("application/json; charset=utf-8")));
}
