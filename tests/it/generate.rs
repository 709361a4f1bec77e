//! The synthetic data generator: deterministic, MovieLens-shaped, and importable.

use crate::common;

use std::collections::HashSet;
use std::path::Path;

use common::{movielens_ok, TempDb};

const SHAPE: [&str; 8] = ["--movies", "800", "--users", "60", "--ratings", "9000", "--tags", "400"];

fn generate(out: &Path, seed: &str) {
    let mut args = vec!["generate", "--out", out.to_str().unwrap(), "--seed", seed];
    args.extend(SHAPE);
    movielens_ok(&args);
}

fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap()
}

#[test]
fn the_same_seed_gives_identical_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let (first, second, other) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("c"));
    generate(&first, "7");
    generate(&second, "7");
    generate(&other, "8");
    for file in ["movies.csv", "links.csv", "ratings.csv", "tags.csv"] {
        assert_eq!(read(&first, file), read(&second, file), "{file} differs for the same seed");
        assert_ne!(read(&first, file), read(&other, file), "{file} ignores the seed");
    }
}

#[test]
fn generated_files_reimport_with_the_counts_asked_for() {
    let db = TempDb::new();
    let out = db.dir.path().join("generated");
    generate(&out, "3");
    movielens_ok(&["--db", db.arg(), "import", out.to_str().unwrap()]);
    assert_eq!(db.count("movies"), 800);
    assert_eq!(db.count("links"), 800);
    assert_eq!(db.count("ratings"), 9_000);
    assert_eq!(db.count("tags"), 400);
    let users: i64 =
        db.connect().query_row("SELECT count(DISTINCT user_id) FROM ratings", [], |row| row.get(0)).unwrap();
    assert_eq!(users, 60);
}

#[test]
fn generated_data_has_the_movielens_shape() {
    let db = TempDb::new();
    let out = db.dir.path().join("generated");
    // The default shape: ml-latest-small's size.
    movielens_ok(&["generate", "--out", out.to_str().unwrap(), "--seed", "5"]);
    let movies = String::from_utf8(read(&out, "movies.csv")).unwrap();
    assert!(movies.starts_with("movieId,title,genres\n"));
    assert!(movies.lines().any(|line| line.contains(", The (") && line.contains('"')), "quoted titles with commas");
    assert!(movies.contains("\"\""), "titles with doubled quotes");
    assert!(!movies.is_ascii(), "non-ASCII titles");
    let links = String::from_utf8(read(&out, "links.csv")).unwrap();
    assert!(links.lines().any(|line| line.ends_with(',')), "some empty tmdbIds");
    assert!(links.lines().skip(1).all(|line| line.split(',').nth(1).unwrap().len() >= 7), "zero-padded imdbIds");

    movielens_ok(&["--db", db.arg(), "import", out.to_str().unwrap()]);
    let conn = db.connect();
    let real_genres: HashSet<&str> = [
        "Action",
        "Adventure",
        "Animation",
        "Children",
        "Comedy",
        "Crime",
        "Documentary",
        "Drama",
        "Fantasy",
        "Film-Noir",
        "Horror",
        "IMAX",
        "Musical",
        "Mystery",
        "Romance",
        "Sci-Fi",
        "Thriller",
        "War",
        "Western",
        "(no genres listed)",
    ]
    .into();
    let genres: Vec<String> = conn
        .prepare("SELECT name FROM genres")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(genres.iter().all(|genre| real_genres.contains(genre.as_str())), "{genres:?}");

    let without_year: i64 =
        conn.query_row("SELECT count(*) FROM movies WHERE year IS NULL", [], |row| row.get(0)).unwrap();
    assert!(without_year < 100, "most titles carry a year: {without_year} without");
    // Half stars from 0.5 to 5.0, with 4.0 the most common, and whole stars more common than halves.
    let histogram: Vec<(f64, i64)> = conn
        .prepare("SELECT rating, count(*) FROM ratings GROUP BY rating ORDER BY rating")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(histogram.len(), 10, "{histogram:?}");
    assert_eq!(histogram.first().unwrap().0, 0.5);
    assert_eq!(histogram.last().unwrap().0, 5.0);
    let most_common = histogram.iter().max_by_key(|(_, count)| *count).unwrap().0;
    assert!((3.0..=4.0).contains(&most_common), "{histogram:?}");
    let (whole, half): (i64, i64) = histogram.iter().fold((0, 0), |(whole, half), &(rating, count)| {
        if rating.fract() == 0.0 {
            (whole + count, half)
        } else {
            (whole, half + count)
        }
    });
    assert!(whole > half, "{histogram:?}");
}

#[test]
fn a_shape_that_cannot_exist_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let output = common::movielens(&[
        "generate",
        "--out",
        tmp.path().to_str().unwrap(),
        "--movies",
        "3",
        "--users",
        "2",
        "--ratings",
        "7",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("7 ratings do not fit: 2 users can rate at most 3 movies each"), "{stderr}");
}
