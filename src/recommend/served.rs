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
//!
//! The titles and genres that name the picks are kept too, for one data version at a time: each
//! request reads the version in its transaction, and a request at a newer version drops the names
//! held for an older one. A request never sees a name from a snapshot other than its own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use foldhash::fast::FixedState;
use rusqlite::Connection;

use super::scoring::{self, Lists, Pick, Scorer};
use crate::db::recommendations as store;
use crate::db::DbError;
use crate::model::recommendations::MovieRef;

/// One model's scoring lists over dense movie indices, in the order of the movie ids.
#[derive(Debug)]
pub struct ScoringLists {
    pub model_id: i64,
    /// Movie id of each index.
    ids: Vec<i64>,
    /// Index of each movie id. Hashed with foldhash: a heavy user's request looks up thousands
    /// of ids, and the keys come from the database, not from clients.
    index: HashMap<i64, u32, FixedState>,
    /// Each movie's first neighbours, best first (empty for a movie that is only a neighbour).
    lists: Lists,
    /// Scorers not in use: each holds buffers the size of the catalogue, so requests reuse them.
    idle_scorers: Mutex<Vec<Scorer>>,
}

impl ScoringLists {
    /// Lists from `(movie, neighbour, similarity)` rows in movie order, each movie's best first.
    fn from_rows(model_id: i64, rows: Vec<(i64, i64, f64)>) -> Self {
        let mut ids: Vec<i64> = rows.iter().flat_map(|&(movie, neighbour, ..)| [movie, neighbour]).collect();
        ids.sort_unstable();
        ids.dedup();
        let index: HashMap<i64, u32, FixedState> = ids.iter().enumerate().map(|(at, &id)| (id, at as u32)).collect();
        // Dense indices follow the ids' order, so the rows' movie order carries over.
        let links =
            rows.into_iter().map(|(movie, neighbour, similarity)| (index[&movie], index[&neighbour], similarity));
        let lists = Lists::from_links(ids.len(), links);
        ScoringLists { model_id, ids, index, lists, idle_scorers: Mutex::default() }
    }

    /// A user's picks from their ratings, `(movie id, rating)`, best first. Picks and their
    /// "because" movies are named by movie id.
    pub fn picks(&self, ratings: &[(i64, f64)]) -> Picks<'_> {
        // The mean is over every rating; movies the model does not know can score nothing.
        let weights: Vec<(u32, f64)> = scoring::weights(ratings)
            .into_iter()
            .filter_map(|(movie, weight)| Some((*self.index.get(&movie)?, weight)))
            .collect();
        let idle = self.idle_scorers.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
        let mut scorer = idle.unwrap_or_else(|| Scorer::new(self.ids.len()));
        scorer.score(&weights, &self.lists);
        Picks { lists: self, scorer: Some(scorer) }
    }
}

/// A user's picks, best first. Dropping it hands its scorer back for the next request.
pub struct Picks<'a> {
    lists: &'a ScoringLists,
    /// Always `Some` until dropped.
    scorer: Option<Scorer>,
}

impl Iterator for Picks<'_> {
    type Item = UserPick;

    fn next(&mut self) -> Option<UserPick> {
        let Pick { movie, score, because } = self.scorer.as_mut()?.next_pick()?;
        let ids = &self.lists.ids;
        let because = because.into_iter().map(|(rated, contribution)| (ids[rated as usize], contribution));
        Some(UserPick { movie_id: ids[movie as usize], score, because: because.collect() })
    }
}

impl Drop for Picks<'_> {
    fn drop(&mut self) {
        if let Some(mut scorer) = self.scorer.take() {
            scorer.clear();
            self.lists.idle_scorers.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(scorer);
        }
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

/// The latest model's lists, and movie names, shared by the requests of one server.
#[derive(Debug, Clone, Default)]
pub struct ServedModel {
    latest: Arc<Mutex<Option<Arc<ScoringLists>>>>,
    names: Arc<Mutex<Names>>,
}

/// Titles and genres of the movies named so far, as of one data version.
#[derive(Debug, Default)]
struct Names {
    data_generation: i64,
    movies: HashMap<i64, Arc<MovieRef>, FixedState>,
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

    /// Titles and genres of the movies among `ids` that exist, as `conn`'s snapshot sees them:
    /// `data_generation` must be the data version read in that snapshot. Names held for that
    /// version are used; the others are read through `conn`, and kept.
    pub fn movie_refs(
        &self,
        conn: &Connection,
        data_generation: i64,
        ids: &[i64],
    ) -> Result<HashMap<i64, Arc<MovieRef>>, DbError> {
        let mut found = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        {
            let names = self.names.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let held = (names.data_generation == data_generation).then_some(&names.movies);
            for &id in ids {
                match held.and_then(|movies| movies.get(&id)) {
                    Some(movie) => drop(found.insert(id, movie.clone())),
                    None => missing.push(id),
                }
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        let read: Vec<(i64, Arc<MovieRef>)> =
            store::movie_refs(conn, &missing)?.into_iter().map(|(id, movie)| (id, Arc::new(movie))).collect();
        let mut names = self.names.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if names.data_generation < data_generation {
            *names = Names { data_generation, movies: HashMap::default() };
        }
        if names.data_generation == data_generation {
            names.movies.extend(read.iter().cloned());
        }
        found.extend(read);
        Ok(found)
    }
}
