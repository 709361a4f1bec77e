//! The web pages' sign-in over real HTTP: the cookie, the CSRF checks, redirects that stay on
//! this site, the guard, and escaping.

use crate::common;

use common::web::{get_with_cookie, open_sign_in, post_form, request, sign_in, sign_in_answer};
use common::{spawn_app_with_token, write_small_dataset, TestApp};

const TOKEN: &str = "web-login-test-token";

fn app() -> TestApp {
    let data = tempfile::tempdir().unwrap();
    write_small_dataset(data.path());
    spawn_app_with_token(Some(data.path()), TOKEN)
}

fn base(app: &TestApp) -> String {
    app.url("")
}

#[test]
fn signing_in_sets_an_http_only_strict_session_cookie_and_goes_on_to_next() {
    let app = app();
    let answer = sign_in_answer(&base(&app), TOKEN, "/web/session");
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(answer.header("location"), Some("/web/session"));
    let cookie = answer.set_cookie("movielens_session").expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.split("; ").any(|part| part == attribute), "{attribute} missing: {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http must not mark the cookie Secure: {cookie}");
    // Only the hash of the id is stored.
    let id = answer.cookie_value("movielens_session").unwrap();
    let stored: String = app.db.connect().query_row("SELECT id_hash FROM web_sessions", [], |row| row.get(0)).unwrap();
    let hash: String = ring::digest::digest(&ring::digest::SHA256, id.as_bytes())
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    assert_eq!(stored, hash);
    let page = get_with_cookie(&app.url("/web/session"), &format!("movielens_session={id}"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Signed in") && page.body.contains("Sign out"), "{}", page.body);
}

#[test]
fn pages_carry_a_strict_content_security_policy_and_are_not_cached() {
    let app = app();
    for answer in [request("GET", &app.url("/login"), &[], None), request("GET", &app.url("/web/session"), &[], None)] {
        let policy = answer.header("content-security-policy").expect("a CSP");
        assert!(policy.contains("default-src 'self'") && policy.contains("script-src 'self'"), "{policy}");
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert_eq!(answer.header("x-frame-options"), Some("DENY"));
        assert_eq!(answer.header("referrer-policy"), Some("same-origin"));
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(answer.header("cache-control"), Some("no-store"));
    }
    // The API keeps its own headers.
    assert!(request("GET", &app.url("/api/health"), &[], None).header("content-security-policy").is_none());
}

#[test]
fn a_wrong_token_shows_the_form_again_with_403_and_no_session_cookie() {
    let app = app();
    let answer = sign_in_answer(&base(&app), "not-the-token", "/web/session");
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(answer.body.contains("That is not the admin token"), "{}", answer.body);
    assert!(answer.body.contains("name=\"token\""), "the form is shown again: {}", answer.body);
    assert!(answer.set_cookie("movielens_session").is_none());
    let empty = sign_in_answer(&base(&app), "", "/web/session");
    assert_eq!(empty.status, 401, "{}", empty.body);
    assert!(empty.set_cookie("movielens_session").is_none());
    assert_eq!(app.db.count("web_sessions"), 0);
}

#[test]
fn a_sign_in_without_its_csrf_cookie_or_token_is_refused() {
    let app = app();
    let (cookie, csrf) = open_sign_in(&base(&app));
    let url = app.url("/login");
    let no_token = post_form(&url, &cookie, &[("token", TOKEN), ("csrf", "")], &[]);
    assert_eq!(no_token.status, 403, "{}", no_token.body);
    assert!(no_token.body.contains("CSRF"), "{}", no_token.body);
    let no_cookie = post_form(&url, "", &[("token", TOKEN), ("csrf", csrf.as_str())], &[]);
    assert_eq!(no_cookie.status, 403, "{}", no_cookie.body);
    assert!(no_cookie.body.contains("cookie"), "{}", no_cookie.body);
    // Another browser's token with this browser's cookie: a forged sign-in.
    let (_, other_csrf) = open_sign_in(&base(&app));
    let crossed = post_form(&url, &cookie, &[("token", TOKEN), ("csrf", other_csrf.as_str())], &[]);
    assert_eq!(crossed.status, 403, "{}", crossed.body);
    assert_eq!(app.db.count("web_sessions"), 0, "no refused sign-in stored a session");
}

#[test]
fn a_csrf_token_of_another_session_does_not_sign_this_one_out() {
    let app = app();
    let (first, second) = (sign_in(&base(&app), TOKEN), sign_in(&base(&app), TOKEN));
    let second_csrf = get_with_cookie(&app.url("/web/session"), &second).csrf_field();
    let refused = post_form(&app.url("/logout"), &first, &[("csrf", second_csrf.as_str())], &[]);
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("CSRF token"), "{}", refused.body);
    let missing = post_form(&app.url("/logout"), &first, &[("csrf", "")], &[]);
    assert_eq!(missing.status, 403, "{}", missing.body);
    assert_eq!(get_with_cookie(&app.url("/web/session"), &first).status, 200, "the session survived");
    assert_eq!(app.db.count("web_sessions"), 2);
}

#[test]
fn forms_posted_from_another_origin_are_refused() {
    let app = app();
    let (cookie, csrf) = open_sign_in(&base(&app));
    let fields = [("token", TOKEN), ("csrf", csrf.as_str())];
    for origin in [("origin", "http://evil.example"), ("origin", "null"), ("sec-fetch-site", "cross-site")] {
        let answer = post_form(&app.url("/login"), &cookie, &fields, &[origin]);
        assert_eq!(answer.status, 403, "{origin:?}: {}", answer.body);
        assert!(answer.body.contains("another site"), "{}", answer.body);
    }
    let ours = base(&app);
    let same = post_form(&app.url("/login"), &cookie, &fields, &[("origin", ours.as_str())]);
    assert_eq!(same.status, 303, "our own origin is accepted: {}", same.body);
    let session = format!("movielens_session={}", same.cookie_value("movielens_session").unwrap());
    let page_csrf = get_with_cookie(&app.url("/web/session"), &session).csrf_field();
    let logout = [("csrf", page_csrf.as_str())];
    let hostile = post_form(&app.url("/logout"), &session, &logout, &[("origin", "http://evil.example")]);
    assert_eq!(hostile.status, 403, "{}", hostile.body);
    assert_eq!(get_with_cookie(&app.url("/web/session"), &session).status, 200);
}

#[test]
fn next_that_leaves_the_site_falls_back_to_the_task_monitor() {
    let app = app();
    for next in ["//evil.example", "https://evil.example", "/\\evil.example", "http:/evil.example", " /x"] {
        let answer = sign_in_answer(&base(&app), TOKEN, next);
        assert_eq!(answer.status, 303, "{next}: {}", answer.body);
        assert_eq!(answer.header("location"), Some("/flower/"), "{next}");
    }
    let local = sign_in_answer(&base(&app), TOKEN, "/web/session?tab=1");
    assert_eq!(local.header("location"), Some("/web/session?tab=1"));
}

#[test]
fn signing_out_ends_the_session_on_the_server_so_a_replayed_cookie_fails() {
    let app = app();
    let session = sign_in(&base(&app), TOKEN);
    let csrf = get_with_cookie(&app.url("/web/session"), &session).csrf_field();
    let out = post_form(&app.url("/logout"), &session, &[("csrf", csrf.as_str())], &[]);
    assert_eq!(out.status, 303, "{}", out.body);
    assert_eq!(out.header("location"), Some("/login"));
    assert!(out.set_cookie("movielens_session").unwrap().contains("Max-Age=0"));
    assert_eq!(app.db.count("web_sessions"), 0);
    // The old cookie, sent again as an attacker who copied it would.
    let replay = get_with_cookie(&app.url("/web/session"), &session);
    assert_eq!(replay.status, 303);
    let again = post_form(&app.url("/logout"), &session, &[("csrf", csrf.as_str())], &[]);
    assert_eq!(again.status, 403, "{}", again.body);
}

#[test]
fn the_guard_redirects_a_get_to_sign_in_and_refuses_a_post() {
    let app = app();
    let answer = request("GET", &app.url("/web/session?tab=2"), &[], None);
    assert_eq!(answer.status, 303);
    assert_eq!(answer.header("location"), Some("/login?next=%2Fweb%2Fsession%3Ftab%3D2"));
    let forged =
        request("GET", &app.url("/web/session"), &[("cookie", &format!("movielens_session={}", "a".repeat(64)))], None);
    assert_eq!(forged.status, 303, "an unknown session id is no session");
    let post = post_form(&app.url("/logout"), "", &[("csrf", "x")], &[]);
    assert_eq!(post.status, 403, "{}", post.body);
    assert!(post.body.contains("not signed in"), "{}", post.body);
}

#[test]
fn a_hostile_next_is_escaped_in_the_sign_in_form() {
    let app = app();
    let hostile = "/\"><script>alert(1)</script>";
    let next: String = form_urlencoded::byte_serialize(hostile.as_bytes()).collect();
    let page = request("GET", &app.url(&format!("/login?next={next}")), &[], None);
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("<script>alert(1)"), "{}", page.body);
    assert!(page.body.contains("&lt;script&gt;alert(1)&lt;"), "{}", page.body);
    assert_eq!(page.body.matches("<script").count(), 1, "only the page's own script tag: {}", page.body);
}

#[test]
fn a_form_that_is_not_a_form_is_a_400_page() {
    let app = app();
    let (cookie, _) = open_sign_in(&base(&app));
    let json = request(
        "POST",
        &app.url("/login"),
        &[("content-type", "application/json"), ("cookie", &cookie)],
        Some("{\"token\": \"x\"}"),
    );
    assert_eq!(json.status, 400, "{}", json.body);
    let missing = post_form(&app.url("/login"), &cookie, &[("next", "/")], &[]);
    assert_eq!(missing.status, 400, "{}", missing.body);
}

#[test]
fn over_https_the_cookies_are_marked_secure_and_only_the_public_origin_may_post() {
    let data = tempfile::tempdir().unwrap();
    write_small_dataset(data.path());
    let app = common::spawn_app_with(Some(data.path()), |serve| {
        serve.admin_token = Some(movielens::config::Secret(TOKEN.to_string()));
        serve.public_url = Some("https://movies.example".to_string());
    });
    let page = request("GET", &app.url("/login"), &[], None);
    assert!(page.set_cookie("movielens_login_csrf").unwrap().ends_with("; Secure"));
    let (cookie, csrf) = open_sign_in(&base(&app));
    let fields = [("token", TOKEN), ("csrf", csrf.as_str())];
    let local = post_form(&app.url("/login"), &cookie, &fields, &[("origin", base(&app).as_str())]);
    assert_eq!(local.status, 403, "only the public origin posts forms: {}", local.body);
    let answer = post_form(&app.url("/login"), &cookie, &fields, &[("origin", "https://movies.example")]);
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert!(answer.set_cookie("movielens_session").unwrap().ends_with("; Secure"));
}

#[test]
fn sign_ins_at_the_same_moment_each_get_their_own_session() {
    let app = app();
    let base = base(&app);
    let cookies: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8).map(|_| scope.spawn(|| sign_in(&base, TOKEN))).collect();
        handles.into_iter().map(|handle| handle.join().unwrap()).collect()
    });
    let distinct: std::collections::HashSet<&String> = cookies.iter().collect();
    assert_eq!(distinct.len(), 8, "every sign-in has its own id");
    assert_eq!(app.db.count("web_sessions"), 8);
    for cookie in &cookies {
        assert_eq!(get_with_cookie(&app.url("/web/session"), cookie).status, 200);
    }
}
