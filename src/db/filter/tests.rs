use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rusqlite::{params_from_iter, Connection};

use super::*;

/// Ten movies covering every field, with the awkward cases: no year, no genres, no ratings, a
/// stats row whose ratings were all deleted (count 0), no links, a NULL tmdb id, and titles and
/// tags that look like SQL.
const SCHEMA_AND_DATA: &str = r#"
CREATE TABLE movies (movie_id INTEGER PRIMARY KEY, title TEXT NOT NULL, year INTEGER, genres TEXT NOT NULL DEFAULT '');
CREATE TABLE genres (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE movie_genres (movie_id INTEGER NOT NULL, genre_id INTEGER NOT NULL, UNIQUE (movie_id, genre_id));
CREATE TABLE tags (id INTEGER PRIMARY KEY, movie_id INTEGER NOT NULL, tag TEXT NOT NULL);
CREATE TABLE links (movie_id INTEGER PRIMARY KEY, imdb_id TEXT NOT NULL, tmdb_id INTEGER);
CREATE TABLE movie_stats (movie_id INTEGER PRIMARY KEY, rating_count INTEGER NOT NULL, rating_sum REAL NOT NULL);
INSERT INTO movies (movie_id, title, year) VALUES
    (1, 'Toy Story (1995)', 1995),
    (2, 'Pulp Fiction (1994)', 1994),
    (3, 'Star Wars: Episode IV - A New Hope (1977)', 1977),
    (4, 'Fargo (1996)', 1996),
    (5, 'Les Misérables (1995)', 1995),
    (6, 'Untitled', NULL),
    (7, 'Kill Bill: Vol. 1 (2003)', 2003),
    (8, 'In Bruges (2008)', 2008),
    (9, 'Robert''); DROP TABLE movies; -- (2000)', 2000),
    (10, '100% Wolf (2020)', 2020);
INSERT INTO genres VALUES (1, 'Action'), (2, 'Adventure'), (3, 'Animation'), (4, 'Children'), (5, 'Comedy'),
    (6, 'Crime'), (7, 'Drama'), (8, 'Fantasy'), (9, 'Sci-Fi'), (10, 'Thriller'), (11, 'War'),
    (12, '(no genres listed)');
INSERT INTO movie_genres VALUES (1, 2), (1, 3), (1, 4), (1, 5), (1, 8), (2, 5), (2, 6), (2, 7), (2, 10),
    (3, 1), (3, 2), (3, 9), (4, 5), (4, 6), (4, 7), (4, 10), (5, 7), (5, 11), (6, 12), (7, 1), (7, 6), (7, 10),
    (8, 5), (8, 6), (9, 5), (10, 3);
-- As migration 0002's triggers keep it: the names, alphabetical, joined by '|'.
UPDATE movies SET genres = coalesce((SELECT group_concat(name, '|') FROM (SELECT g.name FROM movie_genres mg
    JOIN genres g ON g.id = mg.genre_id WHERE mg.movie_id = movies.movie_id ORDER BY g.name)), '');
INSERT INTO tags (movie_id, tag) VALUES (1, 'pixar'), (1, 'fun'), (2, 'dark comedy'), (2, 'Quentin Tarantino'),
    (3, 'space'), (4, 'Dark Comedy'), (7, 'very dark comedy'), (8, 'dark comedy'), (9, 'x'' OR ''1''=''1'),
    (10, '"quoted" \ tag');
INSERT INTO links VALUES (1, '0114709', 862), (2, '0110912', 680), (3, '0076759', 11), (4, '0116282', 275),
    (5, '0113828', NULL), (7, '0266697', 24), (8, '0780536', 8321), (9, '0000001', 1);
INSERT INTO movie_stats VALUES (1, 100, 390), (2, 200, 840), (3, 300, 1275), (4, 60, 246), (5, 10, 35),
    (7, 55, 220), (8, 40, 180), (9, 0, 0), (10, 5, 15);
"#;

/// The test database, in a temporary file; the directory goes when the tuple is dropped.
fn test_db() -> (Connection, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let conn = Connection::open(dir.path().join("filter.db")).unwrap();
    // As the app registers them on every connection.
    crate::db::functions::register(&conn).unwrap();
    conn.execute_batch(SCHEMA_AND_DATA).unwrap();
    (conn, dir)
}

fn run(conn: &Connection, filter: &CompiledFilter) -> rusqlite::Result<Vec<i64>> {
    let sql = format!(
        "SELECT m.movie_id FROM movies m LEFT JOIN movie_stats s ON s.movie_id = m.movie_id WHERE {} \
         ORDER BY m.movie_id",
        filter.sql
    );
    let mut statement = conn.prepare(&sql)?;
    let ids = statement.query_map(params_from_iter(filter.params.iter()), |row| row.get(0))?;
    ids.collect()
}

fn ids(conn: &Connection, expression: &str) -> Vec<i64> {
    let filter = compile(expression).unwrap_or_else(|err| panic!("{expression}: {err}"));
    run(conn, &filter).unwrap_or_else(|err| panic!("{expression}: {err}"))
}

fn error(expression: &str) -> (usize, String) {
    let err = compile(expression).expect_err(expression);
    (err.position, err.message)
}

const ID: &str = "(m.movie_id = ?)";

#[test]
fn and_binds_tighter_than_or_and_not_tightest() {
    let cases = [
        ("id:1 OR id:2 AND id:3", format!("({ID} OR ({ID} AND {ID}))")),
        ("id:1 AND id:2 OR id:3", format!("(({ID} AND {ID}) OR {ID})")),
        ("(id:1 OR id:2) AND id:3", format!("(({ID} OR {ID}) AND {ID})")),
        ("NOT id:1 AND id:2", format!("((NOT {ID}) AND {ID})")),
        ("NOT (id:1 AND id:2)", format!("(NOT ({ID} AND {ID}))")),
        ("!id:1 && id:2 || id:3", format!("(((NOT {ID}) AND {ID}) OR {ID})")),
        ("not id:1 and id:2 Or id:3", format!("(((NOT {ID}) AND {ID}) OR {ID})")),
        ("id:1 OR id:2 OR id:3", format!("({ID} OR {ID} OR {ID})")),
        ("NOT NOT id:1", format!("(NOT (NOT {ID}))")),
        ("((id:1))", ID.to_string()),
    ];
    for (expression, sql) in cases {
        let filter = compile(expression).unwrap();
        assert_eq!(filter.sql, sql, "{expression}");
        assert_eq!(filter.params.len(), filter.sql.matches('?').count(), "{expression}");
    }
    let filter = compile("id:1 OR id:2 AND id:3").unwrap();
    assert_eq!(filter.params, [Value::Integer(1), Value::Integer(2), Value::Integer(3)]);

    let (conn, _dir) = test_db();
    assert_eq!(ids(&conn, "id:1 OR id:2 AND id:3"), [1]);
    assert_eq!(ids(&conn, "(id:1 OR id:2) AND id:3"), [] as [i64; 0]);
    assert_eq!(ids(&conn, "NOT id:1 AND id<3"), [2]);
    assert_eq!(ids(&conn, "NOT (id:1 AND id<3)"), [2, 3, 4, 5, 6, 7, 8, 9, 10]);
}

#[test]
fn quoted_values_unescape_and_bare_words_take_unicode() {
    let text = |expression: &str| compile(expression).unwrap().params;
    assert_eq!(text(r#"title:"say \"hi\" \\ now""#), [Value::Text(r#"say "hi" \ now"#.into())]);
    assert_eq!(text(r#"title:"""#), [Value::Text(String::new())]);
    assert_eq!(text(r#"title:"AND (x) OR: <= !""#), [Value::Text("AND (x) OR: <= !".into())]);
    assert_eq!(text("title:Amélie"), [Value::Text("Amélie".into())]);
    assert_eq!(text("title:東京_物語-2.0"), [Value::Text("東京_物語-2.0".into())]);
    assert_eq!(text("TITLE : \"x\""), [Value::Text("x".into())]);
    assert_eq!(text(r#"year:"1995""#), [Value::Integer(1995)]);
}

#[test]
fn every_field_and_operator_compiles_to_its_sql() {
    let tags = "SELECT 1 FROM tags t WHERE t.movie_id = m.movie_id AND";
    let links = "SELECT 1 FROM links l WHERE l.movie_id = m.movie_id AND";
    let text = |value: &str| Value::Text(value.into());
    let cases = [
        ("title:toy", "(contains_text(m.title, ?))".to_string(), text("toy")),
        ("title=Fargo", "(m.title = ?)".to_string(), text("Fargo")),
        ("title!=Fargo", "(m.title <> ?)".to_string(), text("Fargo")),
        ("genre:Comedy", "(has_genre(m.genres, ?))".to_string(), text("Comedy")),
        ("Genre=comedy", "(has_genre(m.genres, ?))".to_string(), text("comedy")),
        ("genre!=Comedy", "(NOT has_genre(m.genres, ?))".to_string(), text("Comedy")),
        ("tag:dark", format!("(EXISTS ({tags} contains_text(t.tag, ?)))"), text("dark")),
        ("tag=dark", format!("(EXISTS ({tags} t.tag = ?))"), text("dark")),
        ("tag!=dark", format!("(NOT EXISTS ({tags} t.tag = ?))"), text("dark")),
        ("year:1995", "(m.year = ?)".to_string(), Value::Integer(1995)),
        ("year=1995", "(m.year = ?)".to_string(), Value::Integer(1995)),
        ("year!=1995", "(m.year <> ?)".to_string(), Value::Integer(1995)),
        ("YEAR<1995", "(m.year < ?)".to_string(), Value::Integer(1995)),
        ("year<=-5", "(m.year <= ?)".to_string(), Value::Integer(-5)),
        ("year>1995", "(m.year > ?)".to_string(), Value::Integer(1995)),
        ("year>=1995", "(m.year >= ?)".to_string(), Value::Integer(1995)),
        ("ratings>=50", "(s.rating_count >= ?)".to_string(), Value::Integer(50)),
        ("ratings>0", "(s.rating_count > ?)".to_string(), Value::Integer(0)),
        ("ratings<3", "(coalesce(s.rating_count, 0) < ?)".to_string(), Value::Integer(3)),
        ("ratings=0", "(coalesce(s.rating_count, 0) = ?)".to_string(), Value::Integer(0)),
        ("ratings!=2", "(coalesce(s.rating_count, 0) <> ?)".to_string(), Value::Integer(2)),
        ("avg_rating>=4", "(s.rating_sum / s.rating_count >= ?)".to_string(), Value::Real(4.0)),
        ("avg_rating<3.5", "(s.rating_sum / s.rating_count < ?)".to_string(), Value::Real(3.5)),
        ("id:7", "(m.movie_id = ?)".to_string(), Value::Integer(7)),
        ("imdb_id:tt0114709", format!("(EXISTS ({links} CAST(l.imdb_id AS INTEGER) = ?))"), Value::Integer(114709)),
        ("imdb_id>TT0114709", format!("(EXISTS ({links} CAST(l.imdb_id AS INTEGER) > ?))"), Value::Integer(114709)),
        ("imdb_id!=114709", format!("(EXISTS ({links} CAST(l.imdb_id AS INTEGER) <> ?))"), Value::Integer(114709)),
        ("tmdb_id<=862", format!("(EXISTS ({links} l.tmdb_id <= ?))"), Value::Integer(862)),
    ];
    for (expression, sql, param) in cases {
        assert_eq!(compile(expression), Ok(CompiledFilter { sql, params: vec![param] }), "{expression}");
    }
    for field in FIELDS {
        assert!(compile(&format!("{field}:1")).is_ok(), "{field}");
        assert!(compile(&format!("{}:1", field.to_uppercase())).is_ok(), "{field}");
    }
}

#[test]
fn every_field_selects_the_right_movies() {
    let (conn, _dir) = test_db();
    let all_but = |excluded: &[i64]| (1..=10).filter(|id| !excluded.contains(id)).collect::<Vec<i64>>();
    let cases: Vec<(&str, Vec<i64>)> = vec![
        ("title:misérables", vec![5]),
        ("title:MISÉRABLES", vec![5]),
        ("title:\"star wars: episode\"", vec![3]),
        ("title=\"Fargo (1996)\"", vec![4]),
        ("title=\"fargo (1996)\"", vec![]),
        ("title!=\"Fargo (1996)\"", all_but(&[4])),
        ("genre:comedy", vec![1, 2, 4, 8, 9]),
        ("genre=COMEDY", vec![1, 2, 4, 8, 9]),
        ("genre:Com", vec![]),
        ("genre!=Comedy", vec![3, 5, 6, 7, 10]),
        ("genre:\"(no genres listed)\"", vec![6]),
        ("genre:sci-fi", vec![3]),
        ("tag:DARK", vec![2, 4, 7, 8]),
        ("tag=\"dark comedy\"", vec![2, 8]),
        ("tag!=\"dark comedy\"", all_but(&[2, 8])),
        ("year:1995", vec![1, 5]),
        // A movie without a year matches neither a comparison nor its negation.
        ("year!=1995", vec![2, 3, 4, 7, 8, 9, 10]),
        ("NOT year:1995", vec![2, 3, 4, 7, 8, 9, 10]),
        ("year<1990", vec![3]),
        ("year<=1994", vec![2, 3]),
        ("year>2003", vec![8, 10]),
        ("year>=2003", vec![7, 8, 10]),
        ("ratings:0", vec![6, 9]),
        ("ratings!=100", all_but(&[1])),
        ("ratings<50", vec![5, 6, 8, 9, 10]),
        ("ratings<=55", vec![5, 6, 7, 8, 9, 10]),
        ("ratings>55", vec![1, 2, 3, 4]),
        ("ratings>=100", vec![1, 2, 3]),
        // Movies 6 (no stats) and 9 (count 0) have no average: in neither set.
        ("avg_rating>=4", vec![2, 3, 4, 7, 8]),
        ("avg_rating<4", vec![1, 5, 10]),
        ("avg_rating:4", vec![7]),
        ("avg_rating!=4", vec![1, 2, 3, 4, 5, 8, 10]),
        ("avg_rating>4.2", vec![3, 8]),
        ("avg_rating<=3.5", vec![5, 10]),
        ("id:3", vec![3]),
        ("id=3", vec![3]),
        ("id!=1 AND id<4", vec![2, 3]),
        ("id<2", vec![1]),
        ("id<=2", vec![1, 2]),
        ("id>8", vec![9, 10]),
        ("id>=9", vec![9, 10]),
        ("imdb_id:tt0114709", vec![1]),
        ("imdb_id=114709", vec![1]),
        ("imdb_id:TT114709", vec![1]),
        ("imdb_id<100000", vec![3, 9]),
        ("imdb_id!=1", vec![1, 2, 3, 4, 5, 7, 8]),
        ("tmdb_id:862", vec![1]),
        ("tmdb_id>=1000", vec![8]),
        ("tmdb_id!=862", vec![2, 3, 4, 7, 8, 9]),
    ];
    for (expression, expected) in cases {
        assert_eq!(ids(&conn, expression), expected, "{expression}");
    }
}

#[test]
fn the_long_example_selects_what_it_says() {
    let (conn, _dir) = test_db();
    let expression = "(genre:Action OR genre:Comedy) AND NOT title:Episode AND year>=1990 AND avg_rating>=4 \
                      AND ratings>=50 AND tag:\"dark comedy\"";
    // Pulp Fiction, Fargo ('Dark Comedy') and Kill Bill (an average of exactly 4, 'very dark comedy');
    // not Toy Story (3.9), Star Wars (an episode) nor In Bruges (40 ratings).
    assert_eq!(ids(&conn, expression), [2, 4, 7]);
    let symbols = "(genre:action || genre:comedy) && !title:episode && year>=1990 && avg_rating>=4 && ratings>=50 \
                   && tag:\"DARK COMEDY\"";
    assert_eq!(ids(&conn, symbols), [2, 4, 7]);
}

#[test]
fn cheaper_conditions_are_tested_first_and_keep_their_values() {
    let filter = compile("tag:x AND (title:a OR id=2) AND genre:Drama AND year>=1990").unwrap();
    assert_eq!(
        filter.sql,
        "((m.year >= ?) AND ((m.movie_id = ?) OR (contains_text(m.title, ?))) AND (has_genre(m.genres, ?)) AND \
         (EXISTS (SELECT 1 FROM tags t WHERE t.movie_id = m.movie_id AND contains_text(t.tag, ?))))"
    );
    let text = |text: &str| Value::Text(text.into());
    assert_eq!(filter.params, [Value::Integer(1990), Value::Integer(2), text("a"), text("Drama"), text("x")]);
    // The order changes the work, not the answer.
    let (conn, _dir) = test_db();
    let expression = "tag:comedy AND NOT title:episode AND (genre:Crime OR ratings>=50) AND year>=1990";
    let reversed = "year>=1990 AND (ratings>=50 OR genre:Crime) AND NOT title:episode AND tag:comedy";
    assert!(!ids(&conn, expression).is_empty());
    assert_eq!(ids(&conn, expression), ids(&conn, reversed));
}

#[test]
fn injection_attempts_are_only_parameters() {
    let (conn, _dir) = test_db();
    let cases: &[(&str, &str, &[i64])] = &[
        (r#"title:"'); DROP TABLE movies; --""#, "'); DROP TABLE movies; --", &[9]),
        (r#"tag:"x' OR '1'='1""#, "x' OR '1'='1", &[9]),
        (r#"title:"\" OR 1=1 --""#, "\" OR 1=1 --", &[]),
        (r#"genre:"Comedy' OR 'a'='a""#, "Comedy' OR 'a'='a", &[]),
        (r#"title:"x\"); DELETE FROM movies; --""#, "x\"); DELETE FROM movies; --", &[]),
        (r#"tag:"\"quoted\" \\ tag""#, r#""quoted" \ tag"#, &[10]),
        // instr, not LIKE: wildcards are literal.
        (r#"title:"%""#, "%", &[10]),
        (r#"title:"_""#, "_", &[]),
        (r#"title:"?""#, "?", &[]),
    ];
    for &(expression, text, expected) in cases {
        let filter = compile(expression).unwrap();
        assert_eq!(filter.params, [Value::Text(text.into())], "{expression}");
        assert_eq!(filter.sql.matches('?').count(), 1, "{expression}");
        // The SQL is the same whatever the value: the value is not in it.
        let neutral = format!("{}x", &expression[..expression.find('"').unwrap()]);
        assert_eq!(filter.sql, compile(&neutral).unwrap().sql, "{expression}");
        assert!(!filter.sql.contains(['\'', '"', ';', '%']) && !filter.sql.contains("--"), "{expression}");
        assert_eq!(run(&conn, &filter).unwrap(), expected, "{expression}");
    }
    // Outside quotes, the characters SQL would need are not part of the language.
    assert_eq!(error("id:1;DROP TABLE movies"), (4, "unexpected character ';'".into()));
    assert_eq!(error("title:'x'"), (6, r#"unexpected character "'"; quote values with "...""#.into()));

    let movies: i64 = conn.query_row("SELECT count(*) FROM movies", [], |row| row.get(0)).unwrap();
    let tables: i64 =
        conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table'", [], |row| row.get(0)).unwrap();
    assert_eq!((movies, tables), (10, 6));
}

#[test]
fn errors_say_what_and_where() {
    let fields = "title, genre, year, tag, ratings, avg_rating, id, imdb_id, tmdb_id";
    let operators = "(:, =, !=, <, <=, >, >=)";
    let cases = [
        ("", 0, "expected an expression".to_string()),
        ("   \t ", 0, "expected an expression".to_string()),
        ("title:a AND", 11, "expected an expression".to_string()),
        ("title:a AND   ", 11, "expected an expression".to_string()),
        ("avg_rating >= AND", 14, "expected a value after '>='".to_string()),
        ("year>=", 6, "expected a value after '>='".to_string()),
        ("title:", 6, "expected a value after ':'".to_string()),
        ("title:)", 6, "expected a value after ':'".to_string()),
        ("title:not", 6, "expected a value after ':' (quote a keyword to search for it)".to_string()),
        ("year>=abc", 6, "expected a number for 'year'".to_string()),
        ("year>=19.5", 6, "expected a whole number for 'year'".to_string()),
        ("id:99999999999999999999", 3, "number out of range for 'id'".to_string()),
        ("ratings>=ten", 9, "expected a number for 'ratings'".to_string()),
        ("avg_rating>inf", 11, "expected a number for 'avg_rating'".to_string()),
        ("avg_rating>1e400", 11, "expected a number for 'avg_rating'".to_string()),
        ("tmdb_id:x", 8, "expected a number for 'tmdb_id'".to_string()),
        ("imdb_id:ttx1", 8, "expected an IMDb id for 'imdb_id': digits, optionally after 'tt'".to_string()),
        ("imdb_id:tt", 8, "expected an IMDb id for 'imdb_id': digits, optionally after 'tt'".to_string()),
        ("imdb_id:-1", 8, "expected an IMDb id for 'imdb_id': digits, optionally after 'tt'".to_string()),
        ("foo:bar", 0, format!("unknown field 'foo'; known fields: {fields}")),
        ("id:1 OR Title2:x", 8, format!("unknown field 'Title2'; known fields: {fields}")),
        ("title<x", 5, "operator '<' does not apply to text field 'title'".to_string()),
        ("TAG >= x", 4, "operator '>=' does not apply to text field 'tag'".to_string()),
        ("genre>x", 5, "operator '>' does not apply to text field 'genre'".to_string()),
        ("genre<=x", 5, "operator '<=' does not apply to text field 'genre'".to_string()),
        ("title", 5, format!("expected an operator {operators} after 'title'")),
        ("title x", 6, format!("expected an operator {operators} after 'title'")),
        (
            "genre:Action genre:Comedy",
            13,
            "expected AND or OR before 'genre' (quote a value that has spaces)".to_string(),
        ),
        ("title:dark comedy", 11, "expected AND or OR before 'comedy' (quote a value that has spaces)".to_string()),
        (
            r#"title:"x" "y""#,
            10,
            "expected AND or OR before a quoted value (quote a value that has spaces)".to_string(),
        ),
        ("id:1 (id:2)", 5, "expected AND or OR before '('".to_string()),
        ("(genre:Action genre:Comedy)", 14, "expected AND, OR or ')' before 'genre'".to_string()),
        ("(genre:Action", 13, "expected AND, OR or ')' before the end of the expression".to_string()),
        ("((id:1)", 7, "expected AND, OR or ')' before the end of the expression".to_string()),
        ("genre:Action)", 12, "unmatched ')'".to_string()),
        ("()", 1, "expected an expression before ')'".to_string()),
        ("AND title:x", 0, "expected an expression before 'AND'".to_string()),
        ("title:x OR || id:1", 11, "expected an expression before '||'".to_string()),
        ("!=x", 0, "expected an expression before '!='".to_string()),
        (r#""x""#, 0, "expected an expression before a quoted value".to_string()),
        (r#"title:"abc"#, 6, r#"unterminated quoted value: a '"' is missing"#.to_string()),
        (r#"title:"ab\"#, 6, r#"unterminated quoted value: a '"' is missing"#.to_string()),
        (r#"title:"ab\nc""#, 9, r#"unknown escape '\n': only \" and \\ are allowed"#.to_string()),
        ("title:\"ab\\\u{7}\"", 9, r#"unknown escape '\\u{7}': only \" and \\ are allowed"#.to_string()),
        ("title:a & title:b", 8, "unexpected character '&'; write AND or &&".to_string()),
        ("title:a | title:b", 8, "unexpected character '|'; write OR or ||".to_string()),
        ("title:a $", 8, "unexpected character '$'".to_string()),
        ("year>=\u{0}", 6, r"unexpected character '\0'".to_string()),
        // Positions count characters, not bytes.
        ("title:é $", 8, "unexpected character '$'".to_string()),
        ("title:\"日本語\" foo", 12, "expected AND or OR before 'foo' (quote a value that has spaces)".to_string()),
        (r#"title:"😀😀" AND year>=x"#, 21, "expected a number for 'year'".to_string()),
    ];
    for (expression, position, message) in cases {
        assert_eq!(error(expression), (position, message), "{expression:?}");
    }
    let err = compile("year>=").unwrap_err();
    assert_eq!(err.to_string(), "expected a value after '>=' at 6");
}

#[test]
fn nesting_stops_at_max_depth() {
    let nots = |n: usize| format!("{}id:1", "!".repeat(n));
    let parens = |n: usize| format!("{}id:1{}", "(".repeat(n), ")".repeat(n));
    let message = format!("the expression nests parentheses and NOT deeper than {MAX_DEPTH} levels");
    assert!(compile(&nots(MAX_DEPTH)).is_ok());
    assert!(compile(&parens(MAX_DEPTH)).is_ok());
    assert!(compile(&"NOT (".repeat(MAX_DEPTH / 2)).is_err_and(|err| err.message == "expected an expression"));
    assert_eq!(error(&nots(MAX_DEPTH + 1)), (MAX_DEPTH, message.clone()));
    assert_eq!(error(&parens(MAX_DEPTH + 1)), (MAX_DEPTH, message.clone()));
    // Two levels a repetition: the 17th repetition's NOT is level 33.
    let mixed = format!("{}id:1", "NOT (".repeat(MAX_DEPTH / 2 + 1));
    assert_eq!(error(&mixed), (MAX_DEPTH / 2 * 5, message.clone()));
    // Neither can overflow the stack, at the longest input.
    assert_eq!(error(&"!".repeat(MAX_LENGTH)), (MAX_DEPTH, message.clone()));
    assert_eq!(error(&"(".repeat(MAX_LENGTH)), (MAX_DEPTH, message.clone()));
    assert_eq!(error(&"( NOT ".repeat(MAX_LENGTH / 6)), (MAX_DEPTH / 2 * 6, message));
    // Depth is nesting, not the count of parentheses.
    assert!(compile(&["(id:1)"; 100].join(" OR ")).is_ok());
}

#[test]
fn input_stops_at_max_length() {
    let (conn, _dir) = test_db();
    let message = format!("the expression is longer than {MAX_LENGTH} characters");
    let longest = format!("title:{}", "a".repeat(MAX_LENGTH - 6));
    assert!(compile(&longest).is_ok());
    assert_eq!(error(&format!("{longest}a")), (MAX_LENGTH, message.clone()));
    // Characters, not bytes: 1000 two-byte characters are within the limit.
    let wide = format!("title:{}", "é".repeat(MAX_LENGTH - 6));
    assert!(compile(&wide).is_ok());
    assert_eq!(error(&format!("{wide}é")), (MAX_LENGTH, message.clone()));
    assert_eq!(error(&" ".repeat(10 * MAX_LENGTH)), (MAX_LENGTH, message));
    // The longest flat OR chain SQLite is given still runs.
    let chain = format!("{}id:1", "id:1||".repeat((MAX_LENGTH - 4) / 6));
    assert_eq!(chain.len(), MAX_LENGTH);
    assert_eq!(ids(&conn, &chain), [1]);
    let deep = format!("{}id:1{}", "(!".repeat(MAX_DEPTH / 2), ")".repeat(MAX_DEPTH / 2));
    assert_eq!(ids(&conn, &deep), [1]);
}

/// Compiling never panics, errors point inside the input, and compiled SQL runs with one
/// parameter per `?`.
fn check(conn: &Connection, input: &str) -> Result<(), TestCaseError> {
    match compile(input) {
        Ok(filter) => {
            prop_assert_eq!(filter.sql.matches('?').count(), filter.params.len());
            let result = run(conn, &filter);
            prop_assert!(result.is_ok(), "{:?} -> {}: {:?}", input, filter.sql, result);
        }
        Err(err) => {
            prop_assert!(err.position <= input.chars().count().min(MAX_LENGTH), "{:?}: {}", input, err);
            prop_assert!(!err.message.is_empty());
        }
    }
    Ok(())
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() })
}

#[test]
fn arbitrary_text_never_panics() {
    let (conn, _dir) = test_db();
    let strategy = prop_oneof![any::<String>(), "\\PC{0,80}", "[ -~]{0,80}"];
    runner(2000).run(&strategy, |input| check(&conn, &input)).unwrap();
}

#[test]
fn token_soup_never_panics() {
    let (conn, _dir) = test_db();
    // The grammar's tokens, and some that are not.
    let mut tokens: Vec<&str> = "title genre year tag ratings avg_rating id imdb_id tmdb_id TITLE foo \
        : = != < <= > >= AND or Not && || ! & | ( ) \" \\ ' ; -- 1995 4.5 -1 0 tt0114709 Comedy é 東京 \
        99999999999999999999 1e400 NaN ? %"
        .split_whitespace()
        .collect();
    tokens.extend(["\"dark comedy\"", r#""a\"b""#, r#""\x""#]);
    let separator = prop_oneof![Just(""), Just(" "), Just("  ")];
    let strategy = prop::collection::vec((prop::sample::select(tokens), separator), 0..40)
        .prop_map(|parts| parts.into_iter().flat_map(|(token, separator)| [token, separator]).collect::<String>());
    runner(4000).run(&strategy, |input| check(&conn, &input)).unwrap();
}

/// Well-formed expressions, built from the grammar, always compile and run.
#[test]
fn grammatical_expressions_compile_and_run() {
    let (conn, _dir) = test_db();
    let text_value = prop_oneof![
        "[A-Za-z0-9_.é-]{1,8}".prop_filter("not a keyword", |word| {
            !["and", "or", "not"].contains(&word.to_ascii_lowercase().as_str())
        }),
        prop::collection::vec(any::<char>(), 0..10)
            .prop_map(String::from_iter)
            .prop_map(|text| format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))),
    ];
    let text =
        (prop::sample::select(vec!["title", "genre", "tag"]), prop::sample::select(vec![":", "=", "!="]), text_value)
            .prop_map(|(field, op, value)| format!("{field}{op}{value}"));
    let number_field = prop::sample::select(vec!["year", "ratings", "id", "tmdb_id", "imdb_id", "avg_rating"]);
    let number = (number_field, prop::sample::select(vec![":", "=", "!=", "<", "<=", ">", ">="]), -3000i64..3000)
        .prop_map(|(field, op, value)| match field {
            "imdb_id" => format!("{field} {op} tt{:07}", value.unsigned_abs()),
            "avg_rating" => format!("{field}{op}{}", value as f64 / 500.0),
            _ => format!("{field}{op}{value}"),
        });
    let comparison = prop_oneof![text, number];
    let expression = comparison.prop_recursive(6, 40, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| format!("NOT {e}")),
            inner.clone().prop_map(|e| format!("!({e})")),
            (inner.clone(), prop::sample::select(vec![" AND ", " OR ", "&&", "||", " and ", " Or "]), inner)
                .prop_map(|(a, op, b)| format!("({a}{op}{b})")),
        ]
    });
    runner(1000)
        .run(&expression, |input| {
            prop_assume!(input.chars().count() <= MAX_LENGTH);
            prop_assert!(compile(&input).is_ok(), "{:?}: {:?}", input, compile(&input));
            check(&conn, &input)
        })
        .unwrap();
}
