//! The built-in evaluation: each user with at least 5 ratings gets their most recent rating of
//! 4 or more held out; the model is built on the rest; every movie the user has not rated is
//! ranked; HR@10 and NDCG@10 are reported for the model and for the two baselines.

use std::collections::HashSet;

use serde::Serialize;

use super::matrix::{RatingMatrix, Rows};
use super::parallel::Control;
use super::{baselines, scoring, similarity, Params, Rating, RatingSet};

/// The cut-off of the top-N list.
pub const TOP_N: usize = 10;
/// Users with fewer ratings are not evaluated.
pub const MIN_USER_RATINGS: usize = 5;
/// The held-out rating is the most recent one at least this high.
pub const LIKED: f32 = 4.0;

/// HR@10 and NDCG@10 of one ranking.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Figures {
    pub hit_rate: f64,
    pub ndcg: f64,
}

/// The evaluation's result.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub users: usize,
    pub model: Figures,
    pub popularity: Figures,
    pub damped_mean: Figures,
}

/// The training ratings and, per evaluated user, the held-out rating.
pub struct Split {
    pub train: Vec<Rating>,
    pub held_out: Vec<Rating>,
}

/// Holds out each eligible user's most recent rating of 4 or more (ties: the higher movie id).
pub fn split(ratings: &[Rating], users: usize) -> Split {
    let mut counts = vec![0usize; users];
    let mut latest: Vec<Option<usize>> = vec![None; users];
    for (index, rating) in ratings.iter().enumerate() {
        let user = rating.user as usize;
        counts[user] += 1;
        if rating.value < LIKED {
            continue;
        }
        let newer = latest[user].is_none_or(|best| {
            let best = &ratings[best];
            (rating.timestamp, rating.movie) > (best.timestamp, best.movie)
        });
        if newer {
            latest[user] = Some(index);
        }
    }
    let held: HashSet<usize> =
        (0..users).filter(|&user| counts[user] >= MIN_USER_RATINGS).filter_map(|user| latest[user]).collect();
    let mut train = Vec::with_capacity(ratings.len());
    let mut held_out = Vec::with_capacity(held.len());
    for (index, rating) in ratings.iter().enumerate() {
        match held.contains(&index) {
            true => held_out.push(*rating),
            false => train.push(*rating),
        }
    }
    held_out.sort_by_key(|rating| rating.user);
    Split { train, held_out }
}

/// Evaluates `params` on `set`, or `None` when stopped.
pub fn evaluate(set: &RatingSet, params: &Params, control: &Control<'_>) -> Option<Report> {
    let (users, movies) = (set.user_ids.len(), set.movie_ids.len());
    let Split { train, held_out } = split(&set.ratings, users);
    let matrix = RatingMatrix::build(&train, users, movies, params);
    let neighbours = similarity::neighbours(&matrix, params, control)?;
    drop(matrix);
    let by_user = Rows::group_ratings(users, &train);
    let popular = baselines::popularity(&train, movies);
    let damped = baselines::damped_mean(&train, movies);
    let lists = scoring::Lists::from_neighbours(&neighbours, params.score_neighbours);
    drop(neighbours);
    let quiet = Control { threads: control.threads, stop: control.stop, progress: &|_: usize| {} };
    let per_block = super::parallel::in_blocks(held_out.len(), 32, &quiet, |range| {
        let mut sums = [Figures::default(); 3];
        let mut scorer = scoring::Scorer::new(movies);
        for held in &held_out[range] {
            let mine = by_user.row(held.user as usize);
            let rated: HashSet<u32> = mine.iter().map(|&(movie, _)| movie).collect();
            let ratings: Vec<(u32, f64)> = mine.iter().map(|&(movie, value)| (movie, f64::from(value))).collect();
            let weights = scoring::weights(&ratings);
            let picks: Vec<u32> = scorer.rank(&weights, &lists).movies().take(TOP_N).collect();
            let rankings = [
                picks,
                baselines::first_unrated(&popular, &rated, TOP_N),
                baselines::first_unrated(&damped, &rated, TOP_N),
            ];
            for (sum, ranking) in sums.iter_mut().zip(&rankings) {
                if let Some(position) = ranking.iter().position(|&movie| movie == held.movie) {
                    sum.hit_rate += 1.0;
                    sum.ndcg += 1.0 / ((position + 2) as f64).log2();
                }
            }
        }
        sums
    })?;
    let count = held_out.len().max(1) as f64;
    let mut totals = [Figures::default(); 3];
    for sums in per_block {
        for (total, sum) in totals.iter_mut().zip(sums) {
            total.hit_rate += sum.hit_rate;
            total.ndcg += sum.ndcg;
        }
    }
    let mean = |figures: Figures| Figures { hit_rate: figures.hit_rate / count, ndcg: figures.ndcg / count };
    Some(Report {
        users: held_out.len(),
        model: mean(totals[0]),
        popularity: mean(totals[1]),
        damped_mean: mean(totals[2]),
    })
}
