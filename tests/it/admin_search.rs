//! The admin lists' substring search through the trigram indexes (migration 0013): it finds
//! exactly the rows `LIKE` finds, writes and imports keep the indexes in step with their tables,
//! and a rare search is looked up in the index rather than scanned.

use rusqlite::Connection;

use crate::admin_support::{self, delete, write};
use crate::common::{self, movielens_ok, spawn_app, TempDb};
use movielens::db::admin::lists::{self, ListQuery, ModelList};

/// Every row `list` shows for `search` (one page as long as the table), as its first cells.
fn found(conn: &Connection, list: &ModelList, search: &str) -> Vec<String> {
    let query =
        ListQuery { search: Some(search.to_string()), sort: list.sorts[0].0, limit: 1_000_000, ..Default::default() };
    let page = lists::page(conn, list, &query).unwrap();
    page.rows.into_iter().map(|row| row[0].clone()).collect()
}

/// The ids `sql` selects with `?1` bound to `search` as a case-blind substring pattern.
fn expected(conn: &Connection, sql: &str, search: &str) -> Vec<String> {
    let search = search.trim();
    let pattern = format!("%{}%", search.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let mut statement = conn.prepare(sql).unwrap();
    let ids = statement.query_map([pattern], |row| row.get::<_, i64>(0)).unwrap();
    ids.map(|id| id.unwrap().to_string()).collect()
}

/// Asserts that `list` shows exactly the rows `sql` selects for `search`, naming the difference.
fn assert_same(conn: &Connection, list: &ModelList, sql: &str, search: &str) {
    let (shown, wanted) = (found(conn, list, search), expected(conn, sql, search));
    if shown != wanted {
        let extra: Vec<_> = shown.iter().filter(|id| !wanted.contains(id)).take(5).collect();
        let missing: Vec<_> = wanted.iter().filter(|id| !shown.contains(id)).take(5).collect();
        panic!("{:?} for {search:?}: extra {extra:?}, missing {missing:?}", list.columns);
    }
}

/// The FTS5 check of an external-content index against its table: an error names the mismatch.
fn assert_indexes_match_their_tables(conn: &Connection) {
    for index in ["movie_titles", "tag_texts"] {
        conn.execute(&format!("INSERT INTO {index} ({index}, rank) VALUES ('integrity-check', 1)"), [])
            .unwrap_or_else(|err| panic!("{index} differs from its table: {err}"));
    }
    let differences: i64 = conn
        .query_row(
            "SELECT count(*) FROM (SELECT tag, uses FROM tag_names
             EXCEPT SELECT tag, count(*) FROM tags GROUP BY tag
             UNION ALL SELECT tag, count(*) FROM tags GROUP BY tag EXCEPT SELECT tag, uses FROM tag_names)",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(differences, 0, "tag_names differs from the tags' distinct texts");
}

/// ASCII pieces of the data's titles and tags, short and long, in mixed case, and text with
/// quotes and LIKE's wildcards.
fn searches(conn: &Connection) -> Vec<String> {
    let mut texts: Vec<String> =
        ["e", "Th", "the", "s 2", "%", "_", "\"", "1995)", "zyzzyva", "it's", "100%", "a_b"].map(String::from).to_vec();
    let sample = "SELECT title FROM (SELECT title FROM movies ORDER BY movie_id LIMIT 40)
                  UNION ALL SELECT tag FROM (SELECT tag FROM tags ORDER BY id LIMIT 40)";
    let mut statement = conn.prepare(sample).unwrap();
    let sources: Vec<String> = statement.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect();
    for (index, source) in sources.iter().filter(|text| text.is_ascii()).enumerate() {
        let length = 1 + index % 7;
        let start = (index * 3) % source.len().max(1);
        let piece: String = source.chars().skip(start).take(length).collect();
        texts.push(if index % 2 == 0 { piece.to_uppercase() } else { piece });
    }
    texts
}

#[test]
fn searches_through_the_trigram_indexes_find_exactly_what_like_finds() {
    let app = spawn_app(None);
    let conn = app.db.connect();
    assert_indexes_match_their_tables(&conn);
    for search in searches(&conn) {
        let title_sql = "SELECT movie_id FROM movies WHERE title LIKE ?1 ESCAPE '\\' ORDER BY movie_id";
        assert_same(&conn, &lists::MOVIES, title_sql, &search);
        let tag_sql = "SELECT id FROM tags WHERE tag LIKE ?1 ESCAPE '\\' OR movie_id IN
                       (SELECT movie_id FROM movies WHERE title LIKE ?1 ESCAPE '\\') ORDER BY id";
        assert_same(&conn, &lists::TAGS, tag_sql, &search);
        let link_sql = "SELECT l.movie_id FROM links l JOIN movies m USING (movie_id) WHERE m.title LIKE ?1 ESCAPE '\\'
                        OR l.imdb_id LIKE ?1 ESCAPE '\\' OR l.tmdb_id LIKE ?1 ESCAPE '\\' ORDER BY l.movie_id";
        assert_same(&conn, &lists::LINKS, link_sql, &search);
    }
    // Ratings run to 100,000 rows here: a few searches, narrow and broad.
    for search in ["zyzzyva", "Toy Story", "the", "e"] {
        let rating_sql = "SELECT id FROM ratings WHERE movie_id IN
                          (SELECT movie_id FROM movies WHERE title LIKE ?1 ESCAPE '\\') ORDER BY id";
        assert_same(&conn, &lists::RATINGS, rating_sql, search);
    }
}

#[test]
fn writes_through_the_api_are_found_by_the_next_search() {
    let (app, _data) = admin_support::spawn();
    let conn = app.db.connect();
    let titles = |search: &str| found(&conn, &lists::MOVIES, search);
    let (status, movie) = write(&app, "POST", "/api/movies", r#"{"title": "Quixotic Zephyr (2031)", "genres": []}"#);
    assert_eq!(status, 201, "{movie}");
    let id = movie["id"].to_string();
    assert_eq!(titles("xotic zeph"), [id.as_str()]);
    let (status, _) = write(&app, "PATCH", &format!("/api/movies/{id}"), r#"{"title": "Placid Breeze (2031)"}"#);
    assert_eq!(status, 200);
    assert!(titles("Zephyr").is_empty(), "the old title is gone from the index");
    assert_eq!(titles("cid bree"), [id.as_str()]);

    let body = format!(r#"{{"user_id": 7, "movie_id": {id}, "tag": "wistful glimmer"}}"#);
    let (status, tag) = write(&app, "POST", "/api/tags", &body);
    assert_eq!(status, 201, "{tag}");
    let tag_id = tag["id"].to_string();
    assert_eq!(found(&conn, &lists::TAGS, "ul glim"), [tag_id.as_str()]);
    let (status, _) = write(&app, "PATCH", &format!("/api/tags/{tag_id}"), r#"{"tag": "stark"}"#);
    assert_eq!(status, 200);
    assert!(found(&conn, &lists::TAGS, "glimmer").is_empty());
    assert_eq!(found(&conn, &lists::TAGS, "STARK"), [tag_id.as_str()]);
    // Two letters have no trigram: found through the distinct tag texts.
    let body = format!(r#"{{"user_id": 8, "movie_id": {id}, "tag": "Qz"}}"#);
    assert_eq!(write(&app, "POST", "/api/tags", &body).0, 201);
    assert_eq!(found(&conn, &lists::TAGS, "qZ").len(), 1);
    assert_eq!(delete(&app, &format!("/api/movies/{id}")).0, 204);
    assert!(found(&conn, &lists::TAGS, "qz").is_empty());
    assert!(titles("Breeze").is_empty() && found(&conn, &lists::TAGS, "stark").is_empty());
    assert_indexes_match_their_tables(&conn);
}

#[test]
fn an_import_over_existing_data_leaves_the_indexes_matching_the_new_rows() {
    let db = TempDb::new();
    let data = tempfile::tempdir().unwrap();
    common::write_small_dataset(data.path());
    let folder = data.path().to_str().unwrap();
    let generate =
        ["generate", "--movies", "300", "--users", "40", "--ratings", "3000", "--tags", "200", "--out", folder];
    movielens_ok(&[&["--db", db.arg()][..], &generate[..]].concat());
    movielens_ok(&["--db", db.arg(), "import", folder]);
    common::write_small_dataset(data.path());
    movielens_ok(&["--db", db.arg(), "import", "--replace", folder]);
    let conn = db.connect();
    assert_indexes_match_their_tables(&conn);
    assert_eq!(found(&conn, &lists::MOVIES, "president"), ["2"]);
    // Tag ids are never reused, not even across a replace: the tag is found by its text.
    let moody =
        lists::page(&conn, &lists::TAGS, &ListQuery { search: Some("moody".into()), limit: 10, ..Default::default() });
    let rows = moody.unwrap().rows;
    assert!(rows.len() == 1 && rows[0][3] == "dark, moody", "{rows:?}");
}

#[test]
fn a_rare_search_is_looked_up_in_the_trigram_indexes_not_scanned() {
    let app = spawn_app(None);
    let conn = app.db.connect();
    for list in [&lists::TAGS, &lists::MOVIES, &lists::RATINGS] {
        let query =
            ListQuery { search: Some("zyzzyva".into()), sort: list.sorts[0].0, limit: 50, ..Default::default() };
        let plan = lists::plan(&conn, list, &query).unwrap();
        assert!(plan.iter().any(|step| step.contains("movie_titles VIRTUAL TABLE")), "{plan:?}");
        assert!(!plan.iter().any(|step| step.starts_with("SCAN ") && !step.contains("VIRTUAL TABLE")), "{plan:?}");
    }
    let query = ListQuery { search: Some("zyzzyva".into()), sort: "id", limit: 50, ..Default::default() };
    let plan = lists::plan(&conn, &lists::TAGS, &query).unwrap();
    assert!(plan.iter().any(|step| step.contains("tag_texts VIRTUAL TABLE")), "{plan:?}");
    // Two letters that match no tag: the distinct texts are read, not every tag.
    let query = ListQuery { search: Some("q\u{fe}".into()), sort: "id", limit: 50, ..Default::default() };
    let plan = lists::plan(&conn, &lists::TAGS, &query).unwrap();
    assert!(plan.iter().any(|step| step.contains("tag_names")), "{plan:?}");
    assert!(!plan.iter().any(|step| step == "SCAN t"), "{plan:?}");
}
