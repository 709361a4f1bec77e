//! The query lab's ORM lessons over real HTTP: exact statement counts, checked against a count
//! SQLite's own trace hook takes on a connection of the test's, and the F-expression race.

use crate::common;

use std::cell::Cell;

use common::{get_json, send, spawn_app, spawn_app_with_token};
use movielens::db::lab::orm;
use rusqlite::{Connection, OpenFlags};
use serde_json::Value;

thread_local! {
    static TRACED: Cell<u64> = const { Cell::new(0) };
}

/// SQLite's trace hook announces each statement as it starts; a trigger's statements start with
/// `--`, and are part of the statement that fired them.
fn count_statement(sql: &str) {
    if !sql.starts_with("--") {
        TRACED.with(|traced| traced.set(traced.get() + 1));
    }
}

/// How many statements `work` runs on a connection of the test's own, by SQLite's count.
fn traced<T>(conn: &Connection, work: impl FnOnce(&Connection) -> T) -> (T, u64) {
    TRACED.with(|traced| traced.set(0));
    let result = work(conn);
    (result, TRACED.with(Cell::get))
}

fn traced_connection(app: &common::TestApp) -> Connection {
    let mut conn = Connection::open_with_flags(&app.db.path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    conn.trace(Some(count_statement));
    conn
}

fn queries_count(report: &Value) -> u64 {
    report["queries_count"].as_u64().unwrap()
}

#[test]
fn n_plus_one_select_related_and_prefetch_related_run_11_1_and_3_statements_for_ten_movies() {
    let app = spawn_app(None);
    let conn = traced_connection(&app);
    for (path, expected) in [("n-plus-one", 11), ("select-related", 1), ("prefetch-related", 3)] {
        // With and without the seed's trailing slash.
        let report = get_json(&app.url(&format!("/api/movies/{path}/")), 200);
        assert_eq!(queries_count(&report), expected, "{path}: {report:#}");
        assert_eq!(report["queries"].as_array().unwrap().len() as u64, expected);
        assert_eq!(report["data"].as_array().unwrap().len(), 10);
        let again = get_json(&app.url(&format!("/api/movies/{path}?limit=10")), 200);
        assert_eq!(again["data"], report["data"]);
    }
    let (_, n_plus_one) = traced(&conn, |conn| orm::n_plus_one(conn, 10).unwrap());
    let (_, select_related) = traced(&conn, |conn| orm::select_related(conn, 10).unwrap());
    let (_, prefetch_related) = traced(&conn, |conn| orm::prefetch_related(conn, 10).unwrap());
    assert_eq!((n_plus_one, select_related, prefetch_related), (11, 1, 3), "SQLite's own count");
}

#[test]
fn the_counts_follow_the_limit_as_sqlite_counts_them_and_the_n_show_as_one_similar_group() {
    let app = spawn_app(None);
    let conn = traced_connection(&app);
    for limit in [1u32, 2, 37, 100] {
        let n_plus_one = get_json(&app.url(&format!("/api/movies/n-plus-one?limit={limit}")), 200);
        let (movies, traced_count) = traced(&conn, |conn| orm::n_plus_one(conn, limit).unwrap());
        assert_eq!(queries_count(&n_plus_one), 1 + u64::from(limit));
        assert_eq!(traced_count, 1 + u64::from(limit));
        assert_eq!(n_plus_one["data"], serde_json::to_value(&movies).unwrap(), "the same movies either way");
        let similar = n_plus_one["similar_queries"].as_array().unwrap();
        if limit > 1 {
            assert_eq!(similar.len(), 1, "{similar:?}");
            assert_eq!(similar[0]["sql"], "SELECT imdb_id, tmdb_id FROM links WHERE movie_id = ?1");
            assert_eq!(similar[0]["count"], limit);
        } else {
            assert!(similar.is_empty());
        }
        // Each movie's link is looked up once: no duplicates.
        assert_eq!(n_plus_one["duplicate_queries"], serde_json::json!([]));

        let prefetch = get_json(&app.url(&format!("/api/movies/prefetch-related?limit={limit}")), 200);
        let (_, traced_count) = traced(&conn, |conn| orm::prefetch_related(conn, limit).unwrap());
        assert_eq!((queries_count(&prefetch), traced_count), (3, 3), "limit {limit}");
        let select = get_json(&app.url(&format!("/api/movies/select-related?limit={limit}")), 200);
        assert_eq!(select["data"], n_plus_one["data"], "a JOIN loads the same links");
        assert_eq!(queries_count(&select), 1);
    }
}

#[test]
fn each_statement_is_shown_with_its_values_and_measured_time() {
    let app = spawn_app(None);
    let report = get_json(&app.url("/api/movies/n-plus-one?limit=3"), 200);
    let queries = report["queries"].as_array().unwrap();
    assert_eq!(queries[0]["sql"], "SELECT movie_id, title FROM movies ORDER BY movie_id LIMIT 3");
    for (query, movie) in queries[1..].iter().zip(report["data"].as_array().unwrap()) {
        assert_eq!(query["sql"], format!("SELECT imdb_id, tmdb_id FROM links WHERE movie_id = {}", movie["id"]));
        assert!(query["time_ms"].as_f64().unwrap() > 0.0, "measured, not SQLite's whole milliseconds: {query}");
    }
    let total: f64 = queries.iter().map(|query| query["time_ms"].as_f64().unwrap()).sum();
    assert!((report["queries_time_ms"].as_f64().unwrap() - total).abs() < 1e-6);
    assert!(report["time_ms"].as_f64().unwrap() >= total);
    assert_eq!(report["method"], "N+1 queries (no select_related)");
    assert!(report["explanation"].as_str().unwrap().contains("1 + N"));
}

#[test]
fn only_and_defer_select_different_columns_and_touching_a_deferred_field_costs_a_statement_per_movie() {
    let app = spawn_app(None);
    let only = get_json(&app.url("/api/movies/only?limit=5"), 200);
    assert_eq!(only["queries"][0]["sql"], "SELECT movie_id, title FROM movies ORDER BY movie_id LIMIT 5");
    assert_eq!(only["data"]["columns"], serde_json::json!(["movie_id", "title"]));
    assert!(only["data"]["movies"][0].get("year").is_none());

    let defer = get_json(&app.url("/api/movies/defer?limit=5"), 200);
    assert_eq!(queries_count(&defer), 1);
    assert_eq!(defer["queries"][0]["sql"], "SELECT movie_id, title, year FROM movies ORDER BY movie_id LIMIT 5");
    assert_eq!(defer["data"]["left_out"], serde_json::json!(["genres"]));
    assert!(defer["data"]["movies"][0].get("genres").is_none());

    let touched = get_json(&app.url("/api/movies/defer?limit=5&touch=true"), 200);
    assert_eq!(queries_count(&touched), 6);
    assert_eq!(touched["similar_queries"][0]["count"], 5);
    let detail = get_json(&app.url(&format!("/api/movies/{}", touched["data"]["movies"][0]["id"])), 200);
    assert_eq!(touched["data"]["movies"][0]["genres"], detail["genres"]);
}

#[test]
fn values_returns_objects_values_list_arrays_and_flat_ids() {
    let app = spawn_app(None);
    let values = get_json(&app.url("/api/movies/values?limit=3"), 200);
    let values_list = get_json(&app.url("/api/movies/values-list?limit=3"), 200);
    let flat = get_json(&app.url("/api/movies/values-list?limit=3&flat=true"), 200);
    for report in [&values, &values_list, &flat] {
        assert_eq!(queries_count(report), 1);
    }
    for ((object, array), id) in values["data"]
        .as_array()
        .unwrap()
        .iter()
        .zip(values_list["data"].as_array().unwrap())
        .zip(flat["data"].as_array().unwrap())
    {
        assert_eq!(array[0], object["id"]);
        assert_eq!(array[1], object["title"]);
        assert_eq!(&object["id"], id);
    }
    assert_eq!(flat["queries"][0]["sql"], "SELECT movie_id FROM movies ORDER BY movie_id LIMIT 3");
}

#[test]
fn a_limit_out_of_range_is_a_400_in_the_error_shape() {
    let app = spawn_app(None);
    for path in ["n-plus-one", "select-related", "prefetch-related", "only", "defer", "values", "values-list"] {
        for limit in ["0", "101", "ten"] {
            let error = get_json(&app.url(&format!("/api/movies/{path}?limit={limit}")), 400);
            assert_eq!(error["code"], "invalid_request", "{path}?limit={limit}: {error}");
        }
    }
}

#[test]
fn concurrent_read_modify_write_loses_updates_and_the_f_expression_loses_none() {
    let app = spawn_app_with_token(None, "lab-token");
    let auth = [("Authorization", "Bearer lab-token")];
    let (status, _, body) = send("POST", &app.url("/api/movies/f-update/?concurrency=8&increments=800"), &auth, None);
    assert_eq!(status, 200, "{body}");
    let report: Value = serde_json::from_str(&body).unwrap();
    let race = &report["data"];
    assert_eq!((race["concurrency"].as_u64(), race["increments"].as_u64()), (Some(8), Some(800)));
    let naive = &race["read_modify_write"];
    let f_expression = &race["f_expression"];
    assert_eq!(naive["expected"], 800);
    assert!(naive["lost_updates"].as_i64().unwrap() > 0, "eight racing workers overwrite each other: {naive}");
    assert_eq!(naive["final_value"].as_i64().unwrap() + naive["lost_updates"].as_i64().unwrap(), 800);
    assert_eq!(f_expression["final_value"], 800, "{f_expression}");
    assert_eq!(f_expression["lost_updates"], 0);
    assert_eq!((naive["statements"].as_u64(), f_expression["statements"].as_u64()), (Some(1600), Some(800)));
    // Two counters created, two read at the end, two removed, besides the increments.
    let sql: Vec<&str> =
        report["queries"].as_array().unwrap().iter().map(|query| query["sql"].as_str().unwrap()).collect();
    let others: Vec<&&str> =
        sql.iter().filter(|sql| !sql.contains("value = ") && !sql.starts_with("SELECT value")).collect();
    assert_eq!(queries_count(&report), 1600 + 800 + 6, "{others:#?}");
    assert_eq!(app.db.count("lab_counters"), 0, "the run removes its counters");
    assert_eq!(app.db.count("ratings"), get_json(&app.url("/api/stats"), 200)["tables"]["ratings"].as_i64().unwrap());
}

#[test]
fn f_update_needs_the_admin_token_and_bounded_parameters() {
    let app = spawn_app_with_token(None, "lab-token");
    let url = app.url("/api/movies/f-update");
    assert_eq!(send("POST", &url, &[], None).0, 401);
    assert_eq!(send("POST", &url, &[("Authorization", "Bearer wrong")], None).0, 403);
    let auth = [("Authorization", "Bearer lab-token")];
    for query in ["concurrency=0", "concurrency=33", "increments=0", "increments=10001", "concurrency=x"] {
        let (status, _, body) = send("POST", &format!("{url}?{query}"), &auth, None);
        assert_eq!(status, 400, "{query}: {body}");
    }
    assert_eq!(send("GET", &url, &[], None).0, 405);
}

#[test]
fn the_api_root_lists_the_lab_under_the_seeds_group_names_and_every_url_answers() {
    let app = spawn_app(None);
    let root = get_json(&app.url("/api/"), 200);
    let groups = ["optimization_endpoints", "advanced_orm_features"];
    let lessons: Vec<(&String, &Value)> = groups.iter().flat_map(|group| root[group].as_object().unwrap()).collect();
    assert_eq!(lessons.len(), 11, "{root:#}");
    for (name, url) in lessons {
        let url = url.as_str().unwrap();
        assert!(url.starts_with(&app.url("/api/movies/")) && url.ends_with('/'), "{name}: {url}");
        let expected = if name == "f_update" { 405 } else { 200 };
        assert_eq!(send("GET", url, &[], None).0, expected, "{name}: {url}");
    }
}

#[test]
fn with_the_recorder_off_the_lab_still_answers_and_says_it_counted_nothing() {
    let db = common::TempDb::new();
    let env = [("MOVIELENS_STATEMENT_RECORDER", "false"), ("MOVIELENS_ADMIN_TOKEN", "off-token")];
    let (mut server, base, _) = common::start_server(&db, &[], &env);
    let report = get_json(&format!("{base}/api/movies/n-plus-one/"), 200);
    assert_eq!(report["data"].as_array().unwrap().len(), 10);
    assert_eq!(queries_count(&report), 0);
    assert!(report["explanation"].as_str().unwrap().starts_with("The statement recorder is off"), "{report}");
    let auth = [("Authorization", "Bearer off-token")];
    let (status, _, body) = send("POST", &format!("{base}/api/movies/f-update?increments=16"), &auth, None);
    assert_eq!(status, 200, "{body}");
    let race: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(race["data"]["f_expression"]["final_value"], 16);
    assert!(race["explanation"].as_str().unwrap().starts_with("The statement recorder is off"));
    common::terminate(&mut server);
}
