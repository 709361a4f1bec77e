//! The subcommands: what `movielens serve|import|generate|openapi` do.

use std::process::ExitCode;

use anyhow::Context;

use crate::config::{
    BackupConfig, Cli, Command, DbConfig, GenerateConfig, ImportConfig, RestoreConfig, ServeConfig, WorkerConfig,
};
use crate::db::Db;
use crate::import::cancel::{self, Cancel};
use crate::import::{self, download, generate, source, ImportOptions};
use crate::startup::{self, Application};

pub fn run(cli: Cli) -> ExitCode {
    let (span_layer, flame) = match &cli.command {
        Some(Command::Serve(serve_config)) => (serve_config.span_layer, serve_config.flame.clone()),
        _ => (true, None),
    };
    let flame_file = match crate::telemetry::init_with(cli.log_format, span_layer, flame.as_deref()) {
        Ok(guard) => guard,
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    crate::db::backup::configure_dir(&cli.db.path, cli.db.backup_dir.as_deref());
    let result = match cli.command.expect("Cli::parse_or_serve always names a subcommand") {
        Command::Serve(serve_config) => serve(&cli.db, &serve_config),
        Command::Import(import_config) => import(&cli.db, &import_config),
        Command::Generate(generate_config) => generate(&generate_config),
        Command::Worker(worker_config) => worker(&cli.db, &worker_config),
        Command::Recommend(command) => recommend(&cli.db, &command),
        Command::Backup(config) => backup(&cli.db, &config),
        Command::Restore(config) => restore(&cli.db, &config),
        Command::Openapi => {
            println!("{}", crate::api::spec_json());
            Ok(())
        }
        Command::Flamegraph(config) => crate::profiling::flame::render::run(&config),
    };
    // The server has stopped: write out the rest of the `--flame` file.
    drop(flame_file);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(db_config: &DbConfig, serve_config: &ServeConfig) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let shutdown = startup::shutdown_signal()?;
        tokio::pin!(shutdown);
        let cancel = Cancel::default();
        let build = Application::build_with_cancel(db_config, serve_config, &cancel);
        tokio::pin!(build);
        let app = tokio::select! {
            app = &mut build => app?,
            () = &mut shutdown => {
                // A signal during start: stop the first import, if one runs (it rolls back and
                // `build` fails with the reason), and do not serve.
                cancel.request();
                build.await?;
                tracing::info!("stopped before serving");
                return Ok(());
            }
        };
        app.run_until_stopped(shutdown).await?;
        tracing::info!("stopped");
        Ok(())
    })
}

/// Workers without HTTP, until SIGINT or SIGTERM; then the running tasks get the grace period.
fn worker(db_config: &DbConfig, config: &WorkerConfig) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let shutdown = startup::shutdown_signal()?;
        let db_config = db_config.clone();
        let path = db_config.path.display().to_string();
        let db = tokio::task::spawn_blocking(move || Db::open(&db_config))
            .await?
            .with_context(|| format!("opening the database {path}"))?;
        let queue = crate::jobs::queue::JobQueue::new(db);
        let running = crate::jobs::running::Running::default();
        let settings = config.jobs.settings();
        let jobs = crate::jobs::submit::Jobs {
            queue: queue.clone(),
            running: running.clone(),
            max_queued: config.jobs.max_queued_tasks,
            lease: settings.lease,
        };
        let workers = crate::jobs::Workers::start(queue, running, &settings);
        // The server writes the code's schedules; a worker only fires what the table holds.
        let beat = match config.jobs.no_scheduler {
            true => None,
            false => Some(crate::jobs::scheduler::Beat::start(jobs, Vec::new())),
        };
        shutdown.await;
        if let Some(beat) = beat {
            beat.stop().await;
        }
        workers.shutdown(std::time::Duration::from_secs(config.shutdown_grace_secs)).await;
        tracing::info!("stopped");
        Ok(())
    })
}

fn import(db_config: &DbConfig, config: &ImportConfig) -> anyhow::Result<()> {
    let cancel = Cancel::default();
    cancel::stop_on_signals(cancel.clone()).context("installing the SIGINT and SIGTERM handlers")?;
    // One connection: the import is a single transaction on it.
    let db = Db::open(&DbConfig { pool_size: 1, ..db_config.clone() })
        .with_context(|| format!("opening the database {}", db_config.path.display()))?;
    let options =
        ImportOptions { replace: config.replace, progress: true, cancel: cancel.clone(), ..ImportOptions::default() };
    let summary = match (&config.path, config.dataset) {
        (Some(path), _) => import::import(&db, source::open_path(path)?.as_mut(), options)?,
        (None, Some(dataset)) => {
            let (_download, mut zip) =
                download::fetch(&config.dataset_base_url, dataset, &config.download, options.progress, &cancel)?;
            import::import(&db, &mut zip, options)?
        }
        (None, None) => anyhow::bail!("give a PATH or --dataset"),
    };
    println!("{summary}");
    // No workers run here: the task waits in the file for the next server or `movielens worker`.
    let queued = db.with_conn(|conn| {
        let tx = conn.transaction().map_err(crate::db::DbError::from)?;
        let task = crate::jobs::tasks::recommendations::queue_build_in(&tx)?;
        tx.commit().map_err(crate::db::DbError::from)?;
        // As the import left it: one file, nothing waiting in the log.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).map_err(crate::db::DbError::from)?;
        Ok::<_, crate::db::DbError>(task)
    });
    match queued {
        Ok(task) => {
            println!("Queued recommendations.build ({task}): the next server or `movielens worker` builds the model")
        }
        Err(err) => {
            eprintln!("warning: could not queue the recommendation build ({err}); the next server start queues it")
        }
    }
    Ok(())
}

/// `recommend build|evaluate` on every core (or `--threads`).
fn recommend(db_config: &DbConfig, command: &crate::recommend::options::RecommendCommand) -> anyhow::Result<()> {
    use crate::recommend::{command, options::RecommendCommand};
    let db = Db::open(db_config).with_context(|| format!("opening the database {}", db_config.path.display()))?;
    match command {
        RecommendCommand::Build(args) => command::build(db, args),
        RecommendCommand::Evaluate(args) => command::evaluate(db, args),
    }
}

/// `backup [PATH]`: reads the live database only, so it runs beside a server.
fn backup(db_config: &DbConfig, config: &BackupConfig) -> anyhow::Result<()> {
    use crate::db::backup;
    let started = std::time::Instant::now();
    let (made, dir) = match &config.path {
        Some(path) if !path.is_dir() => (backup::copy_to(&db_config.path, path)?, None),
        Some(dir) => (backup::create_in(&db_config.path, dir)?, Some(dir.clone())),
        None => {
            let dir = backup::dir_for(&db_config.path);
            (backup::create_in(&db_config.path, &dir)?, Some(dir))
        }
    };
    let written = dir.map_or_else(|| config.path.clone().unwrap_or_default(), |dir| dir.join(&made.name));
    println!(
        "Backed up {} to {} ({} bytes, schema version {}) in {:.2} s",
        db_config.path.display(),
        written.display(),
        made.size_bytes,
        made.schema_version.unwrap_or(0),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `restore PATH`: checks the backup, then swaps it in; refused while the database is open.
fn restore(db_config: &DbConfig, config: &RestoreConfig) -> anyhow::Result<()> {
    let restored = crate::db::backup::restore::restore(&config.path, &db_config.path)?;
    println!(
        "Restored {} into {} (schema version {}, {} movies); the next start migrates it if needed",
        config.path.display(),
        db_config.path.display(),
        restored.schema_version,
        restored.movies
    );
    Ok(())
}

fn generate(config: &GenerateConfig) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    generate::write_to_dir(&config.shape, &config.out)?;
    println!(
        "Wrote {} movies, {} users, {} ratings and {} tags to {} in {:.2} s",
        config.shape.movies,
        config.shape.users,
        config.shape.ratings,
        config.shape.tags,
        config.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
