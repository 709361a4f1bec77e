//! The model through the binary: similarities equal hand-computed values on a tiny data set and
//! a brute-force computation on ml-latest-small; the evaluation is deterministic.

use crate::common;

use std::collections::{HashMap, HashSet};

use common::{movielens_ok, real_data, TempDb};

/// Five users, four movies; user 3 is the only one to rate movie 4.
fn write_hand_made(dir: &std::path::Path) {
    std::fs::create_dir_all(dir).unwrap();
    let ratings = "userId,movieId,rating,timestamp\n\
                   1,1,5.0,10\n1,2,3.0,11\n1,3,4.0,12\n\
                   2,1,4.0,10\n2,2,5.0,11\n\
                   3,2,2.0,10\n3,3,5.0,11\n3,4,1.0,12\n\
                   4,1,1.0,10\n4,3,3.0,11\n\
                   5,1,3.0,10\n5,2,4.0,11\n";
    let files = [
        ("movies.csv", "movieId,title,genres\n1,One (2001),Drama\n2,Two (2002),Comedy\n3,Three (2003),Drama\n4,Four (2004),Horror\n"),
        ("links.csv", "movieId,imdbId,tmdbId\n"),
        ("ratings.csv", ratings),
        ("tags.csv", "userId,movieId,tag,timestamp\n"),
    ];
    for (name, contents) in files {
        std::fs::write(dir.join(name), contents).unwrap();
    }
}

/// The stored neighbours of the current model: movie -> [(neighbour, similarity, co-raters)].
fn stored(db: &TempDb) -> HashMap<i64, Vec<(i64, f64, i64)>> {
    let conn = db.connect();
    let mut statement = conn
        .prepare(
            "SELECT movie_id, neighbour_id, similarity, co_raters FROM recommendation_neighbours
             WHERE model_id = (SELECT model_id FROM recommendation_current) ORDER BY movie_id, rank",
        )
        .unwrap();
    let mut found: HashMap<i64, Vec<(i64, f64, i64)>> = HashMap::new();
    let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))).unwrap();
    for row in rows {
        let (movie, neighbour, similarity, co_raters) = row.unwrap();
        found.entry(movie).or_default().push((neighbour, similarity, co_raters));
    }
    found
}

fn assert_close(found: &[(i64, f64, i64)], expected: &[(i64, f64, i64)]) {
    assert_eq!(found.len(), expected.len(), "found {found:?}, expected {expected:?}");
    for (found, expected) in found.iter().zip(expected) {
        assert_eq!((found.0, found.2), (expected.0, expected.2), "found {found:?}, expected {expected:?}");
        assert!((found.1 - expected.1).abs() < 1e-12, "found {found:?}, expected {expected:?}");
    }
}

#[test]
fn binary_similarities_on_a_hand_made_data_set_equal_the_cosine_computed_by_hand() {
    let (folder, db) = (tempfile::tempdir().unwrap(), TempDb::new());
    write_hand_made(folder.path());
    movielens_ok(&["--db", db.arg(), "import", folder.path().to_str().unwrap()]);
    movielens_ok(&["--db", db.arg(), "recommend", "build", "--min-co-raters", "1", "--threads", "2"]);
    let found = stored(&db);
    // Raters: movie 1 {1,2,4,5}, movie 2 {1,2,3,5}, movie 3 {1,3,4}, movie 4 {3}.
    let cosine = |both: f64, a: f64, b: f64| both / (a.sqrt() * b.sqrt());
    assert_close(&found[&1], &[(2, cosine(3.0, 4.0, 4.0), 3), (3, cosine(2.0, 4.0, 3.0), 2)]);
    assert_close(
        &found[&2],
        &[(1, cosine(3.0, 4.0, 4.0), 3), (3, cosine(2.0, 4.0, 3.0), 2), (4, cosine(1.0, 4.0, 1.0), 1)],
    );
    // Movies 1 and 2 tie for movie 3 (same similarity, same co-raters): the lower id first.
    assert_close(
        &found[&3],
        &[(1, cosine(2.0, 3.0, 4.0), 2), (2, cosine(2.0, 3.0, 4.0), 2), (4, cosine(1.0, 3.0, 1.0), 1)],
    );
    assert_close(&found[&4], &[(3, cosine(1.0, 1.0, 3.0), 1), (2, cosine(1.0, 1.0, 4.0), 1)]);

    movielens_ok(&["--db", db.arg(), "recommend", "build", "--min-co-raters", "2"]);
    let found = stored(&db);
    assert!(!found.contains_key(&4), "movie 4 has one co-rater with anything: {found:?}");
}

#[test]
fn centred_similarities_on_a_hand_made_data_set_equal_the_adjusted_cosine_computed_by_hand() {
    let (folder, db) = (tempfile::tempdir().unwrap(), TempDb::new());
    write_hand_made(folder.path());
    movielens_ok(&["--db", db.arg(), "import", folder.path().to_str().unwrap()]);
    movielens_ok(&["--db", db.arg(), "recommend", "build", "--min-co-raters", "1", "--normalization", "centred"]);
    let found = stored(&db);
    // User means: 1 → 4, 2 → 4.5, 3 → 8/3, 4 → 2, 5 → 3.5. Centred columns:
    let movie_1 = [5.0 - 4.0, 4.0 - 4.5, 1.0 - 2.0, 3.0 - 3.5]; // users 1, 2, 4, 5
    let movie_2 = [3.0 - 4.0, 5.0 - 4.5, 2.0 - 8.0 / 3.0, 4.0 - 3.5]; // users 1, 2, 3, 5
    let movie_3 = [4.0 - 4.0, 5.0 - 8.0 / 3.0, 3.0 - 2.0]; // users 1, 3, 4
    let movie_4 = [1.0 - 8.0 / 3.0]; // user 3
    let norm = |column: &[f64]| column.iter().map(|v| v * v).sum::<f64>().sqrt();
    // Movie 1 · movie 2 over users 1, 2, 5: 1·(−1) + (−0.5)(0.5) + (−0.5)(0.5) < 0, not similar.
    let one_two = movie_1[0] * movie_2[0] + movie_1[1] * movie_2[1] + movie_1[3] * movie_2[3];
    assert!(one_two < 0.0);
    // Movie 2 · movie 4 over user 3: (−2/3)(−5/3) > 0.
    let two_four = movie_2[2] * movie_4[0] / (norm(&movie_2) * norm(&movie_4));
    // Movie 1 · movie 3 over users 1, 4: 1·0 + (−1)(1) < 0; movie 2 · movie 3 over users 1, 3:
    // (−1)·0 + (−2/3)(7/3) < 0; movie 3 · movie 4 over user 3: (7/3)(−5/3) < 0.
    assert_eq!(found.get(&1), None, "{found:?}");
    assert_close(&found[&2], &[(4, two_four, 1)]);
    assert_eq!(found.get(&3), None, "{found:?}");
    assert_close(&found[&4], &[(2, two_four, 1)]);
    assert!(norm(&movie_3) > 0.0);
}

/// Brute force over the ratings table: each user's most recent `cap` ratings (ties: the lower
/// movie id), binary cosine, pairs with at least `min_co_raters`, the best `k`.
fn brute_force(
    db: &TempDb,
    movies: &[i64],
    k: usize,
    min_co_raters: usize,
    cap: usize,
) -> HashMap<i64, Vec<(i64, f64, i64)>> {
    let conn = db.connect();
    let mut by_user: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    let mut statement = conn.prepare("SELECT user_id, movie_id, timestamp FROM ratings").unwrap();
    for row in statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?))).unwrap() {
        let (user, movie, timestamp): (i64, i64, i64) = row.unwrap();
        by_user.entry(user).or_default().push((timestamp, movie));
    }
    let mut raters: HashMap<i64, HashSet<i64>> = HashMap::new();
    for (user, mut ratings) in by_user {
        ratings.sort_by_key(|&(timestamp, movie)| (std::cmp::Reverse(timestamp), movie));
        for (_, movie) in ratings.into_iter().take(cap) {
            raters.entry(movie).or_default().insert(user);
        }
    }
    let mut expected = HashMap::new();
    for &movie in movies {
        let mine = &raters[&movie];
        let mut list: Vec<(i64, f64, i64)> = raters
            .iter()
            .filter(|(other, _)| **other != movie)
            .map(|(other, theirs)| {
                let both = mine.intersection(theirs).count();
                let similarity = both as f64 / ((mine.len() as f64).sqrt() * (theirs.len() as f64).sqrt());
                (*other, similarity, both as i64)
            })
            .filter(|&(_, similarity, both)| both as usize >= min_co_raters && similarity > 0.0)
            .collect();
        list.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
        list.truncate(k);
        expected.insert(movie, list);
    }
    expected
}

#[test]
fn on_ml_latest_small_the_stored_neighbours_equal_a_brute_force_computation() {
    let Some(data) = real_data() else { return };
    let db = TempDb::new();
    movielens_ok(&["--db", db.arg(), "import", data.to_str().unwrap()]);
    // A cap of 300 ratings a user, so that the cap is exercised (several users have thousands).
    movielens_ok(&["--db", db.arg(), "recommend", "build", "--max-user-ratings", "300", "--evaluate", "false"]);
    let movies = [1, 2, 50, 318, 2571, 7153];
    let expected = brute_force(&db, &movies, 50, 2, 300);
    let found = stored(&db);
    for movie in movies {
        let (found, expected) = (&found[&movie], &expected[&movie]);
        assert_eq!(found.len(), 50, "movie {movie}");
        for (found, expected) in found.iter().zip(expected) {
            assert_eq!((found.0, found.2), (expected.0, expected.2), "movie {movie}");
            assert!((found.1 - expected.1).abs() < 1e-9, "movie {movie}: {found:?} against {expected:?}");
        }
    }
}

#[test]
fn the_evaluation_is_deterministic_and_the_model_beats_both_baselines_on_ml_latest_small() {
    let Some(data) = real_data() else { return };
    let db = TempDb::new();
    movielens_ok(&["--db", db.arg(), "import", data.to_str().unwrap()]);
    let figures = |threads: &str| -> Vec<String> {
        let output = movielens_ok(&["--db", db.arg(), "recommend", "evaluate", "--threads", threads]);
        output.lines().skip(1).map(str::to_owned).collect()
    };
    let first = figures("1");
    assert_eq!(first, figures("2"), "the same figures on one thread and on two");
    let parse = |name: &str| -> (f64, f64) {
        let line = first.iter().find(|line| line.starts_with(name)).unwrap();
        let values: Vec<f64> = line.split_whitespace().skip(1).map(|v| v.parse().unwrap()).collect();
        (values[0], values[1])
    };
    let (model, popularity, damped) = (parse("model"), parse("popularity"), parse("damped-mean"));
    assert!(model.0 >= 1.5 * popularity.0, "HR@10 {model:?} against popularity {popularity:?}");
    assert!(model.1 > popularity.1 && model.1 > damped.1, "NDCG@10 {model:?}, {popularity:?}, {damped:?}");
}
