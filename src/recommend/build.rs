//! A whole build: read the ratings, compute every movie's neighbours off the async threads,
//! write them under a fresh model id in short transactions, then switch to it in one and
//! delete the models it replaced. A stop or a failure deletes the new rows and leaves the
//! previous model current.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::evaluation::{self, Report};
use super::matrix::RatingMatrix;
use super::parallel::Control;
use super::{similarity, Params};
use crate::db::jobs::now_ms;
use crate::db::recommendations::{self as store, Built, NeighbourRow, INSERT_CHUNK};
use crate::db::{Db, DbError};
use crate::model::recommendations::{ModelEvaluation, RankingFigures};

/// Builds evaluate themselves by default up to this many ratings (the evaluation is a second
/// build on the split, plus a ranking per user).
pub const EVALUATE_UP_TO_RATINGS: usize = 2_000_000;
/// Unfinished models older than this are an interrupted build's leftovers.
const LEFTOVER_AGE_MS: i64 = 86_400_000;

/// How to build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub params: Params,
    pub threads: usize,
    /// Evaluate on the held-out split too; `None`: when there are at most
    /// [`EVALUATE_UP_TO_RATINGS`] ratings.
    pub evaluate: Option<bool>,
}

/// What a finished build did.
#[derive(Debug, Clone)]
pub struct Summary {
    pub model_id: i64,
    pub data_generation: i64,
    pub movies: usize,
    pub neighbour_rows: usize,
    pub ratings: usize,
    pub ratings_used: usize,
    pub elapsed_ms: i64,
    pub evaluation: Option<Report>,
}

/// The shared state a caller follows: movies done and total, and the stop flag.
#[derive(Default)]
pub struct Tracker {
    pub done: AtomicUsize,
    pub total: AtomicUsize,
    pub stop: AtomicBool,
}

/// Runs a build; `Ok(None)` when it was stopped (the previous model stays current).
pub async fn run(db: &Db, options: BuildOptions, tracker: Arc<Tracker>) -> Result<Option<Summary>, DbError> {
    let started = Instant::now();
    let started_at = now_ms();
    let (set, generation) = db.read("recommendations.load", store::load_ratings).await?;
    tracker.total.store(set.movie_ids.len(), Ordering::Relaxed);
    let params = options.params;
    let model_id =
        db.write("recommendations.start", move |tx| store::start_model(tx, &params, generation, started_at)).await?;
    let built = compute_and_store(db, &options, set, model_id, &tracker).await;
    let (rows, evaluation, ratings, ratings_used, movies) = match built {
        Ok(Some(done)) => done,
        other => {
            discard(db, model_id).await?;
            return other.map(|_| None);
        }
    };
    let record = Built {
        built_at: now_ms(),
        build_ms: started.elapsed().as_millis() as i64,
        movies: movies as i64,
        neighbour_rows: rows as i64,
        ratings_used: ratings_used as i64,
        evaluation: evaluation.as_ref().map(figures),
    };
    let published = db
        .write("recommendations.publish", move |tx| {
            let stored: i64 = tx.query_row(
                "SELECT count(*) FROM recommendation_neighbours WHERE model_id = ?1",
                [model_id],
                |row| row.get(0),
            )?;
            if stored != record.neighbour_rows {
                return Err(DbError::Invalid(format!("model {model_id} is incomplete"), None));
            }
            store::publish(tx, model_id, &record)
        })
        .await;
    if let Err(err) = published {
        discard(db, model_id).await?;
        return Err(err);
    }
    delete_replaced(db, model_id).await?;
    Ok(Some(Summary {
        model_id,
        data_generation: generation,
        movies,
        neighbour_rows: rows,
        ratings,
        ratings_used,
        elapsed_ms: started.elapsed().as_millis() as i64,
        evaluation,
    }))
}

type Computed = (usize, Option<Report>, usize, usize, usize);

async fn compute_and_store(
    db: &Db,
    options: &BuildOptions,
    set: super::RatingSet,
    model_id: i64,
    tracker: &Arc<Tracker>,
) -> Result<Option<Computed>, DbError> {
    let (params, threads) = (options.params, options.threads.max(1));
    let evaluate = options.evaluate.unwrap_or(set.ratings.len() <= EVALUATE_UP_TO_RATINGS);
    let shared = tracker.clone();
    let computed = tokio::task::spawn_blocking(move || {
        let progress = |done: usize| shared.done.store(done, Ordering::Relaxed);
        let control = Control { threads, stop: &shared.stop, progress: &progress };
        let (users, movies) = (set.user_ids.len(), set.movie_ids.len());
        let matrix = RatingMatrix::build(&set.ratings, users, movies, &params);
        let ratings_used = matrix.ratings_used;
        let lists = similarity::neighbours(&matrix, &params, &control)?;
        drop(matrix);
        let quiet = Control { threads, stop: &shared.stop, progress: &|_: usize| {} };
        let report = match evaluate {
            true => Some(evaluation::evaluate(&set, &params, &quiet)?),
            false => None,
        };
        let with_neighbours = lists.iter().filter(|list| !list.is_empty()).count();
        let rows: Vec<NeighbourRow> = lists
            .iter()
            .enumerate()
            .flat_map(|(movie, list)| {
                let ids = &set.movie_ids;
                list.iter().enumerate().map(move |(rank, n)| {
                    (ids[movie], rank as i64 + 1, ids[n.movie as usize], n.similarity, i64::from(n.co_raters))
                })
            })
            .collect();
        Some((rows, report, set.ratings.len(), ratings_used, with_neighbours))
    })
    .await
    .map_err(|err| DbError::Invalid(format!("the recommendation build failed: {err}"), None))?;
    let Some((rows, report, ratings, ratings_used, movies)) = computed else { return Ok(None) };
    let rows = Arc::new(rows);
    for start in (0..rows.len()).step_by(INSERT_CHUNK) {
        if tracker.stop.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let rows = rows.clone();
        db.write("recommendations.insert", move |tx| {
            store::insert_neighbours(tx, model_id, &rows[start..(start + INSERT_CHUNK).min(rows.len())])
        })
        .await?;
    }
    Ok(Some((rows.len(), report, ratings, ratings_used, movies)))
}

/// Deletes a model that never became current, a span at a time.
async fn discard(db: &Db, model_id: i64) -> Result<(), DbError> {
    while db.write("recommendations.discard", move |tx| store::delete_model_step(tx, model_id)).await? {}
    Ok(())
}

/// Deletes the models `current` replaced, and interrupted builds' leftovers.
async fn delete_replaced(db: &Db, current: i64) -> Result<(), DbError> {
    let cutoff = now_ms() - LEFTOVER_AGE_MS;
    let old = db
        .read("recommendations.replaced", move |tx| {
            let mut statement = tx.prepare(
                "SELECT id FROM recommendation_models
                 WHERE id <> ?1 AND id IS NOT (SELECT model_id FROM recommendation_current WHERE id = 1)
                   AND (built_at IS NOT NULL OR started_at < ?2)",
            )?;
            let ids: Vec<i64> = statement.query_map([current, cutoff], |row| row.get(0))?.collect::<Result<_, _>>()?;
            Ok::<_, DbError>(ids)
        })
        .await?;
    for model_id in old {
        discard(db, model_id).await?;
    }
    Ok(())
}

fn figures(report: &Report) -> ModelEvaluation {
    let convert = |f: evaluation::Figures| RankingFigures { hit_rate: f.hit_rate, ndcg: f.ndcg };
    ModelEvaluation {
        users: report.users as i64,
        model: convert(report.model),
        popularity: convert(report.popularity),
        damped_mean: convert(report.damped_mean),
    }
}
