//! The filter language over real HTTP: `GET /api/movies?filter=` and the lab's Q filters, checked
//! against answers computed here from the MovieLens CSVs; errors, limits and injection attempts.

use crate::common;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use common::{get, get_json, real_data, spawn_app};
use proptest::prelude::*;
use serde_json::Value;

/// The movies.csv rows: id, title, genres.
fn movies(data: &Path) -> Vec<(i64, String, Vec<String>)> {
    let mut reader = csv::Reader::from_path(data.join("movies.csv")).unwrap();
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            let genres = record[2].split('|').map(str::to_string).collect();
            (record[0].parse().unwrap(), record[1].to_string(), genres)
        })
        .collect()
}

/// (movieId, rating) for every row of ratings.csv.
fn ratings(data: &Path) -> Vec<(i64, f64)> {
    let mut reader = csv::Reader::from_path(data.join("ratings.csv")).unwrap();
    reader
        .records()
        .map(|record| record.unwrap())
        .map(|record| (record[1].parse().unwrap(), record[2].parse().unwrap()))
        .collect()
}

/// The year at the end of a title: `(1995)`, or the first of a range `(2006–2007)`.
fn year(title: &str) -> Option<i64> {
    let inner = title.trim_end().strip_suffix(')')?.rsplit_once('(')?.1;
    let year = inner.get(..4)?;
    let rest = &inner[4..];
    let range = rest.is_empty() || rest.starts_with('-') || rest.starts_with('–');
    (range && year.bytes().all(|b| b.is_ascii_digit())).then(|| year.parse().ok())?
}

fn ids(movies: &Value) -> Vec<i64> {
    movies.as_array().unwrap().iter().map(|movie| movie["id"].as_i64().unwrap()).collect()
}

/// Every id `GET /api/movies` lists for `query`, page by page (100 a page unless it says).
fn all_listed(app: &common::TestApp, query: &str) -> (u64, Vec<i64>) {
    let page_size = if query.contains("page_size=") { "" } else { "&page_size=100" };
    let mut url = app.url(&format!("/api/movies?{query}{page_size}"));
    let mut listed = Vec::new();
    loop {
        let page = get_json(&url, 200);
        listed.extend(ids(&page["results"]));
        match page["next"].as_str() {
            Some(next) => url = next.replace("http://localhost", &format!("http://{}", app.address)),
            None => return (page["count"].as_u64().unwrap(), listed),
        }
    }
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[test]
fn the_seeds_three_q_filters_find_what_the_csvs_say() {
    let Some(data) = real_data() else { return };
    let app = spawn_app(Some(&data));
    let movies = movies(&data);
    let action_or_comedy: BTreeSet<i64> = movies
        .iter()
        .filter(|(_, _, genres)| genres.iter().any(|genre| genre == "Action" || genre == "Comedy"))
        .map(|(id, ..)| *id)
        .collect();
    let star_or_war: BTreeSet<i64> = movies
        .iter()
        .filter(|(_, title, _)| {
            let title = title.to_lowercase();
            (title.contains("star") || title.contains("war")) && !title.contains("episode")
        })
        .map(|(id, ..)| *id)
        .collect();
    let extreme: BTreeSet<i64> =
        ratings(&data).into_iter().filter(|(_, rating)| *rating >= 4.5 || *rating <= 1.5).map(|(id, _)| id).collect();

    let report = get_json(&app.url("/api/movies/q-filters/?limit=25"), 200);
    let filters = report["data"]["filters"].as_array().unwrap();
    assert_eq!(filters.len(), 3);
    for (filter, expected) in filters.iter().zip([&action_or_comedy, &star_or_war, &extreme]) {
        assert_eq!(filter["total"].as_u64().unwrap(), expected.len() as u64, "{}", filter["filter"]);
        let first: Vec<i64> = expected.iter().take(25).copied().collect();
        assert_eq!(ids(&filter["movies"]), first, "{}", filter["filter"]);
        assert_eq!(filter["queries_count"], 2, "a count and a page");
    }
    assert_eq!(report["queries_count"], 6);
    assert_eq!(filters[1]["params"], serde_json::json!(["Star", "War", "Episode"]));
}

#[test]
fn the_example_expression_lists_what_the_csvs_say_with_sorting_and_pages() {
    let Some(data) = real_data() else { return };
    let app = spawn_app(Some(&data));
    let mut rated: HashMap<i64, (u32, f64)> = HashMap::new();
    for (movie, rating) in ratings(&data) {
        let entry = rated.entry(movie).or_default();
        *entry = (entry.0 + 1, entry.1 + rating);
    }
    let mut dark_comedy = BTreeSet::new();
    let mut reader = csv::Reader::from_path(data.join("tags.csv")).unwrap();
    for record in reader.records().map(Result::unwrap) {
        if record[2].to_lowercase().contains("dark comedy") {
            dark_comedy.insert(record[1].parse::<i64>().unwrap());
        }
    }
    let expected: BTreeSet<i64> = movies(&data)
        .into_iter()
        .filter(|(id, title, genres)| {
            let (count, sum) = rated.get(id).copied().unwrap_or_default();
            genres.iter().any(|genre| genre == "Action" || genre == "Comedy")
                && !title.to_lowercase().contains("episode")
                && year(title).is_some_and(|year| year >= 1990)
                && count > 0
                && sum / f64::from(count) >= 3.5
                && count >= 10
                && dark_comedy.contains(id)
        })
        .map(|(id, ..)| id)
        .collect();
    assert!(expected.len() > 3, "the example selects several movies: {expected:?}");
    let expression = r#"(genre:Action OR genre:Comedy) AND NOT title:Episode AND year>=1990 AND avg_rating>=3.5 AND ratings>=10 AND tag:"dark comedy""#;
    let (count, listed) = all_listed(&app, &format!("filter={}", encode(expression)));
    assert_eq!(count, expected.len() as u64);
    assert_eq!(listed, expected.iter().copied().collect::<Vec<_>>());

    // The other filters, the sort and the pages still apply, combined by AND.
    let (_, comedies) = all_listed(&app, &format!("filter={}&genre=Comedy&sort=-id&page_size=2", encode(expression)));
    let mut expected_comedies: Vec<i64> = listed
        .iter()
        .copied()
        .filter(|id| {
            get_json(&app.url(&format!("/api/movies/{id}")), 200)["genres"]
                .as_array()
                .unwrap()
                .contains(&"Comedy".into())
        })
        .collect();
    expected_comedies.reverse();
    assert_eq!(comedies, expected_comedies);

    // `&&`, `||` and `!` are the same language.
    let symbols = r#"(genre:Action || genre:Comedy) && !title:Episode && year>=1990 && avg_rating>=3.5 && ratings>=10 && tag:"dark comedy""#;
    assert_eq!(all_listed(&app, &format!("filter={}", encode(symbols))).1, listed);
}

#[test]
fn a_bad_expression_is_a_400_that_says_where_and_what_was_expected() {
    let app = spawn_app(None);
    let cases = [
        ("year>=", "filter: expected a value after '>=' at 6"),
        ("avg_rating >= AND", "filter: expected a value after '>=' at 14"),
        ("(genre:Action", "at 13"),
        ("title:\"open", "unterminated quoted value"),
        ("year>=abc", "expected a number for 'year'"),
        ("title<x", "does not apply to text field 'title'"),
    ];
    for (expression, expected) in cases {
        let url = app.url(&format!("/api/movies?filter={}", encode(expression)));
        let error = get_json(&url, 400);
        assert_eq!(error["code"], "invalid_request");
        assert!(error["message"].as_str().unwrap().contains(expected), "{expression}: {error}");
    }
    let unknown = get_json(&app.url("/api/movies?filter=director:Nolan"), 400);
    let message = unknown["message"].as_str().unwrap();
    assert!(
        message.starts_with("filter: unknown field 'director' at 0; known fields: title, genre, year"),
        "{message}"
    );
    // The lab's `q` speaks the same language and refuses the same way.
    let lab = get_json(&app.url(&format!("/api/movies/q-filters?q={}", encode("year>="))), 400);
    assert_eq!(lab["message"], "filter: expected a value after '>=' at 6");
}

#[test]
fn nesting_and_length_limits_give_a_400_not_a_stack_overflow() {
    let app = spawn_app(None);
    let deep = format!("{}year=1{}", "(".repeat(40), ")".repeat(40));
    let negations = format!("{}year=1", "!".repeat(900));
    for expression in [deep, negations] {
        let error = get_json(&app.url(&format!("/api/movies?filter={}", encode(&expression))), 400);
        assert!(error["message"].as_str().unwrap().contains("at 32"), "{error}");
    }
    let long = vec!["year=1"; 200].join(" OR ");
    let (status, body) = get(&app.url(&format!("/api/movies?filter={}", encode(&long))));
    assert_eq!(status, 400, "{body}");
    let within = vec!["year=1"; 100].join(" OR ");
    get_json(&app.url(&format!("/api/movies?filter={}", encode(&within))), 200);
}

#[test]
fn injection_attempts_are_literal_text_or_a_400_and_the_tables_stay_intact() {
    let app = spawn_app(None);
    let before = app.db.count("movies");
    for expression in [
        r#"title:"'); DROP TABLE movies; --""#,
        r#"title:"\" OR 1=1 --""#,
        r#"tag:"x' UNION SELECT name FROM sqlite_schema --""#,
        r#"genre:"Comedy' OR '1'='1""#,
    ] {
        let page = get_json(&app.url(&format!("/api/movies?filter={}", encode(expression))), 200);
        assert_eq!(page["count"], 0, "{expression} matched as text, found nothing: {page}");
    }
    for expression in ["title:'x'", "year=1; DROP TABLE movies", "id=1 OR 1=1 --"] {
        let (status, body) = get(&app.url(&format!("/api/movies?filter={}", encode(expression))));
        assert_eq!(status, 400, "{expression}: {body}");
    }
    assert_eq!(app.db.count("movies"), before);
    let lab = get_json(
        &app.url(&format!("/api/movies/q-filters?q={}", encode(r#"title:"'; DELETE FROM ratings; --""#))),
        200,
    );
    assert_eq!(lab["data"]["filters"][3]["params"], serde_json::json!(["'; DELETE FROM ratings; --"]));
    assert!(!lab["data"]["filters"][3]["sql"].as_str().unwrap().contains("DELETE"));
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("title".to_string()),
        Just("genre".to_string()),
        Just("year".to_string()),
        Just("avg_rating".to_string()),
        Just("tag".to_string()),
        Just("ratings".to_string()),
        Just(":".to_string()),
        Just(">=".to_string()),
        Just("!=".to_string()),
        Just("<".to_string()),
        Just("AND".to_string()),
        Just("OR".to_string()),
        Just("NOT".to_string()),
        Just("&&".to_string()),
        Just("!".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("\"".to_string()),
        Just("\\".to_string()),
        "[0-9]{1,25}",
        "[a-zA-Z'%_;-]{1,8}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn random_expressions_get_a_200_or_a_400_never_a_5xx(tokens in prop::collection::vec(token(), 0..12)) {
        static APP: std::sync::OnceLock<common::TestApp> = std::sync::OnceLock::new();
        let app = APP.get_or_init(|| spawn_app(None));
        let expression = tokens.join(" ");
        let (status, body) = get(&app.url(&format!("/api/movies?filter={}", encode(&expression))));
        prop_assert!(status == 200 || status == 400, "{expression:?}: {status} {body}");
        let (status, body) = get(&app.url(&format!("/api/movies/q-filters?q={}", encode(&expression))));
        prop_assert!(status == 200 || status == 400, "{expression:?}: {status} {body}");
    }
}
