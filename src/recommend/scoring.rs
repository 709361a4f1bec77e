//! A user's picks: movies they have not rated, scored by the sum of their similarities to the
//! movies the user rated, each weighted by the user's rating minus their mean, with the three
//! rated movies that contributed most ("because you liked ...").

use std::collections::HashMap;

/// How many contributing movies a pick names.
pub const BECAUSE: usize = 3;

/// One candidate movie and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    pub movie_id: i64,
    pub score: f64,
    /// The rated movies that contributed most, with their contributions, largest first.
    pub because: Vec<(i64, f64)>,
}

/// Each rated movie's weight: the rating minus the user's mean rating.
pub fn weights(ratings: &[(i64, f64)]) -> HashMap<i64, f64> {
    if ratings.is_empty() {
        return HashMap::new();
    }
    let mean = ratings.iter().map(|(_, rating)| rating).sum::<f64>() / ratings.len() as f64;
    ratings.iter().map(|&(movie, rating)| (movie, rating - mean)).collect()
}

/// Scores every movie reached from a rated movie's neighbour list (`(rated, neighbour,
/// similarity)` triples) that the user has not rated. Picks with a positive score, best first
/// (ties by movie id).
pub fn score(weights: &HashMap<i64, f64>, links: impl IntoIterator<Item = (i64, i64, f64)>) -> Vec<Pick> {
    let mut picks: HashMap<i64, Pick> = HashMap::new();
    for (rated, candidate, similarity) in links {
        if weights.contains_key(&candidate) {
            continue;
        }
        let Some(&weight) = weights.get(&rated) else { continue };
        let contribution = similarity * weight;
        let pick =
            picks.entry(candidate).or_insert_with(|| Pick { movie_id: candidate, score: 0.0, because: Vec::new() });
        pick.score += contribution;
        remember(&mut pick.because, rated, contribution);
    }
    let mut picks: Vec<Pick> = picks.into_values().filter(|pick| pick.score > 0.0).collect();
    picks.sort_unstable_by(|a, b| b.score.total_cmp(&a.score).then(a.movie_id.cmp(&b.movie_id)));
    picks
}

/// Keeps the [`BECAUSE`] largest positive contributions, largest first.
fn remember(because: &mut Vec<(i64, f64)>, rated: i64, contribution: f64) {
    if contribution <= 0.0 {
        return;
    }
    let at = because
        .iter()
        .position(|&(movie, value)| contribution > value || (contribution == value && rated < movie))
        .unwrap_or(because.len());
    if at < BECAUSE {
        because.insert(at, (rated, contribution));
        because.truncate(BECAUSE);
    }
}
