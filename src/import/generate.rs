//! A synthetic data set in exact MovieLens CSV format, deterministic for a given seed.
//!
//! The shape follows MovieLens: sparse movie ids, titles ending in '(year)' (some quoted because
//! of commas or quotes, some not ASCII), pipe-separated genres from the real twenty, half-star
//! ratings skewed toward 3 and 4 and toward whole stars, a few heavy users and popular movies,
//! zero-padded imdb ids with a few empty tmdb ids, and tags from a minority of users.
//! The built-in demo data is this generator's output at its default size.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use clap::Args;

use super::source::MemorySource;

/// How much data to generate. The defaults are the shape of ml-latest-small.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct GeneratorConfig {
    /// Number of movies.
    #[arg(long, env = "MOVIELENS_GENERATE_MOVIES", default_value_t = 9_742)]
    pub movies: u32,
    /// Number of users who rate.
    #[arg(long, env = "MOVIELENS_GENERATE_USERS", default_value_t = 610)]
    pub users: u32,
    /// Number of ratings (at most users × movies).
    #[arg(long, env = "MOVIELENS_GENERATE_RATINGS", default_value_t = 100_836)]
    pub ratings: u64,
    /// Number of tags.
    #[arg(long, env = "MOVIELENS_GENERATE_TAGS", default_value_t = 3_683)]
    pub tags: u64,
    /// Random seed; the same seed and sizes give byte-identical files.
    #[arg(long, env = "MOVIELENS_GENERATE_SEED", default_value_t = 1)]
    pub seed: u64,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        Self { movies: 9_742, users: 610, ratings: 100_836, tags: 3_683, seed: 1 }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("cannot generate that shape: {0}")]
    Shape(String),
    #[error("writing the data set failed: {0}")]
    Io(#[from] io::Error),
}

/// Writes movies.csv, links.csv, ratings.csv and tags.csv into `dir`, creating it if needed.
pub fn write_to_dir(config: &GeneratorConfig, dir: &Path) -> Result<(), GenerateError> {
    std::fs::create_dir_all(dir)?;
    let create = |name: &str| File::create(dir.join(name)).map(|file| BufWriter::with_capacity(1 << 16, file));
    let mut files = [create("movies.csv")?, create("links.csv")?, create("ratings.csv")?, create("tags.csv")?];
    let [movies, links, ratings, tags] = &mut files;
    write_all(config, movies, links, ratings, tags)?;
    for file in &mut files {
        file.flush()?;
    }
    Ok(())
}

/// Generates the data set in memory, ready to import (the demo data).
pub fn in_memory(config: &GeneratorConfig) -> Result<MemorySource, GenerateError> {
    let (mut movies, mut links, mut ratings, mut tags) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    write_all(config, &mut movies, &mut links, &mut ratings, &mut tags)?;
    let description = format!(
        "demo data (seed {}: {} movies, {} users, {} ratings, {} tags)",
        config.seed, config.movies, config.users, config.ratings, config.tags
    );
    Ok(MemorySource { description, movies, links, ratings, tags })
}

fn write_all(
    config: &GeneratorConfig,
    movies: &mut dyn Write,
    links: &mut dyn Write,
    ratings: &mut dyn Write,
    tags: &mut dyn Write,
) -> Result<(), GenerateError> {
    check_shape(config)?;
    let catalogue = super::synthetic::Catalogue::new(config);
    catalogue.write_movies(movies)?;
    catalogue.write_links(links)?;
    catalogue.write_ratings(ratings)?;
    catalogue.write_tags(tags)?;
    Ok(())
}

fn check_shape(config: &GeneratorConfig) -> Result<(), GenerateError> {
    if config.movies == 0 || config.users == 0 {
        return Err(GenerateError::Shape("--movies and --users must be at least 1".into()));
    }
    if config.ratings > u64::from(config.users) * u64::from(config.movies) {
        return Err(GenerateError::Shape(format!(
            "{} ratings do not fit: {} users can rate at most {} movies each",
            config.ratings, config.users, config.movies
        )));
    }
    Ok(())
}
