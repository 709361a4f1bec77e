//! Every model's edit, create and delete forms in the web admin over real HTTP: round trips,
//! each field's problem shown next to it, CSRF, the sign-in guard, escaping, the delete
//! confirmation's list, and the API seeing a web edit at once.

use crate::admin_support::{assert_no_drift, spawn, spawn_quiet, TOKEN};
use crate::common::web::{get_with_cookie, post_form, sign_in, Answer};
use crate::common::{get_json, TestApp};

/// Signs in; the session cookie and its CSRF token.
fn session(app: &TestApp) -> (String, String) {
    let cookie = sign_in(&app.url(""), TOKEN);
    let csrf = get_with_cookie(&app.url("/admin/movies/new"), &cookie).csrf_field();
    (cookie, csrf)
}

fn post(app: &TestApp, cookie: &str, path: &str, csrf: &str, fields: &[(&str, &str)]) -> Answer {
    let mut all = vec![("csrf", csrf)];
    all.extend_from_slice(fields);
    post_form(&app.url(path), cookie, &all, &[])
}

/// A form's fields, in order.
type Fields = Vec<(&'static str, &'static str)>;

fn count(app: &TestApp, sql: &str) -> i64 {
    app.db.connect().query_row(sql, [], |row| row.get(0)).unwrap()
}

fn audit_entries(app: &TestApp) -> i64 {
    count(app, "SELECT count(*) FROM audit_log")
}

#[test]
fn each_model_goes_through_create_edit_and_delete_in_its_forms() {
    let (app, _data) = spawn();
    let (cookie, csrf) = session(&app);
    // (model, create fields, edit fields, a query that reads the edited record's changed value)
    let cases: [(&str, Fields, Fields, &str); 5] = [
        (
            "movies",
            vec![("title", "Heat (1995)"), ("genres", "Drama"), ("genres", "Comedy")],
            vec![("title", "Heat (1996)"), ("genres", "Sci-Fi")],
            "SELECT title || '/' || genres FROM movies WHERE movie_id = ?1",
        ),
        (
            "genres",
            vec![("name", "Film Noir")],
            vec![("name", "Noir")],
            "SELECT name FROM genres WHERE name = 'Noir' AND ?1 != ''",
        ),
        (
            "ratings",
            vec![("user_id", "7"), ("movie_id", "1"), ("rating", "3.5"), ("timestamp", "")],
            vec![("user_id", "7"), ("movie_id", "2"), ("rating", "4.5"), ("timestamp", "1000")],
            "SELECT movie_id || '/' || rating || '/' || timestamp FROM ratings WHERE id = ?1",
        ),
        (
            "tags",
            vec![("user_id", "7"), ("movie_id", "1"), ("tag", "  cosy  "), ("timestamp", "5")],
            vec![("user_id", "8"), ("movie_id", "3"), ("tag", "space"), ("timestamp", "6")],
            "SELECT user_id || '/' || movie_id || '/' || tag FROM tags WHERE id = ?1",
        ),
        (
            "links",
            vec![("movie_id", "4"), ("imdb_id", "113277"), ("tmdb_id", "949")],
            vec![("imdb_id", "0113278"), ("tmdb_id", "")],
            "SELECT imdb_id || '/' || coalesce(tmdb_id, 'none') FROM links WHERE movie_id = ?1",
        ),
    ];
    let expected_after_edit = ["Heat (1996)/Sci-Fi", "Noir", "2/4.5/1000", "8/3/space", "0113278/none"];
    for ((model, create, edit, read_back), expected) in cases.into_iter().zip(expected_after_edit) {
        assert_eq!(get_with_cookie(&app.url(&format!("/admin/{model}/new")), &cookie).status, 200, "{model}");
        let created = post(&app, &cookie, &format!("/admin/{model}/new"), &csrf, &create);
        assert_eq!(created.status, 303, "{model}: {}", created.body);
        let edit_path = created.header("location").unwrap().to_string();
        let id = edit_path.rsplit('/').next().unwrap().replace("%20", " ");
        let form = get_with_cookie(&app.url(&edit_path), &cookie);
        assert_eq!(form.status, 200, "{model}: {}", form.body);
        assert!(form.body.contains(&format!("{model}/{}/delete", edit_path.rsplit('/').next().unwrap())), "{model}");
        let saved = post(&app, &cookie, &edit_path, &csrf, &edit);
        assert_eq!(saved.status, 303, "{model}: {}", saved.body);
        assert_eq!(saved.header("location"), Some(format!("/admin/{model}").as_str()));
        let stored: String = app.db.connect().query_row(read_back, [&id], |row| row.get(0)).unwrap();
        assert_eq!(stored, expected, "{model}");
        let edit_path = if model == "genres" { "/admin/genres/Noir".to_string() } else { edit_path };
        let confirm = get_with_cookie(&app.url(&format!("{edit_path}/delete")), &cookie);
        assert_eq!(confirm.status, 200, "{model}: {}", confirm.body);
        let deleted = post(&app, &cookie, &format!("{edit_path}/delete"), &csrf, &[]);
        assert_eq!(deleted.status, 303, "{model}: {}", deleted.body);
        assert_eq!(get_with_cookie(&app.url(&edit_path), &cookie).status, 404, "{model}");
        if model == "movies" {
            // The link test below needs a movie 4 without a link.
            let movie = post(&app, &cookie, "/admin/movies/new", &csrf, &[("movie_id", "4"), ("title", "Four (2000)")]);
            assert_eq!(movie.status, 303, "{}", movie.body);
        }
    }
    // Every write is in the audit log as the admin token, as the API's are.
    assert_eq!(count(&app, "SELECT count(*) FROM audit_log WHERE token_id NOT LIKE 'admin-%'"), 0);
    assert_eq!(audit_entries(&app), 16);
    assert_no_drift(&app);
}

#[test]
fn each_field_shows_its_own_problem_next_to_it_and_nothing_is_written() {
    let (app, _data) = spawn_quiet();
    let (cookie, csrf) = session(&app);
    let cases: [(&str, Fields, &[&str]); 6] = [
        (
            "/admin/movies/new",
            vec![("movie_id", "x"), ("title", "  "), ("genres", "A|B")],
            &["movie_id", "title", "genres"],
        ),
        ("/admin/movies/1", vec![("title", ""), ("genres", "Drama"), ("genres", "Unknown")], &["title", "genres"]),
        ("/admin/genres/new", vec![("name", "A|B")], &["name"]),
        (
            "/admin/ratings/new",
            vec![("user_id", "0"), ("movie_id", "one"), ("rating", "4.2"), ("timestamp", "-1")],
            &["user_id", "movie_id", "rating", "timestamp"],
        ),
        (
            "/admin/tags/1",
            vec![("user_id", "x"), ("movie_id", "0"), ("tag", " "), ("timestamp", "-5")],
            &["user_id", "movie_id", "tag", "timestamp"],
        ),
        ("/admin/links/1", vec![("imdb_id", "tt12"), ("tmdb_id", "0")], &["imdb_id", "tmdb_id"]),
    ];
    let before = crate::common::dump(&app.db.connect());
    for (path, fields, problems) in cases {
        let answer = post(&app, &cookie, path, &csrf, &fields);
        assert_eq!(answer.status, 400, "{path}: {}", answer.body);
        for field in problems {
            let at = answer
                .body
                .find(&format!("id=\"error-{field}\""))
                .unwrap_or_else(|| panic!("{path}: no problem at {field}: {}", answer.body));
            // Next to its own input: after it, before the next field's label.
            let input = answer.body.find(&format!("name=\"{field}\"")).unwrap();
            assert!(input < at, "{path}: {field}");
        }
        // The submitted values are shown again.
        for (name, value) in fields.iter().filter(|(name, value)| *name != "genres" && !value.trim().is_empty()) {
            assert!(answer.body.contains(&format!("value=\"{value}\"")), "{path}: {name} {value} not kept");
        }
    }
    assert_eq!(crate::common::dump(&app.db.connect()), before);
    assert_eq!(audit_entries(&app), 0);
}

#[test]
fn a_taken_id_or_an_unknown_movie_is_a_problem_on_the_form_not_a_server_error() {
    let (app, _data) = spawn();
    let (cookie, csrf) = session(&app);
    for (path, fields, field, needle) in [
        ("/admin/movies/new", vec![("movie_id", "1"), ("title", "Again (2000)")], "movie_id", "exists already"),
        ("/admin/genres/new", vec![("name", "comedy")], "name", "exists already"),
        ("/admin/genres/Drama", vec![("name", "COMEDY")], "name", "exists already"),
        ("/admin/links/new", vec![("movie_id", "1"), ("imdb_id", "1")], "movie_id", "has a link already"),
        (
            "/admin/ratings/new",
            vec![("user_id", "1"), ("movie_id", "999"), ("rating", "3")],
            "movie_id",
            "no movie has id 999",
        ),
        ("/admin/tags/1", vec![("user_id", "1"), ("movie_id", "998"), ("tag", "x")], "movie_id", "no movie has id 998"),
    ] {
        let answer = post(&app, &cookie, path, &csrf, &fields);
        assert_eq!(answer.status, 400, "{path}: {}", answer.body);
        let at =
            answer.body.find(&format!("id=\"error-{field}\"")).unwrap_or_else(|| panic!("{path}: {}", answer.body));
        assert!(answer.body[at..].contains(needle), "{path}: {}", answer.body);
    }
    assert_eq!(audit_entries(&app), 0);
    for path in ["/admin/movies/999", "/admin/ratings/0", "/admin/tags/abc", "/admin/genres/Nope", "/admin/users/1"] {
        assert_eq!(get_with_cookie(&app.url(path), &cookie).status, 404, "{path}");
        assert_eq!(post(&app, &cookie, path, &csrf, &[("title", "x")]).status, 404, "{path}");
    }
}

#[test]
fn posts_without_the_csrf_token_or_with_another_are_refused_and_write_nothing() {
    let (app, _data) = spawn_quiet();
    let (cookie, csrf) = session(&app);
    let other = sign_in(&app.url(""), TOKEN);
    let others_csrf = get_with_cookie(&app.url("/admin/movies/new"), &other).csrf_field();
    assert_ne!(csrf, others_csrf);
    let before = crate::common::dump(&app.db.connect());
    for path in ["/admin/movies/new", "/admin/movies/1", "/admin/movies/1/delete", "/admin/genres/Comedy/delete"] {
        for token in ["", "0000", others_csrf.as_str()] {
            let fields = [("csrf", token), ("title", "Forged (2000)"), ("detach", "on")];
            let answer = post_form(&app.url(path), &cookie, &fields, &[]);
            assert_eq!(answer.status, 403, "{path} with {token:?}: {}", answer.body);
        }
        // The right token from another site is refused too.
        let fields = [("csrf", csrf.as_str()), ("title", "Forged (2000)")];
        let answer = post_form(&app.url(path), &cookie, &fields, &[("origin", "https://evil.example")]);
        assert_eq!(answer.status, 403, "{path}");
    }
    assert_eq!(crate::common::dump(&app.db.connect()), before);
}

#[test]
fn anonymous_visitors_are_sent_to_sign_in_and_their_posts_refused() {
    let (app, _data) = spawn();
    for path in
        ["/admin/movies/new", "/admin/movies/1", "/admin/genres/Comedy", "/admin/links/1/delete", "/admin/tags/1"]
    {
        let answer = get_with_cookie(&app.url(path), "");
        assert_eq!(answer.status, 303, "{path}");
        assert!(answer.header("location").unwrap().starts_with("/login?next=%2Fadmin%2F"), "{path}");
        let posted = post_form(&app.url(path), "movielens_session=forged", &[("csrf", "x"), ("title", "x")], &[]);
        assert_eq!(posted.status, 403, "{path}");
    }
    assert_eq!(audit_entries(&app), 0);
}

#[test]
fn a_title_holding_a_script_is_escaped_in_the_edit_form() {
    let (app, _data) = spawn();
    let (cookie, csrf) = session(&app);
    let title = "<script>alert(1)</script> \"quoted\" (2001)";
    let saved = post(&app, &cookie, "/admin/movies/1", &csrf, &[("title", title), ("genres", "Drama")]);
    assert_eq!(saved.status, 303, "{}", saved.body);
    for path in ["/admin/movies/1", "/admin/movies/1/delete", "/admin/movies?q=alert"] {
        let page = get_with_cookie(&app.url(path), &cookie);
        assert!(!page.body.contains("<script>alert"), "{path}: {}", page.body);
        // minijinja escapes `/` too.
        assert!(page.body.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"), "{path}");
    }
}

#[test]
fn the_delete_confirmation_lists_what_goes_with_the_record() {
    let (app, _data) = spawn();
    let (cookie, csrf) = session(&app);
    let page = get_with_cookie(&app.url("/admin/movies/1/delete"), &cookie);
    assert_eq!(page.status, 200);
    for line in ["1 ratings", "1 tags", "1 link", "5 genre rows"] {
        assert!(page.body.contains(&format!("<li>{line}</li>")), "{line}: {}", page.body);
    }
    let genre = get_with_cookie(&app.url("/admin/genres/Comedy/delete"), &cookie);
    assert!(genre.body.contains("2 movies use this genre"), "{}", genre.body);
    assert!(genre.body.contains("Toy Story (1995)") && genre.body.contains("American President, The (1995)"));
    // In use: refused on the page until detach is ticked.
    let refused = post(&app, &cookie, "/admin/genres/Comedy/delete", &csrf, &[]);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("is used by 2 movies"), "{}", refused.body);
    assert_eq!(count(&app, "SELECT count(*) FROM genres WHERE name = 'Comedy'"), 1);
    let detached = post(&app, &cookie, "/admin/genres/Comedy/delete", &csrf, &[("detach", "on")]);
    assert_eq!(detached.status, 303, "{}", detached.body);
    assert_eq!(count(&app, "SELECT count(*) FROM genres WHERE name = 'Comedy'"), 0);
    let deleted = post(&app, &cookie, "/admin/movies/1/delete", &csrf, &[]);
    assert_eq!(deleted.status, 303);
    assert_eq!(count(&app, "SELECT count(*) FROM ratings WHERE movie_id = 1"), 0);
    assert_no_drift(&app);
}

#[test]
fn a_web_edit_shows_in_the_api_at_once_even_just_after_it_was_cached() {
    let (app, _data) = spawn();
    let (cookie, csrf) = session(&app);
    let url = app.url("/api/movies/1");
    assert_eq!(get_json(&url, 200)["title"], "Toy Story (1995)");
    assert_eq!(get_json(&url, 200)["title"], "Toy Story (1995)");
    let saved = post(&app, &cookie, "/admin/movies/1", &csrf, &[("title", "Toy Story 2 (1999)"), ("genres", "Comedy")]);
    assert_eq!(saved.status, 303, "{}", saved.body);
    let movie = get_json(&url, 200);
    assert_eq!(movie["title"], "Toy Story 2 (1999)");
    assert_eq!(movie["year"], 1999);
    assert_eq!(movie["genres"], serde_json::json!(["Comedy"]));
}

#[test]
fn the_list_pages_link_each_row_to_its_form_and_to_a_new_one() {
    let (app, _data) = spawn();
    let (cookie, _) = session(&app);
    for (list, link) in [
        ("/admin/movies", "/admin/movies/1\""),
        ("/admin/genres", "/admin/genres/Sci-Fi\""),
        ("/admin/ratings", "/admin/ratings/1\""),
        ("/admin/tags", "/admin/tags/1\""),
        ("/admin/links", "/admin/links/3\""),
    ] {
        let page = get_with_cookie(&app.url(list), &cookie);
        assert!(page.body.contains(link), "{list}: {}", page.body);
        assert!(page.body.contains(&format!("{list}/new\"")), "{list}");
    }
}

#[test]
fn a_genre_whose_name_holds_url_characters_is_reached_by_its_link() {
    let (app, _data) = spawn();
    let (cookie, csrf) = session(&app);
    for name in ["Neo/Noir (fr)", "100% & more?", "new"] {
        let created = post(&app, &cookie, "/admin/genres/new", &csrf, &[("name", name)]);
        assert_eq!(created.status, 303, "{name}: {}", created.body);
        let path = created.header("location").unwrap().to_string();
        let form = get_with_cookie(&app.url(&path), &cookie);
        assert_eq!(form.status, 200, "{name} at {path}: {}", form.body);
        assert!(form.body.contains("Change genre"), "{name} at {path}");
        // The list links to the same place.
        let list = get_with_cookie(&app.url("/admin/genres?sort=-id"), &cookie);
        assert!(list.body.contains(&format!("href=\"{path}\"")), "{name}: {path} not in the list");
    }
}
