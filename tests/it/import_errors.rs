//! Every kind of malformed input fails with the file, the line and the problem, and leaves the
//! database exactly as it was, even with `--replace`, which would otherwise have deleted its data.

use crate::common;

use std::path::PathBuf;

use common::{dump, movielens_err, movielens_ok, write_small_dataset, TempDb};

/// A database holding the small valid data set, and a copy of that data set to break.
struct Case {
    db: TempDb,
    data: PathBuf,
}

impl Case {
    fn new() -> Self {
        let db = TempDb::new();
        let data = db.dir.path().join("data");
        write_small_dataset(&data);
        movielens_ok(&["--db", db.arg(), "import", data.to_str().unwrap()]);
        Self { db, data }
    }

    fn write(&self, file: &str, contents: &str) -> &Self {
        std::fs::write(self.data.join(file), contents).unwrap();
        self
    }

    /// Re-imports with `--replace`, expects failure, checks nothing changed, returns the message.
    fn fails_with(&self, expected: &str) {
        let before = dump(&self.db.connect());
        let stderr = movielens_err(&["--db", self.db.arg(), "import", "--replace", self.data.to_str().unwrap()]);
        assert!(stderr.contains(expected), "expected {expected:?} in:\n{stderr}");
        assert_eq!(dump(&self.db.connect()), before, "the failed import changed the database");
    }
}

#[test]
fn a_missing_file_is_named() {
    let case = Case::new();
    std::fs::remove_file(case.data.join("tags.csv")).unwrap();
    case.fails_with("tags.csv: No such file or directory");
}

#[test]
fn a_missing_header_is_reported_on_line_1() {
    Case::new().write("links.csv", "1,0114709,862\n").fails_with("links.csv, line 1: header is '1,0114709,862'");
}

#[test]
fn an_empty_file_is_a_missing_header() {
    Case::new().write("tags.csv", "").fails_with("tags.csv, line 1: missing header");
}

#[test]
fn a_renamed_header_column_is_reported() {
    Case::new().write("ratings.csv", "userId,movieId,score,timestamp\n1,1,4.0,964982703\n").fails_with(
        "ratings.csv, line 1: header is 'userId,movieId,score,timestamp'; expected 'userId,movieId,rating,timestamp'",
    );
}

#[test]
fn a_row_with_the_wrong_column_count_is_reported() {
    Case::new()
        .write("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2,4.0\n")
        .fails_with("ratings.csv, line 3: expected 4 fields (userId,movieId,rating,timestamp), found 3");
}

#[test]
fn a_non_numeric_id_is_reported() {
    Case::new()
        .write("movies.csv", "movieId,title,genres\n1,Toy Story (1995),Comedy\nx2,Heat (1995),Crime\n")
        .fails_with("movies.csv, line 3: movieId must be a whole number, found 'x2'");
}

#[test]
fn a_rating_above_five_stars_is_reported() {
    Case::new()
        .write("ratings.csv", "userId,movieId,rating,timestamp\n1,1,5.5,964982703\n")
        .fails_with("ratings.csv, line 2: rating must be a half star from 0.5 to 5.0, found '5.5'");
}

#[test]
fn a_rating_of_zero_is_reported() {
    Case::new()
        .write("ratings.csv", "userId,movieId,rating,timestamp\n1,1,0,964982703\n")
        .fails_with("ratings.csv, line 2: rating must be a half star from 0.5 to 5.0, found '0'");
}

#[test]
fn a_rating_off_the_half_star_grid_is_reported() {
    Case::new()
        .write("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n2,1,3.3,964982703\n")
        .fails_with("ratings.csv, line 3: rating must be a half star from 0.5 to 5.0, found '3.3'");
}

#[test]
fn an_empty_title_is_reported() {
    Case::new()
        .write("movies.csv", "movieId,title,genres\n1,Toy Story (1995),Comedy\n2,,Drama\n")
        .fails_with("movies.csv, line 3: title is empty");
}

#[test]
fn a_duplicate_movie_id_is_reported_with_both_lines() {
    Case::new()
        .write(
            "movies.csv",
            "movieId,title,genres\n1,Toy Story (1995),Comedy\n2,Heat (1995),Crime\n1,Again (1995),Drama\n",
        )
        .fails_with("movies.csv, line 4: duplicate movieId 1 (first defined on line 2)");
}

#[test]
fn a_rating_for_an_unknown_movie_is_reported() {
    Case::new()
        .write("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,999,4.0,964982703\n")
        .fails_with("ratings.csv, line 3: movieId 999 is not in movies.csv");
}

#[test]
fn a_tag_for_an_unknown_movie_is_reported() {
    Case::new()
        .write("tags.csv", "userId,movieId,tag,timestamp\n2,998,funny,1445714994\n")
        .fails_with("tags.csv, line 2: movieId 998 is not in movies.csv");
}

#[test]
fn a_link_for_an_unknown_movie_is_reported() {
    Case::new()
        .write("links.csv", "movieId,imdbId,tmdbId\n1,0114709,862\n997,0113497,8844\n")
        .fails_with("links.csv, line 3: movieId 997 is not in movies.csv");
}

#[test]
fn a_quoted_field_spanning_lines_counts_its_lines() {
    // The title's embedded newline makes the bad row start on line 4.
    Case::new()
        .write("movies.csv", "movieId,title,genres\n1,\"Two\nLines (1995)\",Comedy\nzz,Heat (1995),Crime\n")
        .fails_with("movies.csv, line 4: movieId must be a whole number, found 'zz'");
}

#[test]
fn importing_into_a_database_with_data_is_refused_without_replace() {
    let case = Case::new();
    let before = dump(&case.db.connect());
    let stderr = movielens_err(&["--db", case.db.arg(), "import", case.data.to_str().unwrap()]);
    assert!(stderr.contains("the database already holds 3 movies and 3 ratings; pass --replace"), "{stderr}");
    assert_eq!(dump(&case.db.connect()), before);
}

#[test]
fn replace_swaps_the_data_for_the_new_set() {
    let case = Case::new();
    case.write("movies.csv", "movieId,title,genres\n7,Heat (1995),Action|Crime|Thriller\n")
        .write("links.csv", "movieId,imdbId,tmdbId\n7,0113277,949\n")
        .write("ratings.csv", "userId,movieId,rating,timestamp\n5,7,4.5,964982703\n")
        .write("tags.csv", "userId,movieId,tag,timestamp\n");
    movielens_ok(&["--db", case.db.arg(), "import", "--replace", case.data.to_str().unwrap()]);
    let conn = case.db.connect();
    let titles: String = conn.query_row("SELECT group_concat(title) FROM movies", [], |row| row.get(0)).unwrap();
    assert_eq!(titles, "Heat (1995)");
    assert_eq!(case.db.count("genres"), 3);
    assert_eq!(case.db.count("tags"), 0);
    assert_eq!(case.db.count("data_imports"), 2);
}

#[test]
fn crlf_line_endings_a_byte_order_mark_and_emoji_import_correctly() {
    let db = TempDb::new();
    let data = db.dir.path().join("data");
    write_small_dataset(&data);
    std::fs::write(
        data.join("movies.csv"),
        "\u{feff}movieId,title,genres\r\n1,\"Amélie, \"\"Le Fabuleux\"\" 🎬 (2001)\",Comedy|Romance\r\n2,Heat (1995),Crime\r\n3,東京物語 (1953),Drama\r\n",
    )
    .unwrap();
    std::fs::write(
        data.join("tags.csv"),
        "\u{feff}userId,movieId,tag,timestamp\r\n2,1,🍿 popcorn,1445714994\r\n2,3,\"quiet, 小津\",1445714996\r\n",
    )
    .unwrap();
    movielens_ok(&["--db", db.arg(), "import", data.to_str().unwrap()]);

    let conn = db.connect();
    let (title, year): (String, i64) = conn
        .query_row("SELECT title, year FROM movies WHERE movie_id = 1", [], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap();
    assert_eq!(title, "Amélie, \"Le Fabuleux\" 🎬 (2001)");
    assert_eq!(year, 2001);
    let heat: String = conn.query_row("SELECT title FROM movies WHERE movie_id = 2", [], |row| row.get(0)).unwrap();
    assert_eq!(heat, "Heat (1995)", "no carriage return may be left on the last field");
    let tags: String = conn
        .query_row("SELECT group_concat(tag, '/') FROM (SELECT tag FROM tags ORDER BY id)", [], |row| row.get(0))
        .unwrap();
    assert_eq!(tags, "🍿 popcorn/quiet, 小津");
    let genres: String = conn
        .query_row("SELECT group_concat(name, '/') FROM (SELECT name FROM genres ORDER BY name)", [], |row| row.get(0))
        .unwrap();
    assert_eq!(genres, "Comedy/Crime/Drama/Romance");
}
