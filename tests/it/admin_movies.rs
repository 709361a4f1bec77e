//! The admin write API for movies: create, update and delete, through real HTTP against a real
//! SQLite file, with the aggregates and cached answers checked after each write.

use crate::admin_support;
use crate::common;

use admin_support::{assert_error, assert_fields, assert_no_drift, delete, spawn, write, write_as};
use common::get_json;

fn genre<'a>(genres: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    genres.as_array().unwrap().iter().find(|genre| genre["name"] == name).unwrap()
}

#[test]
fn a_movie_is_created_with_the_next_free_id_its_year_read_from_its_title_and_shows_at_once() {
    let (app, _data) = spawn();
    let comedies = genre(&get_json(&app.url("/api/genres"), 200), "Comedy")["movie_count"].as_i64().unwrap();
    let answer = write(&app, "POST", "/api/movies", r#"{"title": "  Heat (1995) ", "genres": ["comedy", "Drama"]}"#);
    assert_eq!(answer.0, 201, "{}", answer.1);
    assert_eq!(
        answer.1,
        serde_json::json!({"id": 4, "title": "Heat (1995)", "year": 1995, "genres": ["Comedy", "Drama"]})
    );
    let movie = get_json(&app.url("/api/movies/4"), 200);
    assert_eq!((movie["title"].as_str(), movie["year"].as_i64()), (Some("Heat (1995)"), Some(1995)));
    assert_eq!(genre(&get_json(&app.url("/api/genres"), 200), "Comedy")["movie_count"], comedies + 1);

    let (status, body) = write(&app, "POST", "/api/movies", r#"{"movie_id": 100, "title": "Babylon 5", "genres": []}"#);
    assert_eq!((status, &body["id"], body.get("year")), (201, &serde_json::json!(100), None));
    assert_eq!(delete(&app, "/api/movies/100").0, 204);
    // A deleted id is never handed out again.
    let (status, body) = write(&app, "POST", "/api/movies", r#"{"title": "Next", "genres": []}"#);
    assert_eq!((status, body["id"].as_i64()), (201, Some(101)), "{body}");
    assert_no_drift(&app);
}

#[test]
fn every_problem_of_a_movie_body_is_listed_at_once() {
    let (app, _data) = spawn();
    let types = write(&app, "POST", "/api/movies", r#"{"movie_id": "seven", "title": 5, "genres": "Comedy"}"#);
    assert_fields(&types, &["genres", "movie_id", "title"]);
    let rules = write(
        &app,
        "POST",
        "/api/movies",
        r#"{"movie_id": 0, "title": "   ", "genres": ["Comedy", "Nope", "COMEDY"]}"#,
    );
    assert_fields(&rules, &["genres[1]", "genres[2]", "movie_id", "title"]);
    assert!(rules.1["message"].as_str().unwrap().contains("unknown genre 'Nope'"), "{}", rules.1);
    assert_fields(&write(&app, "POST", "/api/movies", r#"{}"#), &["genres", "title"]);
    assert_fields(&write(&app, "POST", "/api/movies", r#"[1, 2]"#), &["body"]);
    let long = format!(r#"{{"title": "{}", "genres": []}}"#, "x".repeat(501));
    assert_fields(&write(&app, "POST", "/api/movies", &long), &["title"]);
    let both = write(&app, "PATCH", "/api/movies/1", r#"{"title": "", "genres": ["Drama"], "add_genres": ["Nope"]}"#);
    assert_fields(&both, &["add_genres[0]", "genres", "title"]);
    let contradictory =
        write(&app, "PATCH", "/api/movies/1", r#"{"add_genres": ["Drama"], "remove_genres": ["drama"]}"#);
    assert_fields(&contradictory, &["remove_genres[0]"]);
    assert_eq!(app.db.count("movies"), 3, "nothing was written");
}

#[test]
fn movie_writes_need_the_admin_token() {
    let (app, _data) = spawn();
    for (method, path, body) in [
        ("POST", "/api/movies", Some(r#"{"title": "X", "genres": []}"#)),
        ("PATCH", "/api/movies/1", Some("{}")),
        ("DELETE", "/api/movies/1", None),
    ] {
        assert_error(&write_as(&app, None, method, path, body), 401, "unauthorized", "token");
        assert_error(&write_as(&app, Some("not-the-token"), method, path, body), 403, "forbidden", "token");
    }
    assert_eq!(app.db.count("movies"), 3);
}

#[test]
fn a_taken_movie_id_is_a_conflict_and_an_unknown_one_a_404_naming_it() {
    let (app, _data) = spawn();
    let taken = write(&app, "POST", "/api/movies", r#"{"movie_id": 2, "title": "Again (2000)", "genres": []}"#);
    assert_error(&taken, 409, "conflict", "id 2");
    assert_error(&write(&app, "PATCH", "/api/movies/999", r#"{"title": "X"}"#), 404, "not_found", "999");
    assert_error(&delete(&app, "/api/movies/999"), 404, "not_found", "999");
}

#[test]
fn a_movie_update_changes_its_title_year_and_genres_and_the_genre_figures_follow_at_once() {
    let (app, _data) = spawn();
    let before = get_json(&app.url("/api/genres"), 200);
    get_json(&app.url("/api/movies/1"), 200); // cached now
    let (status, body) =
        write(&app, "PATCH", "/api/movies/1", r#"{"title": "Toy Story 2 (1999)", "genres": ["drama"]}"#);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, serde_json::json!({"id": 1, "title": "Toy Story 2 (1999)", "year": 1999, "genres": ["Drama"]}));
    let movie = get_json(&app.url("/api/movies/1"), 200);
    assert_eq!((movie["title"].as_str(), movie["year"].as_i64()), (Some("Toy Story 2 (1999)"), Some(1999)));
    assert_eq!(movie["genres"], serde_json::json!(["Drama"]));
    let after = get_json(&app.url("/api/genres"), 200);
    // Movie 1 has one rating (4.0): Drama gains it, Comedy and Adventure lose it.
    assert_eq!(genre(&after, "Drama")["movie_count"], genre(&before, "Drama")["movie_count"].as_i64().unwrap() + 1);
    assert_eq!(genre(&after, "Drama")["rating_count"], genre(&before, "Drama")["rating_count"].as_i64().unwrap() + 1);
    assert_eq!(genre(&after, "Adventure")["movie_count"], 0);

    let (status, body) =
        write(&app, "PATCH", "/api/movies/1", r#"{"add_genres": ["Comedy"], "remove_genres": ["Drama", "Sci-Fi"]}"#);
    assert_eq!((status, &body["genres"]), (200, &serde_json::json!(["Comedy"])), "{body}");
    let (status, body) = write(&app, "PATCH", "/api/movies/1", r#"{"title": "Untitled"}"#);
    assert_eq!((status, body.get("year")), (200, None), "{body}");
    assert_no_drift(&app);
}

#[test]
fn deleting_a_movie_removes_its_ratings_tags_link_and_genres_and_every_figure_follows_at_once() {
    let (app, _data) = spawn();
    // Cache every answer the delete changes.
    get_json(&app.url("/api/movies/1"), 200);
    get_json(&app.url("/api/links/1"), 200);
    let user = get_json(&app.url("/api/users/1"), 200);
    assert_eq!(user["rating_count"], 2);
    let top = get_json(&app.url("/api/top-rated"), 200);
    assert!(top["results"].as_array().unwrap().iter().any(|movie| movie["id"] == 1));
    let stats = get_json(&app.url("/api/stats"), 200);

    assert_eq!(delete(&app, "/api/movies/1"), (204, serde_json::Value::Null));

    get_json(&app.url("/api/movies/1"), 404);
    get_json(&app.url("/api/links/1"), 404);
    let user = get_json(&app.url("/api/users/1"), 200);
    assert_eq!((user["rating_count"].as_i64(), user["mean_rating"].as_f64()), (Some(1), Some(0.5)));
    let top = get_json(&app.url("/api/top-rated"), 200);
    assert!(!top["results"].as_array().unwrap().iter().any(|movie| movie["id"] == 1));
    let after = get_json(&app.url("/api/stats"), 200);
    assert_eq!(after["tables"]["ratings"], stats["tables"]["ratings"].as_i64().unwrap() - 1);
    assert_eq!(after["tables"]["tags"], stats["tables"]["tags"].as_i64().unwrap() - 1);
    assert_eq!(after["tables"]["links"], stats["tables"]["links"].as_i64().unwrap() - 1);
    let genres = get_json(&app.url("/api/genres"), 200);
    assert_eq!(
        (genre(&genres, "Animation")["movie_count"].as_i64(), genre(&genres, "Animation")["rating_count"].as_i64()),
        (Some(0), Some(0))
    );
    let conn = app.db.connect();
    for table in ["ratings", "tags", "links", "movie_genres", "movie_stats", "movie_rating_histogram"] {
        let left: i64 =
            conn.query_row(&format!("SELECT count(*) FROM {table} WHERE movie_id = 1"), [], |row| row.get(0)).unwrap();
        assert_eq!(left, 0, "{table} still holds movie 1");
    }
    assert_no_drift(&app);
}

#[test]
fn the_spec_lists_each_path_once_with_its_reads_and_writes_together() {
    let (app, _data) = spawn();
    let spec = movielens::api::spec_json();
    // A path declared by two API structs would appear twice, and a JSON reader keeps only one.
    let mut seen = std::collections::HashSet::new();
    for line in spec.lines().filter(|line| line.starts_with("    \"/")) {
        assert!(seen.insert(line.to_string()), "listed twice: {line}");
    }
    assert!(seen.len() > 50, "the spec's paths were not found");
    let spec: serde_json::Value = serde_json::from_str(&spec).unwrap();
    // `details` is text or a list of field problems, inline: a reference wrapped in `allOf` (how a
    // described field refers to a named schema) makes client generators drop the Error model.
    let details = &spec["components"]["schemas"]["Error"]["properties"]["details"];
    assert!(details.get("allOf").is_none() && details.get("type").is_none(), "{details}");
    assert_eq!(details["oneOf"][0]["type"], "string", "{details}");
    assert_eq!(details["oneOf"][1]["items"]["$ref"], "#/components/schemas/FieldError", "{details}");
    let paths = spec["paths"].clone();
    for (path, methods) in [
        ("/api/movies/{movie_id}", ["get", "patch", "delete"]),
        ("/api/genres/{name}", ["get", "patch", "delete"]),
        ("/api/ratings/{rating_id}", ["get", "patch", "delete"]),
        ("/api/tags/{tag_id}", ["get", "patch", "delete"]),
        ("/api/links/{movie_id}", ["get", "patch", "delete"]),
    ] {
        for method in methods {
            assert!(paths[path].get(method).is_some(), "{method} {path} is missing");
        }
    }
    let (status, headers, _) = common::send("PUT", &app.url("/api/genres/Drama"), &[], None);
    assert_eq!((status, headers["allow"].to_str().unwrap()), (405, "DELETE, GET, PATCH, HEAD"));
}

#[test]
fn hostile_movie_bodies_get_a_400_or_are_stored_verbatim_never_a_500() {
    let (app, _data) = spawn();
    let too_big = write(&app, "POST", "/api/movies", r#"{"movie_id": 9007199254740992, "title": "X", "genres": []}"#);
    assert_fields(&too_big, &["movie_id"]);
    assert_fields(
        &write(&app, "POST", "/api/movies", r#"{"movie_id": 1e3, "title": "X", "genres": []}"#),
        &["movie_id"],
    );
    assert_fields(&write(&app, "POST", "/api/movies", r#"{"title": "X", "genres": [null, 5]}"#), &["genres"]);
    assert_fields(&write(&app, "POST", "/api/movies", r#"{"title": "X", "genres": [], "movie_id": 1e400}"#), &["body"]);
    assert_fields(&write(&app, "POST", "/api/movies", &format!("{}1{}", "[".repeat(200), "]".repeat(200))), &["body"]);
    let injection = write(&app, "POST", "/api/movies", r#"{"title": "X", "genres": ["Comedy' OR 1=1 --"]}"#);
    assert_fields(&injection, &["genres[0]"]);

    let title = "<script>alert(1)</script> \u{0}🎬 Ünïcode (2020)";
    let body = serde_json::json!({"title": title, "genres": ["comedy"]}).to_string();
    let (status, movie) = write(&app, "POST", "/api/movies", &body);
    assert_eq!((status, movie["title"].as_str(), movie["year"].as_i64()), (201, Some(title), Some(2020)), "{movie}");
    let id = movie["id"].as_i64().unwrap();
    assert_eq!(get_json(&app.url(&format!("/api/movies/{id}")), 200)["title"], title);
    let emoji_title = serde_json::json!({"title": "🎬".repeat(500)}).to_string();
    assert_eq!(write(&app, "PATCH", &format!("/api/movies/{id}"), &emoji_title).0, 200);
    assert_no_drift(&app);
}

#[test]
fn a_movie_after_the_largest_json_safe_id_is_a_conflict_not_an_id_out_of_range() {
    let (app, _data) = spawn();
    let last = write(&app, "POST", "/api/movies", r#"{"movie_id": 9007199254740991, "title": "Last", "genres": []}"#);
    assert_eq!(last.0, 201, "{}", last.1);
    let next = write(&app, "POST", "/api/movies", r#"{"title": "After", "genres": []}"#);
    assert_error(&next, 409, "conflict", "give movie_id");
    assert_eq!(write(&app, "POST", "/api/movies", r#"{"movie_id": 5, "title": "Given", "genres": []}"#).0, 201);
}

#[test]
fn a_movie_delete_takes_its_similar_movie_rows_with_it_both_as_the_movie_and_as_a_neighbour() {
    let (app, _data) = spawn();
    let conn = app.db.connect();
    conn.execute_batch(
        "INSERT INTO recommendation_models (id, neighbours, score_neighbours, min_co_raters, normalization,
             max_user_ratings, data_generation, started_at) VALUES (1, 50, 20, 2, 'binary', 1000, 1, 0),
             (2, 50, 20, 2, 'binary', 1000, 1, 0);
         INSERT INTO recommendation_neighbours (model_id, movie_id, rank, neighbour_id, similarity, co_raters) VALUES
         (1, 1, 1, 2, 0.9, 3), (1, 2, 1, 1, 0.9, 3), (1, 2, 2, 3, 0.5, 2), (1, 3, 1, 2, 0.5, 2), (2, 3, 1, 1, 0.4, 1)",
    )
    .unwrap();
    assert_eq!(delete(&app, "/api/movies/1").0, 204);
    let left: Vec<(i64, i64, i64)> = conn
        .prepare("SELECT model_id, movie_id, neighbour_id FROM recommendation_neighbours ORDER BY 1, 2, 3")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(left, vec![(1, 2, 3), (1, 3, 2)]);
}
