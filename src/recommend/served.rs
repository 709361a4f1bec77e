//! The current model's scoring lists, held in memory by the serving process.
//!
//! A user's picks read the first `score_neighbours` neighbours of every movie the user rated:
//! thousands of rows a request, which through SQLite cost milliseconds. A published model is not
//! rebuilt in place (a build writes a new one under a fresh id), so its lists are read once and
//! kept, keyed by the model's id. Each request still reads the current model's id, in the same
//! read transaction as the user's ratings, so a rebuild by this or another process is picked up
//! by the next request, which loads the new lists and drops the old. The one change a published
//! model sees, a movie deleted with its rows, is handled where picks are named: a pick whose
//! movie is gone is left out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use super::scoring::{self, Pick, Scorer};
use super::Neighbour;
use crate::db::recommendations as store;
use crate::db::DbError;

/// One model's scoring lists over dense movie indices, in the order of the movie ids.
#[derive(Debug)]
pub struct ScoringLists {
    pub model_id: i64,
    /// Movie id of each index.
    ids: Vec<i64>,
    index: HashMap<i64, u32>,
    /// Each movie's first neighbours, best first (empty for a movie that is only a neighbour).
    lists: Vec<Vec<Neighbour>>,
}

impl ScoringLists {
    /// Lists from `(movie, neighbour, similarity, co-raters)` rows, each movie's best first.
    fn from_rows(model_id: i64, rows: Vec<(i64, i64, f64, i64)>) -> Self {
        let mut ids: Vec<i64> = rows.iter().flat_map(|&(movie, neighbour, ..)| [movie, neighbour]).collect();
        ids.sort_unstable();
        ids.dedup();
        let index: HashMap<i64, u32> = ids.iter().enumerate().map(|(at, &id)| (id, at as u32)).collect();
        let mut lists = vec![Vec::new(); ids.len()];
        for (movie, neighbour, similarity, co_raters) in rows {
            let co_raters = co_raters.try_into().unwrap_or(u32::MAX);
            lists[index[&movie] as usize].push(Neighbour { movie: index[&neighbour], similarity, co_raters });
        }
        ScoringLists { model_id, ids, index, lists }
    }

    /// A user's picks from their ratings, `(movie id, rating)`, best first. Picks and their
    /// "because" movies are named by movie id.
    pub fn picks(&self, ratings: &[(i64, f64)]) -> impl Iterator<Item = UserPick> + '_ {
        // The mean is over every rating; movies the model does not know can score nothing.
        let weights: Vec<(u32, f64)> = scoring::weights(ratings)
            .into_iter()
            .filter_map(|(movie, weight)| Some((*self.index.get(&movie)?, weight)))
            .collect();
        let ranking = Scorer::new(self.ids.len()).rank(&weights, |movie| &self.lists[movie as usize]);
        ranking.map(|Pick { movie, score, because }| {
            let because = because.into_iter().map(|(rated, contribution)| (self.ids[rated as usize], contribution));
            UserPick { movie_id: self.ids[movie as usize], score, because: because.collect() }
        })
    }
}

/// One pick, by movie id.
#[derive(Debug, Clone, PartialEq)]
pub struct UserPick {
    pub movie_id: i64,
    pub score: f64,
    /// The rated movies that contributed most, with their contributions, largest first.
    pub because: Vec<(i64, f64)>,
}

/// The latest model's lists, shared by the requests of one server.
#[derive(Debug, Clone, Default)]
pub struct ServedModel {
    latest: Arc<Mutex<Option<Arc<ScoringLists>>>>,
}

impl ServedModel {
    /// The lists of model `model_id`, read through `conn` if they are not held yet. Concurrent
    /// requests for a model not held yet wait for one read rather than each making their own.
    pub fn lists(&self, conn: &Connection, model_id: i64, per_movie: i64) -> Result<Arc<ScoringLists>, DbError> {
        let mut latest = self.latest.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(lists) = latest.as_ref().filter(|lists| lists.model_id == model_id) {
            return Ok(lists.clone());
        }
        // Drop the old lists before reading the new, so two models are never held at once.
        *latest = None;
        let lists = Arc::new(ScoringLists::from_rows(model_id, store::scoring_lists(conn, model_id, per_movie)?));
        *latest = Some(lists.clone());
        Ok(lists)
    }
}
