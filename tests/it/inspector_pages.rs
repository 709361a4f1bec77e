//! The request inspector's pages and JSON are the admin's alone, and show hostile input as text.

use crate::common;
use crate::inspector_support;

use common::web::{get_with_cookie, request, sign_in};
use common::{send, spawn_app_with};
use inspector_support::{admin_get, wait_for_requests, TOKEN};
use movielens::config::Secret;

#[test]
fn every_profiling_route_refuses_anyone_but_the_admin() {
    let app = spawn_app_with(None, |serve| serve.admin_token = Some(Secret(TOKEN.into())));
    send("GET", &app.url("/api/genres"), &[], None);
    let id = wait_for_requests(&app, "", 1)[0]["id"].clone();
    let json_routes = [
        "/api/profiling/requests".to_string(),
        "/api/profiling/requests/summary".to_string(),
        format!("/api/profiling/requests/{id}"),
        format!("/api/profiling/requests/{id}/explain?statement=0"),
    ];
    for route in &json_routes {
        let (status, _, body) = send("GET", &app.url(route), &[], None);
        assert_eq!(status, 401, "{route}: {body}");
        let (status, _, body) = send("GET", &app.url(route), &[("Authorization", "Bearer not-the-token")], None);
        assert_eq!(status, 403, "{route}: {body}");
        let error: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["code"], "forbidden");
        let (status, _) = admin_get(&app, route);
        assert_eq!(status, 200, "{route}");
    }
    let cookie = sign_in(&app.url(""), TOKEN);
    for page in ["/silk/", "/silk/requests", &format!("/silk/request/{id}"), &format!("/silk/request/{id}?explain=0")] {
        let anonymous = request("GET", &app.url(page), &[], None);
        assert_eq!(anonymous.status, 303, "{page}");
        assert!(anonymous.header("location").unwrap().starts_with("/login?next="), "{page}");
        // The bearer token is not a page's sign-in.
        let bearer = request("GET", &app.url(page), &[("Authorization", &format!("Bearer {TOKEN}"))], None);
        assert_eq!(bearer.status, 303, "{page}");
        let signed_in = get_with_cookie(&app.url(page), &cookie);
        assert_eq!(signed_in.status, 200, "{page}: {}", signed_in.body);
    }
}

#[test]
fn hostile_input_shows_as_text_in_the_pages() {
    let app = spawn_app_with(None, |serve| serve.admin_token = Some(Secret(TOKEN.into())));
    let script = "<script>alert('x')</script>";
    let query = "/api/genres?q=%3Cscript%3Ealert(1)%3C/script%3E&x=%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E";
    send("GET", &app.url(query), &[("User-Agent", script), ("X-Note", "\"><img src=x onerror=alert(2)>")], None);
    let recorded = wait_for_requests(&app, "path=genres", 1);
    let cookie = sign_in(&app.url(""), TOKEN);
    let list = get_with_cookie(&app.url("/silk/requests?path=genres"), &cookie);
    let detail = get_with_cookie(&app.url(&format!("/silk/request/{}", recorded[0]["id"])), &cookie);
    for page in [&list, &detail] {
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("<script>alert"), "{}", page.body);
        assert!(!page.body.contains("<img src=x"), "{}", page.body);
    }
    assert!(detail.body.contains("&lt;script&gt;alert("), "the header shows, escaped: {}", detail.body);
    // A filter given back in the form is escaped as well.
    let filtered = get_with_cookie(&app.url("/silk/requests?path=%22%3E%3Cscript%3Ealert(3)%3C%2Fscript%3E"), &cookie);
    assert_eq!(filtered.status, 200);
    assert!(!filtered.body.contains("<script>alert(3)"), "{}", filtered.body);
}

#[test]
fn a_statement_can_be_explained_on_demand() {
    let app = spawn_app_with(None, |serve| serve.admin_token = Some(Secret(TOKEN.into())));
    send("GET", &app.url("/api/movies/select-related/?limit=3"), &[], None);
    let id = wait_for_requests(&app, "path=select-related", 1)[0]["id"].clone();
    let (status, plan) = admin_get(&app, &format!("/api/profiling/requests/{id}/explain?statement=0"));
    assert_eq!(status, 200, "{plan}");
    assert!(!plan["plan"].as_array().unwrap().is_empty(), "{plan}");
    let (status, missing) = admin_get(&app, &format!("/api/profiling/requests/{id}/explain?statement=5"));
    assert_eq!(status, 404, "{missing}");
    let cookie = sign_in(&app.url(""), TOKEN);
    let page = get_with_cookie(&app.url(&format!("/silk/request/{id}?explain=0")), &cookie);
    assert!(page.body.contains("<pre class=\"plan\">"), "{}", page.body);
}
