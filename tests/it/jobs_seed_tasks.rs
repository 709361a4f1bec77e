//! The seed's two heavy tasks on the real ml-latest-small: each answers 202 at once and ends
//! with figures equal to a computation straight from the CSV files, done here.

use crate::common;

use std::collections::{BTreeMap, HashMap};

use common::{get_json, real_data, send, spawn_app, wait_for, TestApp};
use serde_json::Value;

fn csv_rows(file: &std::path::Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(file).unwrap().records().map(Result::unwrap).collect()
}

/// Queues through the seed's GET and waits for the task to succeed; returns its result.
fn run_seed_task(app: &TestApp, path: &str) -> Value {
    let (status, headers, body) = send("GET", &app.url(path), &[], None);
    assert_eq!(status, 202, "{body}");
    let queued: Value = serde_json::from_str(&body).unwrap();
    for key in ["task", "task_id", "status", "monitor"] {
        assert!(queued.get(key).is_some(), "the seed's key {key} is in {queued}");
    }
    let location = headers.get("location").unwrap().to_str().unwrap().to_string();
    assert_eq!(location, format!("/api/tasks/{}", queued["task_id"].as_str().unwrap()));
    wait_for("the task to succeed", || {
        let task = get_json(&app.url(&location), 200);
        assert_ne!(task["state"], "failed", "{task}");
        (task["state"] == "succeeded").then(|| task["result"].clone())
    })
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn task1_computes_a_movies_statistics_as_the_csv_gives_them() {
    let Some(data) = real_data() else { return };
    let app = spawn_app(Some(&data));
    let movie_id = "318"; // The Shawshank Redemption: many ratings over many years
    let mut ratings: Vec<f64> = Vec::new();
    let mut per_year: BTreeMap<String, i64> = BTreeMap::new();
    for row in csv_rows(&data.join("ratings.csv")).iter().filter(|row| &row[1] == movie_id) {
        ratings.push(row[2].parse().unwrap());
        let at = chrono::DateTime::from_timestamp(row[3].parse().unwrap(), 0).unwrap();
        *per_year.entry(chrono::Datelike::year(&at).to_string()).or_default() += 1;
    }
    ratings.sort_by(f64::total_cmp);
    let n = ratings.len();
    let mean = ratings.iter().sum::<f64>() / n as f64;
    let median = if n % 2 == 1 { ratings[n / 2] } else { (ratings[n / 2 - 1] + ratings[n / 2]) / 2.0 };
    let std_dev = (ratings.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n as f64).sqrt();

    let result = run_seed_task(&app, &format!("/api/celery/task1/?movie_id={movie_id}"));
    assert_eq!(result["rating_count"], n);
    assert!(close(result["mean"].as_f64().unwrap(), mean), "{result}");
    assert!(close(result["median"].as_f64().unwrap(), median));
    assert!(close(result["std_dev"].as_f64().unwrap(), std_dev));
    let per_year_found: BTreeMap<String, i64> = serde_json::from_value(result["ratings_per_year"].clone()).unwrap();
    assert_eq!(per_year_found, per_year);
    let histogram: BTreeMap<String, i64> = serde_json::from_value(result["histogram"].clone()).unwrap();
    assert_eq!(histogram.values().sum::<i64>(), n as i64);
    assert_eq!(histogram["5.0"], ratings.iter().filter(|r| **r == 5.0).count() as i64);
    assert_eq!(result["drift"]["corrected"], false, "the imported aggregates are right");
}

#[test]
fn task1_corrects_a_drifted_aggregate_and_says_so() {
    let Some(data) = real_data() else { return };
    let app = spawn_app(Some(&data));
    app.db.connect().execute("UPDATE movie_stats SET rating_count = rating_count + 7 WHERE movie_id = 1", []).unwrap();
    let result = run_seed_task(&app, "/api/celery/task1/?movie_id=1");
    assert_eq!(result["drift"]["corrected"], true, "{result}");
    let (stored, actual): (i64, i64) = app
        .db
        .connect()
        .query_row(
            "SELECT rating_count, (SELECT count(*) FROM ratings WHERE movie_id = 1) FROM movie_stats WHERE movie_id = 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(stored, actual, "the stored count was corrected");
    assert_eq!(result["drift"]["stored_rating_count"], actual + 7);
}

/// The check runs in a read and the correction in a write: a drift in the histogram alone must
/// still reach the write.
#[test]
fn task1_corrects_a_histogram_that_drifted_alone() {
    let Some(data) = real_data() else { return };
    let app = spawn_app(Some(&data));
    let histogram = |app: &TestApp| -> Vec<(f64, i64)> {
        let conn = app.db.connect();
        let mut statement = conn
            .prepare(
                "SELECT rating, count FROM movie_rating_histogram WHERE movie_id = 1 AND count > 0 ORDER BY rating",
            )
            .unwrap();
        statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).unwrap().map(Result::unwrap).collect()
    };
    let right = histogram(&app);
    app.db.connect().execute("DELETE FROM movie_rating_histogram WHERE movie_id = 1 AND rating = 4.0", []).unwrap();
    let result = run_seed_task(&app, "/api/celery/task1/?movie_id=1");
    assert_eq!(result["drift"]["corrected"], true, "{result}");
    assert_eq!(result["drift"]["histogram_rows_corrected"], 1, "{result}");
    assert_eq!(histogram(&app), right, "the histogram was written again from the ratings");
}

#[test]
fn task2_computes_a_users_profile_as_the_csv_gives_it() {
    let Some(data) = real_data() else { return };
    let app = spawn_app(Some(&data));
    let genres_of: HashMap<String, Vec<String>> = csv_rows(&data.join("movies.csv"))
        .iter()
        .map(|row| (row[0].to_string(), row[2].split('|').map(String::from).collect()))
        .collect();
    // The user with the most tags, so that the words are tested too.
    let tags = csv_rows(&data.join("tags.csv"));
    let mut tag_counts: HashMap<String, usize> = HashMap::new();
    for row in &tags {
        *tag_counts.entry(row[0].to_string()).or_default() += 1;
    }
    let user = tag_counts.iter().max_by_key(|(user, count)| (**count, (*user).clone())).unwrap().0.clone();
    let mut ratings: Vec<f64> = Vec::new();
    let mut by_genre: BTreeMap<String, (i64, f64)> = BTreeMap::new();
    for row in csv_rows(&data.join("ratings.csv")).iter().filter(|row| row[0] == *user) {
        let rating: f64 = row[2].parse().unwrap();
        ratings.push(rating);
        for genre in &genres_of[&row[1]] {
            let entry = by_genre.entry(genre.clone()).or_default();
            *entry = (entry.0 + 1, entry.1 + rating);
        }
    }
    let mut words: HashMap<String, i64> = HashMap::new();
    for row in tags.iter().filter(|row| row[0] == *user) {
        for word in row[2].split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
            *words.entry(word.to_lowercase()).or_default() += 1;
        }
    }
    let top_count = words.values().max().copied().unwrap();

    let result = run_seed_task(&app, &format!("/api/celery/task2/?user_id={user}"));
    assert_eq!(result["rating_count"], ratings.len());
    if !ratings.is_empty() {
        let mean = ratings.iter().sum::<f64>() / ratings.len() as f64;
        assert!(close(result["mean"].as_f64().unwrap(), mean));
    }
    let profile = result["genre_profile"].as_array().unwrap();
    assert_eq!(profile.len(), by_genre.len());
    for entry in profile {
        let (count, sum) = by_genre[entry["genre"].as_str().unwrap()];
        assert_eq!(entry["rating_count"], count);
        assert!(close(entry["mean"].as_f64().unwrap(), sum / count as f64));
    }
    assert_eq!(result["tag_count"], tag_counts[&user]);
    assert_eq!(result["top_tag_words"][0]["count"], top_count, "{result}");
}
