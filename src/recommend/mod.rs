//! Item-item collaborative filtering (Sarwar et al. 2001, Deshpande and Karypis 2004): each
//! movie's most similar movies by cosine over the users who rated both, computed in blocks of
//! movies on a few threads, and scoring, evaluation and baselines over them.

pub mod baselines;
pub mod build;
pub mod command;
pub mod evaluation;
pub mod matrix;
pub mod options;
pub mod parallel;
pub mod scoring;
pub mod served;
pub mod similarity;

use serde::{Deserialize, Serialize};

/// How ratings enter the cosine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Normalization {
    /// Every rating counts 1: similarity is co-occurrence over the geometric mean of popularity.
    #[default]
    Binary,
    /// Ratings minus the user's mean (Sarwar's adjusted cosine).
    Centred,
}

impl Normalization {
    pub fn as_str(self) -> &'static str {
        match self {
            Normalization::Binary => "binary",
            Normalization::Centred => "centred",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "binary" => Some(Normalization::Binary),
            "centred" => Some(Normalization::Centred),
            _ => None,
        }
    }
}

/// A model's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Params {
    /// Neighbours kept per movie (k).
    pub neighbours: usize,
    /// The first neighbours of each rated movie that score a user's picks (LensKit's `nnbrs`
    /// beside its `save_nbrs`): closer neighbours rank better on the held-out split.
    pub score_neighbours: usize,
    /// Pairs rated by fewer users than this are dropped.
    pub min_co_raters: u32,
    pub normalization: Normalization,
    /// A user's most recent ratings that count in the co-occurrence: the work per user grows
    /// with the square of their ratings, so the few users with tens of thousands are capped.
    pub max_user_ratings: usize,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            neighbours: 50,
            score_neighbours: 20,
            min_co_raters: 2,
            normalization: Normalization::Binary,
            max_user_ratings: 1000,
        }
    }
}

/// One rating as the algorithm reads it: dense indexes, not MovieLens ids.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rating {
    pub user: u32,
    pub movie: u32,
    pub value: f32,
    pub timestamp: i64,
}

/// Every rating, with the ids behind the dense indexes.
#[derive(Debug, Clone, Default)]
pub struct RatingSet {
    /// MovieLens movie ids by movie index, ascending.
    pub movie_ids: Vec<i64>,
    /// MovieLens user ids by user index.
    pub user_ids: Vec<i64>,
    pub ratings: Vec<Rating>,
}

impl RatingSet {
    /// Builds the set from `(user_id, movie_id, rating, timestamp)` rows and every movie id.
    pub fn from_rows(mut movie_ids: Vec<i64>, rows: impl IntoIterator<Item = (i64, i64, f64, i64)>) -> Self {
        movie_ids.sort_unstable();
        movie_ids.dedup();
        let mut users: std::collections::HashMap<i64, u32> = std::collections::HashMap::new();
        let mut user_ids = Vec::new();
        let mut ratings = Vec::new();
        for (user_id, movie_id, value, timestamp) in rows {
            let Ok(movie) = movie_ids.binary_search(&movie_id) else { continue };
            let user = *users.entry(user_id).or_insert_with(|| {
                user_ids.push(user_id);
                (user_ids.len() - 1) as u32
            });
            ratings.push(Rating { user, movie: movie as u32, value: value as f32, timestamp });
        }
        Self { movie_ids, user_ids, ratings }
    }

    /// The index of a MovieLens movie id.
    pub fn movie_index(&self, movie_id: i64) -> Option<u32> {
        self.movie_ids.binary_search(&movie_id).ok().map(|index| index as u32)
    }
}

/// A movie's neighbour, by index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbour {
    pub movie: u32,
    pub similarity: f64,
    pub co_raters: u32,
}
