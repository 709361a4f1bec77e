//! `movie_stats` (the seed's task 1): one movie's statistics from its raw ratings, and a
//! check of its stored aggregates, corrected if they drifted.

use std::collections::BTreeMap;

use fang::{typetag, AsyncQueueable, AsyncRunnable, FangError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{default_id, failed, finish_simulated, CheckArgs, References};
use crate::db::{aggregates, profiles, DbError};
use crate::jobs::context::TaskContext;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MovieStats {
    /// The movie (default 1, as in the seed).
    #[serde(default = "default_id")]
    pub movie_id: i64,
    /// A demo delay after the work, at most 60 s (the seed's task slept 5 s).
    #[serde(default)]
    pub simulate_seconds: u32,
}

impl CheckArgs for MovieStats {
    fn references(&self) -> References {
        References { movie_id: Some(self.movie_id), user_id: None }
    }

    fn simulate_seconds(&self) -> u32 {
        self.simulate_seconds
    }
}

#[typetag::serde(name = "movie_stats")]
#[fang::async_trait]
impl AsyncRunnable for MovieStats {
    async fn run(&self, _queue: &dyn AsyncQueueable) -> Result<(), FangError> {
        let context = TaskContext::current();
        let movie_id = self.movie_id;
        // The ratings and the check of the stored aggregates in one read, one snapshot: only
        // drift, which is rare, takes the writer, where the check runs again before the
        // correction.
        let (ratings, check) = context
            .db()
            .read("jobs.movie_stats.read", move |tx| {
                Ok::<_, DbError>((profiles::movie_ratings(tx, movie_id)?, aggregates::check_movie(tx, movie_id)?))
            })
            .await
            .map_err(failed)?;
        let check = match check.needs_refresh() {
            false => check,
            true => context
                .db()
                .write("jobs.movie_stats.refresh", move |tx| {
                    aggregates::refresh_movie(tx, movie_id).map_err(DbError::from)
                })
                .await
                .map_err(failed)?,
        };
        let figures = check.figures;
        let drift = json!({
            "corrected": check.figures_differ() || check.histogram_rows_differing > 0,
            "stored_rating_count": figures.stored_count,
            "stored_rating_sum": figures.stored_sum,
            "histogram_rows_corrected": check.histogram_rows_differing,
        });
        let mut result = describe(movie_id, &ratings);
        result["drift"] = drift;
        finish_simulated(&context, result, self.simulate_seconds).await;
        Ok(())
    }

    fn max_retries(&self) -> i32 {
        3
    }
}

/// Count, mean, median, population standard deviation, the half-star histogram and the
/// ratings per year (UTC).
pub fn describe(movie_id: i64, ratings: &[(f64, i64)]) -> serde_json::Value {
    let mut values: Vec<f64> = ratings.iter().map(|(rating, _)| *rating).collect();
    values.sort_by(f64::total_cmp);
    let count = values.len();
    let mean = (count > 0).then(|| values.iter().sum::<f64>() / count as f64);
    let median = match count {
        0 => None,
        _ if count % 2 == 1 => Some(values[count / 2]),
        _ => Some((values[count / 2 - 1] + values[count / 2]) / 2.0),
    };
    let std_dev = mean.map(|mean| (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / count as f64).sqrt());
    let mut histogram: BTreeMap<String, i64> =
        (1..=10).map(|half| (format!("{:.1}", f64::from(half) / 2.0), 0)).collect();
    let mut per_year: BTreeMap<String, i64> = BTreeMap::new();
    for (rating, timestamp) in ratings {
        *histogram.entry(format!("{rating:.1}")).or_default() += 1;
        let year = chrono::DateTime::from_timestamp(*timestamp, 0).map_or(0, |at| chrono::Datelike::year(&at));
        *per_year.entry(year.to_string()).or_default() += 1;
    }
    json!({
        "movie_id": movie_id,
        "rating_count": count,
        "mean": mean,
        "median": median,
        "std_dev": std_dev,
        "histogram": histogram,
        "ratings_per_year": per_year,
    })
}
