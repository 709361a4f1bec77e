//! The movie list's orders read along indexes: every page in the right place across the rated and
//! unrated movies, plans that sort no movie, and writes that move a movie in the order at once.

use crate::common;

use std::cmp::Ordering;
use std::path::Path;

use common::{get_json, send, spawn_app_with_token, TestApp};
use movielens::model::movies::{GenreMatch, MovieFilter, MovieSort};

const TOKEN: &str = "order-token";

const SORTS: [(&str, MovieSort); 10] = [
    ("id", MovieSort::Id),
    ("-id", MovieSort::IdDesc),
    ("title", MovieSort::Title),
    ("-title", MovieSort::TitleDesc),
    ("year", MovieSort::Year),
    ("-year", MovieSort::YearDesc),
    ("mean_rating", MovieSort::MeanRating),
    ("-mean_rating", MovieSort::MeanRatingDesc),
    ("rating_count", MovieSort::RatingCount),
    ("-rating_count", MovieSort::RatingCountDesc),
];

/// 40 movies: every fifth without ratings (so unrated ones sit among the rated, not only at the
/// end), every ninth without a year, repeated titles and many equal means (ties go by id).
fn write_dataset(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let genres = ["Drama", "Comedy", "Action|Drama", "Comedy|Romance"];
    let mut movies = String::from("movieId,title,genres\n");
    let mut ratings = String::from("userId,movieId,rating,timestamp\n");
    for id in 1..=40 {
        let title = if id % 9 == 0 {
            format!("Same Title {}", id % 2)
        } else {
            format!("Film {} ({})", 40 - id, 1990 + id % 6)
        };
        movies.push_str(&format!("{id},{title},{}\n", genres[id % 4]));
        if id % 5 == 0 {
            continue;
        }
        for user in 0..(1 + id % 4) {
            ratings.push_str(&format!("{},{id},{},1000000000\n", user + 1, 0.5 * (1 + (id * 7 + user) % 10) as f64));
        }
    }
    std::fs::write(dir.join("movies.csv"), movies).unwrap();
    std::fs::write(dir.join("ratings.csv"), ratings).unwrap();
    std::fs::write(dir.join("links.csv"), "movieId,imdbId,tmdbId\n").unwrap();
    std::fs::write(dir.join("tags.csv"), "userId,movieId,tag,timestamp\n").unwrap();
}

fn app() -> (TestApp, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    write_dataset(data.path());
    (spawn_app_with_token(Some(data.path()), TOKEN), data)
}

/// (id, title, year, rating count, rating sum) of every movie, straight from the tables.
type Movie = (i64, String, Option<i64>, i64, f64);

fn movies(app: &TestApp, genre: Option<&str>) -> Vec<Movie> {
    let conn = app.db.connect();
    let mut statement = conn
        .prepare(
            "SELECT m.movie_id, m.title, m.year, coalesce(s.rating_count, 0), coalesce(s.rating_sum, 0)
             FROM movies m LEFT JOIN movie_stats s ON s.movie_id = m.movie_id
             WHERE ?1 IS NULL OR m.movie_id IN
                 (SELECT movie_id FROM movie_genres JOIN genres g ON g.id = genre_id WHERE g.name = ?1)",
        )
        .unwrap();
    statement
        .query_map([genre], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The order the API documents, computed here without SQL: unknown years and means last either
/// way, ties by id going up.
fn expected(mut movies: Vec<Movie>, sort: MovieSort) -> Vec<i64> {
    let mean = |m: &Movie| (m.3 > 0).then(|| m.4 / m.3 as f64);
    let last = |a: Option<f64>, b: Option<f64>, desc: bool| match (a, b) {
        (Some(a), Some(b)) => {
            if desc {
                b.total_cmp(&a)
            } else {
                a.total_cmp(&b)
            }
        }
        (a, b) => a.is_none().cmp(&b.is_none()),
    };
    let year = |m: &Movie| m.2.map(|year| year as f64);
    movies.sort_by(|a, b| {
        let key = match sort {
            MovieSort::Id => a.0.cmp(&b.0),
            MovieSort::IdDesc => b.0.cmp(&a.0),
            MovieSort::Title => a.1.cmp(&b.1),
            MovieSort::TitleDesc => b.1.cmp(&a.1),
            MovieSort::Year => last(year(a), year(b), false),
            MovieSort::YearDesc => last(year(a), year(b), true),
            MovieSort::MeanRating => last(mean(a), mean(b), false),
            MovieSort::MeanRatingDesc => last(mean(a), mean(b), true),
            MovieSort::RatingCount => a.3.cmp(&b.3),
            MovieSort::RatingCountDesc => b.3.cmp(&a.3),
        };
        key.then(a.0.cmp(&b.0)).then(Ordering::Equal)
    });
    movies.into_iter().map(|m| m.0).collect()
}

/// Every page of `query` with `page_size`, following `next`; the ids and each page's count.
fn page_through(app: &TestApp, query: &str, page_size: usize) -> (Vec<i64>, Vec<u64>) {
    let (mut ids, mut totals) = (Vec::new(), Vec::new());
    for page in 1.. {
        let body = get_json(&app.url(&format!("/api/movies?{query}&page_size={page_size}&page={page}")), 200);
        totals.push(body["count"].as_u64().unwrap_or_else(|| panic!("no total: {body}")));
        let items = body["results"].as_array().unwrap();
        ids.extend(items.iter().map(|movie| movie["id"].as_i64().unwrap()));
        if body["next"].is_null() {
            break;
        }
    }
    (ids, totals)
}

#[test]
fn every_order_pages_through_each_movie_once_in_the_documented_order_with_and_without_a_genre() {
    let (app, _data) = app();
    for genre in [None, Some("Drama")] {
        let all = movies(&app, genre);
        for (name, sort) in SORTS {
            let want = expected(all.clone(), sort);
            for page_size in [1, 3, 7, 100] {
                let query = match genre {
                    Some(genre) => format!("sort={name}&genre={genre}"),
                    None => format!("sort={name}"),
                };
                let (ids, totals) = page_through(&app, &query, page_size);
                assert_eq!(ids, want, "{query}, page size {page_size}");
                assert!(totals.iter().all(|total| *total == want.len() as u64), "{query}: totals {totals:?}");
            }
        }
    }
}

fn first_ids(app: &TestApp, query: &str) -> Vec<i64> {
    let body = get_json(&app.url(&format!("/api/movies?{query}&page_size=100")), 200);
    body["results"].as_array().unwrap().iter().map(|movie| movie["id"].as_i64().unwrap()).collect()
}

#[test]
fn a_rating_write_moves_the_movie_in_the_mean_rating_order_before_its_response_is_sent() {
    let (app, _data) = app();
    let headers = [("content-type", "application/json"), ("authorization", "Bearer order-token")];
    // Movie 5 has no ratings: it sits among the unrated at the end, going either way.
    assert!(!first_ids(&app, "sort=-mean_rating")[..32].contains(&5));
    let body = r#"{"user_id": 900, "movie_id": 5, "rating": 5.0}"#;
    let (status, _, created) = send("POST", &app.url("/api/ratings"), &headers, Some(body));
    assert_eq!(status, 201, "{created}");
    let id = serde_json::from_str::<serde_json::Value>(&created).unwrap()["id"].as_i64().unwrap();
    let all = movies(&app, None);
    for sort in [MovieSort::MeanRatingDesc, MovieSort::MeanRating, MovieSort::RatingCount] {
        let name = SORTS.iter().find(|(_, s)| *s == sort).unwrap().0;
        assert_eq!(first_ids(&app, &format!("sort={name}")), expected(all.clone(), sort), "{name} after the POST");
    }
    // A mean of 5.0 beats every other movie's, the lowest id first among equals.
    let top = first_ids(&app, "sort=-mean_rating");
    let fives: Vec<i64> = all.iter().filter(|m| m.3 > 0 && m.4 / m.3 as f64 == 5.0).map(|m| m.0).collect();
    assert!(top[..fives.len()].contains(&5), "{top:?}");
    // A second, low rating moves it down; deleting both moves it back among the unrated.
    let body = r#"{"user_id": 901, "movie_id": 5, "rating": 0.5}"#;
    let (status, _, second) = send("POST", &app.url("/api/ratings"), &headers, Some(body));
    assert_eq!(status, 201, "{second}");
    let second = serde_json::from_str::<serde_json::Value>(&second).unwrap()["id"].as_i64().unwrap();
    assert_eq!(first_ids(&app, "sort=mean_rating"), expected(movies(&app, None), MovieSort::MeanRating));
    for rating in [id, second] {
        assert_eq!(send("DELETE", &app.url(&format!("/api/ratings/{rating}")), &headers, None).0, 204);
    }
    assert!(!first_ids(&app, "sort=-mean_rating")[..32].contains(&5));
    assert_eq!(first_ids(&app, "sort=-mean_rating"), expected(movies(&app, None), MovieSort::MeanRatingDesc));
}

#[test]
fn no_page_of_the_movie_list_sorts_its_movies_in_a_temporary_b_tree() {
    let (app, _data) = app();
    // The planner weighs plans by the tables' statistics: give it those of the ml-25m-shaped set
    // (read back when a connection opens), where a genre's movies are a few thousand of 62k.
    app.db
        .connect()
        .execute_batch(
            "DELETE FROM sqlite_stat1 WHERE tbl IN ('movies', 'movie_stats', 'movie_genres', 'genres');
             INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
                 ('movie_stats', 'movie_stats_score', '62423 1 1'),
                 ('movie_stats', 'movie_stats_rating_count', '62423 53'),
                 ('genres', 'sqlite_autoindex_genres_1', '20 1'),
                 ('movie_genres', 'movie_genres_genre_id', '127644 1001 1'),
                 ('movie_genres', 'sqlite_autoindex_movie_genres_1', '127644 3 1'),
                 ('movies', 'movies_title', '62423 2');",
        )
        .unwrap();
    let conn = app.db.connect();
    let drama = || vec!["Drama".to_string()];
    let filters: Vec<(&str, MovieFilter)> = vec![
        ("none", MovieFilter::default()),
        ("genre", MovieFilter { genres: drama(), ..Default::default() }),
        (
            "any of two genres",
            MovieFilter {
                genres: vec!["Drama".into(), "Comedy".into()],
                genre_match: GenreMatch::Any,
                ..Default::default()
            },
        ),
        ("year", MovieFilter { year_min: Some(1992), ..Default::default() }),
        ("min ratings", MovieFilter { min_ratings: Some(2), ..Default::default() }),
    ];
    for (label, filter) in filters {
        for (name, sort) in SORTS {
            let filter = MovieFilter { sort, ..filter.clone() };
            let plan = movielens::db::movies::page_plan(&conn, &filter).unwrap();
            assert!(
                !plan.iter().any(|line| line.contains("TEMP B-TREE FOR ORDER BY")),
                "sort={name}, filter {label}: {plan:#?}"
            );
        }
    }
}
