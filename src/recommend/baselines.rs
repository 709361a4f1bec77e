//! The two rankings the model must beat, over the same training ratings: most-rated movies
//! (popularity) and the damped mean of `/api/top-rated` (`(C × m + Σ ratings) / (C + n)`).

use super::Rating;

/// The damping of `/api/top-rated`.
pub const DAMPING: f64 = 10.0;

/// Movie indexes by rating count, most first (ties by index).
pub fn popularity(train: &[Rating], movies: usize) -> Vec<u32> {
    let mut counts = vec![0u64; movies];
    for rating in train {
        counts[rating.movie as usize] += 1;
    }
    let mut order: Vec<u32> = (0..movies as u32).filter(|&movie| counts[movie as usize] > 0).collect();
    order.sort_by_key(|&movie| (std::cmp::Reverse(counts[movie as usize]), movie));
    order
}

/// Rated movie indexes by damped mean, best first (ties by index).
pub fn damped_mean(train: &[Rating], movies: usize) -> Vec<u32> {
    let mut sums = vec![(0f64, 0u64); movies];
    for rating in train {
        let sum = &mut sums[rating.movie as usize];
        sum.0 += f64::from(rating.value);
        sum.1 += 1;
    }
    let total: f64 = sums.iter().map(|sum| sum.0).sum();
    let prior = total / train.len().max(1) as f64;
    let score = |movie: u32| {
        let (sum, count) = sums[movie as usize];
        (DAMPING * prior + sum) / (DAMPING + count as f64)
    };
    let mut order: Vec<u32> = (0..movies as u32).filter(|&movie| sums[movie as usize].1 > 0).collect();
    order.sort_by(|&a, &b| score(b).total_cmp(&score(a)).then(a.cmp(&b)));
    order
}

/// The first `n` movies of `order` that `rated` does not hold.
pub fn first_unrated(order: &[u32], rated: &std::collections::HashSet<u32>, n: usize) -> Vec<u32> {
    order.iter().copied().filter(|movie| !rated.contains(movie)).take(n).collect()
}
