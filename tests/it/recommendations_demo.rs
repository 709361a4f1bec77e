//! On the generated demo data, a movie's nearest neighbours share a genre far more often than
//! random pairs do: the generator's users have genre tastes.

use crate::common;

use std::collections::{HashMap, HashSet};

use common::{movielens_ok, TempDb};

#[test]
fn on_generated_data_top_ten_neighbours_share_a_genre_at_least_twice_as_often_as_random_pairs() {
    let (folder, db) = (tempfile::tempdir().unwrap(), TempDb::new());
    movielens_ok(&["generate", "--out", folder.path().to_str().unwrap()]);
    movielens_ok(&["--db", db.arg(), "import", folder.path().to_str().unwrap()]);
    movielens_ok(&["--db", db.arg(), "recommend", "build", "--evaluate", "false"]);
    let conn = db.connect();
    let mut genres: HashMap<i64, HashSet<i64>> = HashMap::new();
    let mut statement = conn.prepare("SELECT movie_id, genre_id FROM movie_genres").unwrap();
    for row in statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).unwrap() {
        let (movie, genre) = row.unwrap();
        genres.entry(movie).or_default().insert(genre);
    }
    let share = |pairs: &[(i64, i64)]| {
        let sharing =
            pairs.iter().filter(|(a, b)| genres.get(a).zip(genres.get(b)).is_some_and(|(a, b)| !a.is_disjoint(b)));
        sharing.count() as f64 / pairs.len() as f64
    };
    let mut statement = conn
        .prepare(
            "SELECT movie_id, neighbour_id FROM recommendation_neighbours WHERE rank <= 10 ORDER BY movie_id, rank",
        )
        .unwrap();
    let near: Vec<(i64, i64)> =
        statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).unwrap().map(Result::unwrap).collect();
    let mut movies: Vec<i64> = near.iter().map(|(movie, _)| *movie).collect();
    movies.dedup();
    let mut rng = fastrand::Rng::with_seed(7);
    let random: Vec<(i64, i64)> = (0..100_000)
        .map(|_| (movies[rng.usize(..movies.len())], movies[rng.usize(..movies.len())]))
        .filter(|(a, b)| a != b)
        .collect();
    let (near, random) = (share(&near), share(&random));
    assert!(near >= 2.0 * random, "neighbours share a genre {near:.3} of the time, random pairs {random:.3}");
}
