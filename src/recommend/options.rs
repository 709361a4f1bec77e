//! The flags of `movielens recommend build|evaluate`.

use clap::{Args, Subcommand};

use super::{Normalization, Params};

#[derive(Debug, Clone, Subcommand)]
pub enum RecommendCommand {
    /// Build the item-item model from every rating and make it the current one, with a
    /// progress bar (the same work as the `recommendations.build` task).
    Build(BuildArgs),
    /// Hold out each user's most recent rating of 4 or more, build on the rest, and print HR@10
    /// and NDCG@10 of the model, of the most-rated ranking and of the damped-mean ranking.
    Evaluate(ModelArgs),
}

/// The model's parameters and the threads to use.
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// Neighbours kept per movie (k).
    #[arg(long, env = "MOVIELENS_RECOMMEND_NEIGHBOURS", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub neighbours: u32,

    /// The first neighbours of each rated movie that score a user's picks.
    #[arg(long, env = "MOVIELENS_RECOMMEND_SCORE_NEIGHBOURS", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub score_neighbours: u32,

    /// Pairs of movies rated by fewer users are not neighbours.
    #[arg(long, env = "MOVIELENS_RECOMMEND_MIN_CO_RATERS", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub min_co_raters: u32,

    /// How ratings enter the cosine: `binary` (co-occurrence) or `centred` (minus the user's mean).
    #[arg(long, env = "MOVIELENS_RECOMMEND_NORMALIZATION", value_enum, default_value_t = Normalization::Binary)]
    pub normalization: Normalization,

    /// A user's most recent ratings that count in the co-occurrence (its work grows with the
    /// square of a user's ratings).
    #[arg(long, env = "MOVIELENS_RECOMMEND_MAX_USER_RATINGS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_user_ratings: u64,

    /// Threads to compute with (default: every core).
    #[arg(long, env = "MOVIELENS_RECOMMEND_THREADS", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
}

impl ModelArgs {
    pub fn params(&self) -> Params {
        Params {
            neighbours: self.neighbours as usize,
            score_neighbours: self.score_neighbours as usize,
            min_co_raters: self.min_co_raters,
            normalization: self.normalization,
            max_user_ratings: self.max_user_ratings as usize,
        }
    }

    pub fn threads(&self) -> usize {
        self.threads.map_or_else(super::parallel::all_cores, usize::from)
    }
}

#[derive(Debug, Clone, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub model: ModelArgs,

    /// Also evaluate the parameters on the held-out split and store the figures with the model
    /// (default: only with at most 2,000,000 ratings).
    #[arg(long, env = "MOVIELENS_RECOMMEND_EVALUATE")]
    pub evaluate: Option<bool>,
}
