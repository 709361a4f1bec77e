//! The web admin at `/admin/` over real HTTP: the sign-in guard on every page, escaping, CSRF,
//! the list pages' search, filters, sorting and pages, and backups from the index.

use crate::common;

use common::web::{get_with_cookie, post_form, request, sign_in};
use common::{spawn_app_with, TestApp};

const TOKEN: &str = "admin-web-token";

fn app() -> TestApp {
    let token = movielens::config::Secret(TOKEN.to_string());
    spawn_app_with(None, move |serve| serve.admin_token = Some(token))
}

const PAGES: &[&str] = &[
    "/admin/",
    "/admin",
    "/admin/movies?q=toy",
    "/admin/ratings?rating=4.0",
    "/admin/tags",
    "/admin/links",
    "/admin/genres",
    "/admin/periodic-tasks",
    "/admin/periodic-tasks/new",
    "/admin/periodic-tasks/1",
    "/admin/backups/movielens-1.db",
];

#[test]
fn every_admin_page_sends_anonymous_and_forged_sessions_to_sign_in() {
    let app = app();
    for page in PAGES {
        for cookie in [
            "",
            "movielens_session=forged",
            "movielens_session=0000000000000000000000000000000000000000000000000000000000000000",
        ] {
            let answer = get_with_cookie(&app.url(page), cookie);
            assert_eq!(answer.status, 303, "{page} with {cookie:?}: {}", answer.body);
            let location = answer.header("location").unwrap();
            assert!(location.starts_with("/login?next=%2Fadmin"), "{page}: {location}");
        }
    }
    // A wrong token signs nobody in, so the pages stay closed.
    let answer = common::web::sign_in_answer(&app.url(""), "not-the-token", "/admin/");
    assert_eq!(answer.status, 403);
    assert!(answer.cookie_value("movielens_session").is_none());
    for (path, fields) in [
        ("/admin/backups", vec![("csrf", "x")]),
        ("/admin/periodic-tasks/new", vec![("csrf", "x"), ("name", "n"), ("intent", "save")]),
        ("/admin/periodic-tasks/1/disable", vec![("csrf", "x")]),
        ("/admin/periodic-tasks/1/delete", vec![("csrf", "x")]),
    ] {
        let answer = post_form(&app.url(path), "movielens_session=forged", &fields, &[]);
        assert_eq!(answer.status, 403, "{path}: {}", answer.body);
    }
}

#[test]
fn signed_in_every_admin_page_answers() {
    let app = app();
    let cookie = sign_in(&app.url(""), TOKEN);
    for page in &PAGES[..9] {
        let answer = get_with_cookie(&app.url(page), &cookie);
        let expected = if page.ends_with("/1") { 404 } else { 200 };
        assert_eq!(answer.status, expected, "{page}: {}", answer.body);
        assert!(answer.body.contains("Sign out"), "{page}");
    }
    assert_eq!(get_with_cookie(&app.url("/admin/users"), &cookie).status, 404);
    assert_eq!(get_with_cookie(&app.url("/admin/backups/..%2Fmovielens.db"), &cookie).status, 404);
}

#[test]
fn titles_and_tags_holding_markup_are_shown_as_text() {
    let app = app();
    let conn = app.db.connect();
    conn.execute(
        "INSERT INTO movies (movie_id, title, year) VALUES (990001, '<script>alert(1)</script> (2001)', 2001)",
        [],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO tags (user_id, movie_id, tag, timestamp) VALUES (1, 990001, '<img src=x onerror=alert(2)>', 0)",
        [],
    )
    .unwrap();
    let cookie = sign_in(&app.url(""), TOKEN);
    for (page, raw) in [
        ("/admin/movies?q=%3Cscript", "<script>alert(1)</script>"),
        ("/admin/tags?q=onerror", "<img src=x onerror=alert(2)>"),
        ("/admin/tags?q=%3Cscript", "<script>alert(1)</script>"),
        ("/admin/ratings?q=%3Cscript%3E%22", "<script>"),
    ] {
        let answer = get_with_cookie(&app.url(page), &cookie);
        assert_eq!(answer.status, 200, "{page}");
        assert!(!answer.body.contains(raw), "{page} shows raw markup");
        if !page.starts_with("/admin/ratings") {
            assert!(answer.body.contains("&lt;"), "{page} shows the escaped text");
        }
    }
    // The search text itself comes back in the form, escaped too.
    let answer = get_with_cookie(&app.url("/admin/movies?q=%22%3E%3Cscript%3Ealert(3)%3C/script%3E"), &cookie);
    assert!(!answer.body.contains("<script>alert(3)"));
}

#[test]
fn posts_without_the_session_csrf_token_or_from_another_site_are_refused() {
    let app = app();
    let cookie = sign_in(&app.url(""), TOKEN);
    let csrf = get_with_cookie(&app.url("/admin/"), &cookie).csrf_field();
    let create = [
        ("name", "sneaky"),
        ("task", "noop"),
        ("args", "{}"),
        ("kind", "interval"),
        ("every", "5"),
        ("period", "minutes"),
        ("intent", "save"),
    ];
    for (path, fields, extra) in [
        ("/admin/backups", vec![], vec![]),
        ("/admin/backups", vec![("csrf", "wrong")], vec![]),
        ("/admin/backups", vec![("csrf", csrf.as_str())], vec![("origin", "https://evil.example")]),
        ("/admin/periodic-tasks/new", create.to_vec(), vec![]),
        ("/admin/periodic-tasks/1/delete", vec![], vec![]),
    ] {
        let answer = post_form(&app.url(path), &cookie, &fields, &extra);
        assert_eq!(answer.status, 403, "{path} {fields:?} {extra:?}: {}", answer.body);
    }
    let schedules: i64 = app
        .db
        .connect()
        .query_row("SELECT count(*) FROM schedules WHERE name = 'sneaky'", [], |row| row.get(0))
        .unwrap();
    assert_eq!(schedules, 0);
    assert!(!app.db.dir.path().join("backups").exists(), "no backup was taken");
}

#[test]
fn list_pages_search_filter_sort_and_page() {
    let app = app();
    let cookie = sign_in(&app.url(""), TOKEN);
    let page = |path: &str| {
        let answer = get_with_cookie(&app.url(path), &cookie);
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        answer.body
    };
    let movies = app.db.count("movies");
    let all = page("/admin/movies");
    assert!(all.contains(&format!("<strong class=\"count\">{movies}</strong>")), "the total is shown");
    assert!(all.contains("page=2"), "a next page");
    let toy = page("/admin/movies?q=toy");
    let toys: i64 = app
        .db
        .connect()
        .query_row("SELECT count(*) FROM movies WHERE title LIKE '%toy%'", [], |row| row.get(0))
        .unwrap();
    assert!(toy.contains(&format!("<strong class=\"count\">{toys}</strong>")), "search counts {toys}");
    let comedies: i64 = app
        .db
        .connect()
        .query_row(
            "SELECT count(*) FROM movie_genres JOIN genres g ON g.id = genre_id WHERE g.name = 'Comedy'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert!(page("/admin/movies?genre=Comedy").contains(&format!("<strong class=\"count\">{comedies}</strong>")));
    let first_desc: i64 = app.db.connect().query_row("SELECT max(movie_id) FROM movies", [], |row| row.get(0)).unwrap();
    assert!(
        page("/admin/movies?sort=-id").contains(&format!("href=\"/admin/movies/{first_desc}\">{first_desc}</a></td>"))
    );
    let fives = page("/admin/ratings?rating=5.0&sort=-id");
    assert!(fives.contains("<td>5.0</td>") && !fives.contains("<td>4.5</td>"), "only fives");
    // A broad title search (hundreds of movies) and a narrow one take different plans; both filter.
    let rated: String = app
        .db
        .connect()
        .query_row("SELECT m.title FROM ratings r JOIN movies m USING (movie_id) WHERE r.rating = 4.0", [], |row| {
            row.get(0)
        })
        .unwrap();
    let narrow: String = form_urlencoded::byte_serialize(rated.as_bytes()).collect();
    for search in ["e".to_string(), narrow] {
        let fours = page(&format!("/admin/ratings?q={search}&rating=4.0&sort=-id"));
        assert!(fours.contains("<td>4.0</td>") && !fours.contains("<td>3.5</td>"), "q={search}");
    }
    page("/admin/tags?q=funny&sort=tag");
    page("/admin/links?q=0114709");
    page("/admin/genres?q=com&sort=-name&page=1");
    for bad in [
        "/admin/movies?sort=title;drop",
        "/admin/ratings?sort=timestamp",
        "/admin/ratings?rating=3.3",
        "/admin/movies?page=0",
        "/admin/movies?page=999999",
    ] {
        let answer = get_with_cookie(&app.url(bad), &cookie);
        assert_eq!(answer.status, 400, "{bad}: {}", answer.body);
    }
    // A search with LIKE's wildcards matches them literally.
    assert!(page("/admin/movies?q=%25").contains("<strong class=\"count\">0</strong>"));
}

#[test]
fn the_index_takes_lists_and_serves_backups() {
    let app = app();
    let cookie = sign_in(&app.url(""), TOKEN);
    let index = get_with_cookie(&app.url("/admin/"), &cookie);
    assert!(index.body.contains("No backups yet") && index.body.contains("No actions recorded yet"));
    let answer = post_form(&app.url("/admin/backups"), &cookie, &[("csrf", &index.csrf_field())], &[]);
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert!(answer.header("location").unwrap().starts_with("/flower/task/"));
    let name = common::wait_for("the backup to be listed", || {
        let folder = app.db.dir.path().join("backups");
        let entry = std::fs::read_dir(folder).ok()?.filter_map(Result::ok).find(|entry| {
            let name = entry.file_name().into_string().unwrap();
            !name.starts_with('.') && name.ends_with(".db")
        })?;
        Some(entry.file_name().into_string().unwrap())
    });
    let index = get_with_cookie(&app.url("/admin/"), &cookie);
    assert!(index.body.contains(&format!("href=\"/admin/backups/{name}\"")), "{}", index.body);
    let download = request("GET", &app.url(&format!("/admin/backups/{name}")), &[("cookie", &cookie)], None);
    assert_eq!(download.status, 200);
    assert_eq!(download.header("content-type"), Some("application/vnd.sqlite3"));
}
