//! Web sessions live in SQLite: they end on time, hold across processes on one file, and a
//! read-only server says plainly that it cannot sign anyone in.

use crate::common;

use common::web::{get_with_cookie, request, sign_in};
use common::{movielens_ok, spawn_app_with, start_server, terminate, write_small_dataset, TempDb, TestApp};
use movielens::config::Secret;

const TOKEN: &str = "web-sessions-test-token";

fn app_with(configure: impl FnOnce(&mut movielens::config::ServeConfig)) -> TestApp {
    let data = tempfile::tempdir().unwrap();
    write_small_dataset(data.path());
    spawn_app_with(Some(data.path()), |serve| {
        serve.admin_token = Some(Secret(TOKEN.to_string()));
        configure(serve);
    })
}

/// Polls until the session page answers `status` for `cookie`, for up to 30 s.
fn wait_for_status(app: &TestApp, cookie: &str, status: u16) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while get_with_cookie(&app.url("/web/session"), cookie).status != status {
        assert!(std::time::Instant::now() < deadline, "the session page did not answer {status} within 30 s");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn a_session_ends_after_its_configured_lifetime_and_its_row_is_removed() {
    // About 3.6 s.
    let app = app_with(|serve| serve.sessions.session_hours = 0.001);
    let session = sign_in(&app.url(""), TOKEN);
    let (created, expires): (i64, i64) = app
        .db
        .connect()
        .query_row("SELECT created_at, expires_at FROM web_sessions", [], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap();
    assert!((3..=4).contains(&(expires - created)), "lifetime {} s", expires - created);
    wait_for_status(&app, &session, 303);
    assert_eq!(app.db.count("web_sessions"), 0, "the ended session was deleted");
}

#[test]
fn a_session_past_its_end_or_idle_too_long_is_refused() {
    let app = app_with(|_| {});
    let session = sign_in(&app.url(""), TOKEN);
    assert_eq!(get_with_cookie(&app.url("/web/session"), &session).status, 200);
    // Idle for longer than the default hour, though not past its end.
    app.db.connect().execute("UPDATE web_sessions SET last_seen_at = last_seen_at - 3601", []).unwrap();
    assert_eq!(get_with_cookie(&app.url("/web/session"), &session).status, 303);
    let again = sign_in(&app.url(""), TOKEN);
    app.db.connect().execute("UPDATE web_sessions SET expires_at = unixepoch() - 1", []).unwrap();
    assert_eq!(get_with_cookie(&app.url("/web/session"), &again).status, 303);
    assert_eq!(app.db.count("web_sessions"), 0);
}

#[test]
fn a_session_made_by_one_server_works_on_a_second_process_on_the_same_file() {
    let app = app_with(|_| {});
    let session = sign_in(&app.url(""), TOKEN);
    let (mut second, url, _) = start_server(&app.db, &[], &[("MOVIELENS_ADMIN_TOKEN", TOKEN)]);
    let page = get_with_cookie(&format!("{url}/web/session"), &session);
    assert_eq!(page.status, 200, "{}", page.body);
    // Signed out on the second, it is gone on the first too.
    let csrf = page.csrf_field();
    let out = common::web::post_form(&format!("{url}/logout"), &session, &[("csrf", csrf.as_str())], &[]);
    assert_eq!(out.status, 303, "{}", out.body);
    terminate(&mut second);
    assert_eq!(get_with_cookie(&app.url("/web/session"), &session).status, 303);
}

#[test]
fn a_read_only_server_says_it_cannot_sign_in_with_503() {
    let db = TempDb::new();
    let data = db.dir.path().join("data");
    write_small_dataset(&data);
    movielens_ok(&["--db", db.arg(), "import", data.to_str().unwrap()]);
    let (mut server, url, _) = start_server(&db, &["--read-only"], &[("MOVIELENS_ADMIN_TOKEN", TOKEN)]);
    let page = request("GET", &format!("{url}/login"), &[], None);
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(page.body.contains("read-only database"), "{}", page.body);
    let guarded = request("GET", &format!("{url}/web/session"), &[], None);
    assert_eq!(guarded.status, 303, "the guard still answers: {}", guarded.body);
    terminate(&mut server);
}

#[test]
fn the_pages_stylesheet_script_and_icon_are_served_with_a_versioned_name_and_long_caching() {
    let app = app_with(|_| {});
    let page = request("GET", &app.url("/login"), &[], None);
    let href = |marker: &str| {
        let at = page.body.find(marker).unwrap_or_else(|| panic!("{marker} in {}", page.body)) + marker.len();
        page.body[at..at + page.body[at..].find('"').unwrap()].to_string()
    };
    let assets = [
        (href("<link rel=\"stylesheet\" href=\""), "text/css"),
        (href("<script src=\""), "text/javascript"),
        (href("<link rel=\"icon\" type=\"image/svg+xml\" href=\""), "image/svg+xml"),
    ];
    for (url, kind) in assets {
        let asset = request("GET", &app.url(&url), &[], None);
        assert_eq!(asset.status, 200, "{url}");
        assert!(asset.header("content-type").unwrap().starts_with(kind), "{url}");
        assert!(asset.header("cache-control").unwrap().contains("max-age=31536000"), "{url}");
        assert_eq!(asset.header("x-content-type-options"), Some("nosniff"));
    }
    assert_eq!(request("GET", &app.url("/web/static/0000/web.css"), &[], None).status, 404);
}
