//! `user_profile` (the seed's task 2): bulk processing of one user's ratings and tags.

use std::collections::HashMap;

use fang::{typetag, AsyncQueueable, AsyncRunnable, FangError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{default_id, failed, finish_simulated, CheckArgs, References};
use crate::db::profiles;
use crate::jobs::context::TaskContext;

/// How many of the user's most used tag words the result lists.
const TOP_WORDS: usize = 10;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserProfile {
    /// The user (default 1, as in the seed).
    #[serde(default = "default_id")]
    pub user_id: i64,
    /// A demo delay after the work, at most 60 s (the seed's task slept 8 s).
    #[serde(default)]
    pub simulate_seconds: u32,
}

impl CheckArgs for UserProfile {
    fn references(&self) -> References {
        References { movie_id: None, user_id: Some(self.user_id) }
    }

    fn simulate_seconds(&self) -> u32 {
        self.simulate_seconds
    }
}

#[typetag::serde(name = "user_profile")]
#[fang::async_trait]
impl AsyncRunnable for UserProfile {
    async fn run(&self, _queue: &dyn AsyncQueueable) -> Result<(), FangError> {
        let context = TaskContext::current();
        let user_id = self.user_id;
        let read = context.db().read("jobs.user_profile.read", move |tx| {
            Ok::<_, crate::db::DbError>((
                profiles::user_ratings(tx, user_id)?,
                profiles::user_genre_ratings(tx, user_id)?,
                profiles::user_tags(tx, user_id)?,
            ))
        });
        let (ratings, genres, tags) = read.await.map_err(failed)?;
        let result = profile(user_id, &ratings, &genres, &tags);
        finish_simulated(&context, result, self.simulate_seconds).await;
        Ok(())
    }

    fn max_retries(&self) -> i32 {
        3
    }
}

/// The rating count and mean, the mean and count per genre, and the most used tag words
/// (lower-cased, split at anything but letters and digits; ties in word order).
pub fn profile(user_id: i64, ratings: &[f64], genres: &[(String, i64, f64)], tags: &[String]) -> serde_json::Value {
    let mean = (!ratings.is_empty()).then(|| ratings.iter().sum::<f64>() / ratings.len() as f64);
    let genre_profile: Vec<serde_json::Value> = genres
        .iter()
        .map(|(genre, count, sum)| json!({"genre": genre, "rating_count": count, "mean": sum / *count as f64}))
        .collect();
    let mut words: HashMap<String, i64> = HashMap::new();
    for tag in tags {
        for word in tag.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty()) {
            *words.entry(word.to_lowercase()).or_default() += 1;
        }
    }
    let mut words: Vec<(String, i64)> = words.into_iter().collect();
    words.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    words.truncate(TOP_WORDS);
    json!({
        "user_id": user_id,
        "rating_count": ratings.len(),
        "mean": mean,
        "genre_profile": genre_profile,
        "tag_count": tags.len(),
        "top_tag_words": words.into_iter().map(|(word, count)| json!({"word": word, "count": count})).collect::<Vec<_>>(),
    })
}
