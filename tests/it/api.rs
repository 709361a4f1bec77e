//! The API over the real ml-latest-small, checked against figures computed here from the CSVs.

use crate::common;

use std::collections::HashMap;
use std::path::Path;

use common::{get_json, real_data, spawn_app, TestApp};

fn real_app() -> Option<(TestApp, std::path::PathBuf)> {
    let data = real_data()?;
    Some((spawn_app(Some(&data)), data))
}

/// movieId → (count, sum) of its ratings, straight from ratings.csv.
fn rating_sums(data: &Path) -> HashMap<i64, (i64, f64)> {
    let mut sums = HashMap::new();
    let mut reader = csv::Reader::from_path(data.join("ratings.csv")).unwrap();
    for record in reader.records() {
        let record = record.unwrap();
        let entry = sums.entry(record[1].parse().unwrap()).or_insert((0, 0.0));
        entry.0 += 1;
        entry.1 += record[2].parse::<f64>().unwrap();
    }
    sums
}

/// The mean of all ratings in `sums`.
fn global_mean(sums: &HashMap<i64, (i64, f64)>) -> f64 {
    let (all_count, all_sum) = sums.values().fold((0, 0.0), |(n, s), (count, sum)| (n + count, s + sum));
    all_sum / all_count as f64
}

/// (score, movieId) of movies with at least `min_ratings`, best first: the documented formula,
/// `(10 × prior + Σ ratings) / (10 + n)`, computed here independently of the server.
fn damped_ranking(sums: &HashMap<i64, (i64, f64)>, min_ratings: i64, prior: f64) -> Vec<(f64, i64)> {
    let global_mean = prior;
    let mut ranking: Vec<(f64, i64)> = sums
        .iter()
        .filter(|(_, (count, _))| *count >= min_ratings)
        .map(|(&movie, &(count, sum))| ((10.0 * global_mean + sum) / (10.0 + count as f64), movie))
        .collect();
    ranking.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranking
}

#[test]
fn movie_1_has_the_csvs_rating_count_mean_genres_and_links() {
    let Some((app, data)) = real_app() else { return };
    let (count, sum) = rating_sums(&data)[&1];
    let movie = get_json(&app.url("/api/movies/1"), 200);
    assert_eq!(movie["title"], "Toy Story (1995)");
    assert_eq!(movie["year"], 1995);
    assert_eq!(movie["genres"], serde_json::json!(["Adventure", "Animation", "Children", "Comedy", "Fantasy"]));
    assert_eq!(movie["ratings"]["count"], count);
    assert!((movie["ratings"]["mean"].as_f64().unwrap() - sum / count as f64).abs() < 1e-9);
    let histogram: i64 =
        movie["ratings"]["histogram"].as_array().unwrap().iter().map(|b| b["count"].as_i64().unwrap()).sum();
    assert_eq!(histogram, count);
    assert_eq!(movie["ratings"]["histogram"].as_array().unwrap().len(), 10);
    assert_eq!(movie["links"]["imdb_url"], "https://www.imdb.com/title/tt0114709/");
    assert_eq!(movie["links"]["tmdb_url"], "https://www.themoviedb.org/movie/862");
}

#[test]
fn top_rated_with_min_ratings_50_matches_the_damped_mean_computed_from_the_csv() {
    let Some((app, data)) = real_app() else { return };
    let sums = rating_sums(&data);
    let expected = damped_ranking(&sums, 50, global_mean(&sums));
    let expected_ids: Vec<i64> = expected.iter().take(20).map(|(_, movie)| *movie).collect();

    let top = get_json(&app.url("/api/top-rated?min_ratings=50"), 200);
    let ranked = &top["results"];
    let ids: Vec<i64> = ranked.as_array().unwrap().iter().map(|movie| movie["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, expected_ids);
    assert_eq!(ranked[0]["rank"], 1);
    assert_eq!(ranked[0]["title"], "Shawshank Redemption, The (1994)");
    // The import took the prior from all of the data it loaded.
    assert!((top["prior"]["mean"].as_f64().unwrap() - global_mean(&sums)).abs() < 1e-12);
    assert_eq!(top["prior"]["rating_count"], 100_836);
    assert_eq!(top["prior"]["weight"], 10.0);
}

#[test]
fn user_1_has_the_csvs_rating_count() {
    let Some((app, data)) = real_app() else { return };
    let csv = std::fs::read_to_string(data.join("ratings.csv")).unwrap();
    let expected = csv.lines().skip(1).filter(|line| line.starts_with("1,")).count();
    let user = get_json(&app.url("/api/users/1"), 200);
    assert_eq!(user["rating_count"], expected);
    let page = get_json(&app.url("/api/users/1/ratings?page_size=100"), 200);
    assert_eq!(page["results"].as_array().unwrap().len(), 100);
    assert_eq!(page["results"][0]["movie_title"], "Toy Story (1995)");
}

#[test]
fn genre_movie_counts_match_the_csv() {
    let Some((app, data)) = real_app() else { return };
    let mut expected: HashMap<String, i64> = HashMap::new();
    let mut reader = csv::Reader::from_path(data.join("movies.csv")).unwrap();
    for record in reader.records() {
        for genre in record.unwrap()[2].split('|') {
            *expected.entry(genre.to_string()).or_default() += 1;
        }
    }
    let genres = get_json(&app.url("/api/genres"), 200);
    let actual: HashMap<String, i64> = genres
        .as_array()
        .unwrap()
        .iter()
        .map(|genre| (genre["name"].as_str().unwrap().to_string(), genre["movie_count"].as_i64().unwrap()))
        .collect();
    assert_eq!(actual, expected);
    assert_eq!(get_json(&app.url("/api/genres/sci-fi"), 200)["movie_count"], expected["Sci-Fi"]);
}

#[test]
fn pagination_has_a_first_a_last_and_no_page_past_the_end() {
    let Some((app, _)) = real_app() else { return };
    let first = get_json(&app.url("/api/movies"), 200);
    assert_eq!(first["count"], 9_742);
    assert_eq!(first["results"].as_array().unwrap().len(), 20);
    assert!(first.get("previous").is_none());
    assert!(first["next"].as_str().unwrap().ends_with("/api/movies?page=2"), "{}", first["next"]);

    // 9,742 movies at 20 a page: 487 full pages and 2 movies on page 488.
    let last = get_json(&app.url("/api/movies?page=488"), 200);
    assert_eq!(last["results"].as_array().unwrap().len(), 2);
    assert!(last.get("next").is_none());
    assert!(last["previous"].as_str().unwrap().ends_with("/api/movies?page=487"));

    let past = get_json(&app.url("/api/movies?page=489"), 404);
    assert_eq!(past["code"], "not_found");
    for page_size in ["0", "101"] {
        let refused = get_json(&app.url(&format!("/api/movies?page_size={page_size}")), 400);
        assert_eq!(refused["code"], "invalid_request");
        assert!(refused["message"].as_str().unwrap().contains("page_size"), "{refused}");
    }
    assert_eq!(get_json(&app.url("/api/movies?page_size=100"), 200)["results"].as_array().unwrap().len(), 100);
}

#[test]
fn movie_filters_and_sorting_work_together() {
    let Some((app, data)) = real_app() else { return };
    let page = get_json(&app.url("/api/movies?search=TOY%20story&sort=year"), 200);
    let titles: Vec<&str> = page["results"].as_array().unwrap().iter().map(|m| m["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Toy Story (1995)", "Toy Story 2 (1999)", "Toy Story 3 (2010)"]);

    let accented = get_json(&app.url("/api/movies?search=MIS%C3%89RABLES"), 200);
    assert!(accented["results"].as_array().unwrap().iter().any(|m| m["title"] == "Misérables, Les (1995)"));

    let both = get_json(&app.url("/api/movies?genre=Animation&genre=Sci-Fi&page_size=100"), 200);
    assert!(both["results"].as_array().unwrap().iter().all(|m| {
        let genres = m["genres"].as_array().unwrap();
        genres.contains(&"Animation".into()) && genres.contains(&"Sci-Fi".into())
    }));
    let either = get_json(&app.url("/api/movies?genre=Animation&genre=Sci-Fi&genre_match=any"), 200);
    assert!(either["count"].as_i64() > both["count"].as_i64());

    let mut most_rated: Vec<(i64, i64)> = rating_sums(&data)
        .into_iter()
        .filter(|(_, (count, _))| *count >= 250)
        .map(|(id, (count, _))| (-count, id))
        .collect();
    most_rated.sort();
    let popular = get_json(&app.url("/api/movies?min_ratings=250&sort=-rating_count"), 200);
    let ids: Vec<i64> = popular["results"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, most_rated.iter().map(|(_, id)| *id).collect::<Vec<_>>());
    assert_eq!(ids[0], 356, "Forrest Gump is the most rated");

    let nineties = get_json(&app.url("/api/movies?year_min=1990&year_max=1999&page_size=100"), 200);
    assert!(nineties["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| (1990..=1999).contains(&m["year"].as_i64().unwrap())));
}

#[test]
fn ratings_and_tags_page_by_cursor_to_the_end() {
    let Some((app, _)) = real_app() else { return };
    let mut url = app.url("/api/movies/1/ratings?page_size=100");
    let mut seen = 0;
    loop {
        let page = get_json(&url, 200);
        seen += page["results"].as_array().unwrap().len();
        match page.get("next") {
            Some(next) => url = next.as_str().unwrap().to_string(),
            None => break,
        }
    }
    assert_eq!(seen, 215);
    let tags = get_json(&app.url("/api/tags?tag=funny&page_size=100"), 200);
    assert!(tags["results"].as_array().unwrap().iter().all(|tag| tag["tag"] == "funny"));
    get_json(&app.url("/api/movies/99999999/ratings"), 404);
    get_json(&app.url("/api/ratings?cursor=abc"), 400);
}

#[test]
fn links_are_found_by_imdb_and_tmdb_id() {
    let Some((app, _)) = real_app() else { return };
    for query in ["imdb_id=tt0114709", "imdb_id=114709", "tmdb_id=862"] {
        assert_eq!(get_json(&app.url(&format!("/api/links?{query}")), 200)["movie_id"], 1, "{query}");
    }
    get_json(&app.url("/api/links?imdb_id=tt0114709&tmdb_id=862"), 400);
    get_json(&app.url("/api/links?tmdb_id=999999999"), 404);
    assert_eq!(get_json(&app.url("/api/links/1"), 200)["tmdb_id"], 862);
}

#[test]
fn stats_count_every_table_and_name_the_source() {
    let Some((app, data)) = real_app() else { return };
    let stats = get_json(&app.url("/api/stats"), 200);
    assert_eq!(stats["tables"]["movies"], 9_742);
    assert_eq!(stats["tables"]["ratings"], 100_836);
    assert_eq!(stats["tables"]["tags"], 3_683);
    assert_eq!(stats["tables"]["links"], 9_742);
    assert_eq!(stats["tables"]["genres"], 20);
    assert_eq!(stats["source"]["kind"], "directory");
    assert_eq!(stats["source"]["source"], data.to_str().unwrap());
}

#[test]
fn the_api_root_lists_every_group_with_absolute_urls() {
    let app = spawn_app(None);
    for path in ["/api", "/api/"] {
        let root = get_json(&app.url(path), 200);
        assert_eq!(root["movies"], app.url("/api/movies"));
        assert_eq!(root["top_rated"], app.url("/api/top-rated"));
        assert_eq!(root["docs"], app.url("/docs"));
    }
}

#[test]
fn a_new_rating_reranks_top_rated_exactly_as_recomputed_from_the_csv() {
    let Some(data) = real_data() else { return };
    let app = common::spawn_app_with_token(Some(&data), "rank-token");
    // Shawshank (318) leads with min_ratings=50; twenty 0.5-star ratings must cost it the lead.
    let mut sums = rating_sums(&data);
    for user in 1001..=1020 {
        let body = format!(r#"{{"user_id": {user}, "movie_id": 318, "rating": 0.5}}"#);
        let headers = [("content-type", "application/json"), ("authorization", "Bearer rank-token")];
        let (status, _, response) = common::send("POST", &app.url("/api/ratings"), &headers, Some(&body));
        assert_eq!(status, 201, "{response}");
        let entry = sums.get_mut(&318).unwrap();
        entry.0 += 1;
        entry.1 += 0.5;
    }
    let top = get_json(&app.url("/api/top-rated?min_ratings=50&limit=100"), 200);
    // The writes rescored movie 318 against the prior snapshot, which they did not move.
    let prior = top["prior"]["mean"].as_f64().unwrap();
    assert_eq!(top["prior"]["rating_count"], 100_836);
    let expected = damped_ranking(&sums, 50, prior);
    let ranked = &top["results"];
    let ids: Vec<i64> = ranked.as_array().unwrap().iter().map(|movie| movie["id"].as_i64().unwrap()).collect();
    let expected_ids: Vec<i64> = expected.iter().take(100).map(|(_, movie)| *movie).collect();
    assert_eq!(ids, expected_ids);
    assert_ne!(ids[0], 318);
    for (movie, (score, _)) in ranked.as_array().unwrap().iter().zip(&expected) {
        assert!((movie["score"].as_f64().unwrap() - score).abs() < 1e-9);
    }
}
