//! The ratings as two sparse matrices (by user and by movie) of the values the cosine uses:
//! each user's most recent `max_user_ratings` ratings, binary or centred on the user's mean.

use super::{Normalization, Params, Rating};

/// Compressed rows: `starts[i]..starts[i + 1]` indexes `entries` for row `i`.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub starts: Vec<usize>,
    pub entries: Vec<(u32, f32)>,
}

impl Rows {
    pub fn row(&self, index: usize) -> &[(u32, f32)] {
        &self.entries[self.starts[index]..self.starts[index + 1]]
    }

    pub fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Each user's ratings as (movie, rating), in the order given.
    pub fn group_ratings(users: usize, ratings: &[Rating]) -> Self {
        Self::group(users, ratings.iter().map(|r| (r.user, r.movie, r.value)))
    }

    /// Groups `(row, column, value)` triples by row with a counting sort; within a row, the
    /// triples keep their order.
    pub fn group(rows: usize, triples: impl Iterator<Item = (u32, u32, f32)> + Clone) -> Self {
        let mut starts = vec![0usize; rows + 1];
        for (row, _, _) in triples.clone() {
            starts[row as usize + 1] += 1;
        }
        for index in 0..rows {
            starts[index + 1] += starts[index];
        }
        let mut next = starts.clone();
        let mut entries = vec![(0u32, 0f32); starts[rows]];
        for (row, column, value) in triples {
            entries[next[row as usize]] = (column, value);
            next[row as usize] += 1;
        }
        Self { starts, entries }
    }
}

/// The matrices the similarity build walks. Ratings are stored as given (half stars are exact
/// in f32); the centring is applied in f64 as they are read, so results do not depend on how
/// the matrix stores them.
#[derive(Debug, Clone, Default)]
pub struct RatingMatrix {
    /// Per user: (movie, rating), movies ascending.
    pub by_user: Rows,
    /// Per movie: (user, rating), users ascending.
    pub by_movie: Rows,
    /// Per user: what is subtracted from their ratings (0 for binary, the mean for centred).
    pub offsets: Vec<f64>,
    pub normalization: Normalization,
    /// Per movie: the Euclidean norm of its column of values.
    pub norms: Vec<f64>,
    /// Ratings that counted, after the cap.
    pub ratings_used: usize,
}

impl RatingMatrix {
    pub fn build(ratings: &[Rating], users: usize, movies: usize, params: &Params) -> Self {
        let keep = capped(ratings, users, params.max_user_ratings);
        let kept = || ratings.iter().zip(&keep).filter(|(_, keep)| **keep).map(|(rating, _)| rating);
        let offsets = match params.normalization {
            Normalization::Binary => vec![0.0; users],
            Normalization::Centred => user_means(kept(), users),
        };
        let mut by_user = Rows::group(users, kept().map(|r| (r.user, r.movie, r.value)));
        for user in 0..users {
            let range = by_user.starts[user]..by_user.starts[user + 1];
            by_user.entries[range].sort_unstable_by_key(|entry| entry.0);
        }
        // Walking users in order keeps each movie's column in user order.
        let by_user_ref = &by_user;
        let triples = (0..users)
            .flat_map(move |user| by_user_ref.row(user).iter().map(move |&(movie, value)| (movie, user as u32, value)));
        let by_movie = Rows::group(movies, triples);
        let mut matrix = Self {
            ratings_used: by_user.entries.len(),
            by_user,
            by_movie,
            offsets,
            normalization: params.normalization,
            norms: Vec::new(),
        };
        matrix.norms = (0..movies)
            .map(|movie| {
                let column = matrix.by_movie.row(movie);
                column.iter().map(|&(user, rating)| matrix.value(user, rating).powi(2)).sum::<f64>().sqrt()
            })
            .collect();
        matrix
    }

    /// The value a user's rating has in the cosine.
    #[inline]
    pub fn value(&self, user: u32, rating: f32) -> f64 {
        match self.normalization {
            Normalization::Binary => 1.0,
            Normalization::Centred => f64::from(rating) - self.offsets[user as usize],
        }
    }

    pub fn movies(&self) -> usize {
        self.by_movie.len()
    }
}

/// Which ratings count: each user's most recent `cap` (ties broken by movie, so the choice is
/// deterministic).
pub fn capped(ratings: &[Rating], users: usize, cap: usize) -> Vec<bool> {
    let mut keep = vec![true; ratings.len()];
    let mut counts = vec![0usize; users];
    for rating in ratings {
        counts[rating.user as usize] += 1;
    }
    if counts.iter().all(|&count| count <= cap) {
        return keep;
    }
    let grouped = Rows::group(users, ratings.iter().enumerate().map(|(index, r)| (r.user, index as u32, 0.0)));
    for user in (0..users).filter(|&user| counts[user] > cap) {
        let mut mine: Vec<u32> = grouped.row(user).iter().map(|&(index, _)| index).collect();
        mine.sort_unstable_by_key(|&index| {
            let rating = &ratings[index as usize];
            (std::cmp::Reverse(rating.timestamp), rating.movie)
        });
        for &index in &mine[cap..] {
            keep[index as usize] = false;
        }
    }
    keep
}

/// Each user's mean rating (0 for a user without ratings).
pub fn user_means<'a>(ratings: impl Iterator<Item = &'a Rating>, users: usize) -> Vec<f64> {
    let mut sums = vec![(0f64, 0u32); users];
    for rating in ratings {
        let sum = &mut sums[rating.user as usize];
        sum.0 += f64::from(rating.value);
        sum.1 += 1;
    }
    sums.into_iter().map(|(sum, count)| if count == 0 { 0.0 } else { sum / f64::from(count) }).collect()
}
