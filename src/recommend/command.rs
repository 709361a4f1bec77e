//! `movielens recommend build|evaluate`: the build with a progress bar on every core, and the
//! evaluation's figures printed as a table.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::build::{self, BuildOptions, Tracker};
use super::evaluation::Report;
use super::options::{BuildArgs, ModelArgs};
use super::parallel::Control;
use crate::db::{recommendations as store, Db};
use crate::import::cancel::{self, Cancel};

/// Builds the model and makes it current; Ctrl-C stops it and leaves the previous model.
pub fn build(db: Db, args: &BuildArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let options = BuildOptions { params: args.model.params(), threads: args.model.threads(), evaluate: args.evaluate };
    let tracker = Arc::new(Tracker::default());
    let cancel = stop_on_signals()?;
    let bar = bar();
    let summary = runtime.block_on(async {
        let watcher = {
            let (tracker, bar, cancel) = (tracker.clone(), bar.clone(), cancel.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    if cancel.is_requested() {
                        tracker.stop.store(true, Ordering::Relaxed);
                    }
                    bar.set_length(tracker.total.load(Ordering::Relaxed) as u64);
                    bar.set_position(tracker.done.load(Ordering::Relaxed) as u64);
                }
            })
        };
        let summary = build::run(&db, options, tracker).await;
        watcher.abort();
        summary
    });
    bar.finish_and_clear();
    let Some(summary) = summary? else { anyhow::bail!("stopped: the previous model is still the current one") };
    println!(
        "Built model {} from {} ratings ({} counted) in {:.2} s: {} movies with neighbours, {} pairs (data version {})",
        summary.model_id,
        summary.ratings,
        summary.ratings_used,
        summary.elapsed_ms as f64 / 1000.0,
        summary.movies,
        summary.neighbour_rows,
        summary.data_generation,
    );
    if let Some(report) = &summary.evaluation {
        print_report(report);
    }
    Ok(())
}

/// Prints the held-out evaluation of the given parameters; stores nothing.
pub fn evaluate(db: Db, args: &ModelArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let (set, _) = db.with_conn(|conn| {
        let tx = conn.transaction().map_err(crate::db::DbError::from)?;
        store::load_ratings(&tx)
    })?;
    let cancel = stop_on_signals()?;
    let stop = std::sync::atomic::AtomicBool::new(false);
    let report = std::thread::scope(|scope| {
        scope.spawn(|| {
            while !cancel.is_requested() && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
            }
            stop.store(true, Ordering::Relaxed);
        });
        let control = Control { threads: args.threads(), stop: &stop, progress: &|_| {} };
        let report = super::evaluation::evaluate(&set, &args.params(), &control);
        stop.store(true, Ordering::Relaxed);
        report
    });
    // The watcher set the flag on its way out: a report means the evaluation ran to its end.
    let report = report.filter(|_| !cancel.is_requested()).context("stopped")?;
    println!(
        "Evaluated {} users ({} ratings; k={}, min co-raters {}, {}, at most {} ratings a user) in {:.2} s",
        report.users,
        set.ratings.len(),
        args.neighbours,
        args.min_co_raters,
        args.normalization.as_str(),
        args.max_user_ratings,
        started.elapsed().as_secs_f64()
    );
    print_report(&report);
    Ok(())
}

fn print_report(report: &Report) {
    println!("{:<12} {:>8} {:>8}", "ranking", "HR@10", "NDCG@10");
    for (name, figures) in
        [("model", report.model), ("popularity", report.popularity), ("damped-mean", report.damped_mean)]
    {
        println!("{name:<12} {:>8.4} {:>8.4}", figures.hit_rate, figures.ndcg);
    }
}

fn stop_on_signals() -> anyhow::Result<Cancel> {
    let cancel = Cancel::default();
    cancel::stop_on_signals(cancel.clone()).context("installing the SIGINT and SIGTERM handlers")?;
    Ok(cancel)
}

/// Movies done out of all, drawn only when stderr is a terminal.
fn bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} movies {per_sec} eta {eta}")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar.set_message("similarities");
    bar
}
