//! Building the application from its configuration, and running it until a shutdown future fires.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener};
use poem::Server;

use crate::api::auth::AdminAuth;
use crate::api::host::HostPolicy;
use crate::cache::Cache;
use crate::config::{DbConfig, ServeConfig};
use crate::db::changes::ChangeWatcher;
use crate::db::maintenance::Maintenance;
use crate::db::Db;
use crate::import::cancel::Cancel;
use crate::import::{self, generate, source, ImportError, ImportOptions};
use crate::jobs::queue::JobQueue;
use crate::jobs::running::Running;
use crate::jobs::scheduler::{code_schedules, Beat};
use crate::jobs::submit::Jobs;
use crate::jobs::{JobSettings, Workers};
use crate::net::{self, GatedAcceptor};
use crate::profiling::Inspector;
use crate::web::SessionConfig;

pub struct Application {
    db: Db,
    auth: AdminAuth,
    cache: Cache,
    acceptor: GatedAcceptor<TcpAcceptor>,
    address: SocketAddr,
    max_connections: usize,
    hosts: HostPolicy,
    public_url: Option<String>,
    shutdown_grace: Duration,
    prior_refresh: Duration,
    recommendations_every: Duration,
    jobs: Jobs,
    /// The workers' settings; `None` when this process runs none (`--no-worker`, read-only).
    workers: Option<JobSettings>,
    /// Whether this process runs the scheduler (not with `--no-scheduler`, nor read-only).
    scheduler: bool,
    sessions: SessionConfig,
    inspector: Inspector,
}

impl Application {
    /// Binds the socket, then opens and migrates the database and loads data into it if it has
    /// none. Binding comes first so that a taken port fails before any file is created or changed.
    pub async fn build(db_config: &DbConfig, serve: &ServeConfig) -> anyhow::Result<Self> {
        Self::build_with_cancel(db_config, serve, &Cancel::default()).await
    }

    /// Like [`Application::build`]; `cancel` stops a first-start import, which then rolls back.
    pub async fn build_with_cancel(db_config: &DbConfig, serve: &ServeConfig, cancel: &Cancel) -> anyhow::Result<Self> {
        let configured = serve.admin_token.as_ref().map(|secret| secret.0.clone());
        if let Some(token) = &configured {
            // Refused before any work, not after a long first import.
            AdminAuth::configured(token).map_err(|err| anyhow::anyhow!("{err}"))?;
        }
        let (listener, address) = bind(&serve.bind).await?;
        let max_connections =
            net::connection_cap(serve.connections.max_connections, net::raise_open_file_limit(), db_config.pool_size);
        if (max_connections as u64) < serve.connections.max_connections {
            tracing::warn!(max_connections, "--max-connections lowered to fit the open-file limit");
        }
        let acceptor = GatedAcceptor::new(listener, max_connections, serve.connections.deadlines());
        let hosts = host_policy(serve, address);
        crate::db::backup::configure_dir(&db_config.path, db_config.backup_dir.as_deref());
        let (db_config, read_only) = (db_config.clone(), serve.read_only);
        let path = db_config.path.display().to_string();
        let db = tokio::task::spawn_blocking(move || match read_only {
            true => Db::open_read_only(&db_config),
            false => Db::open(&db_config),
        })
        .await?
        .with_context(|| format!("opening the database {path}"))?;
        if read_only {
            tracing::warn!(db = %path, "serving read-only: no migration, no initial import, writes answer 503");
        } else {
            ensure_data(&db, serve.data.clone(), cancel.clone()).await?;
        }
        let auth = admin_auth(&db, configured).await?;
        let cache = Cache::new(&serve.cache).await?;
        let (inspector_config, db_path) = (serve.inspector.clone(), db.path().to_path_buf());
        let inspector = tokio::task::spawn_blocking(move || {
            // A request inspector that cannot write (a read-only disk) must not stop the server.
            Inspector::open(&inspector_config, &db_path).unwrap_or_else(|err| {
                tracing::warn!(error = %err, "the request inspector is off: its file cannot be opened");
                Inspector::off(&inspector_config)
            })
        })
        .await?;
        let settings = serve.jobs.settings();
        let jobs = Jobs {
            queue: JobQueue::new(db.clone()),
            running: Running::default(),
            max_queued: serve.jobs.max_queued_tasks,
            lease: settings.lease,
        };
        if !read_only && serve.recommendations_at_start {
            queue_first_recommendations(&jobs.queue).await;
        }
        let workers = (!serve.no_worker && !read_only).then_some(settings);
        let scheduler = !serve.jobs.no_scheduler && !read_only;
        Ok(Self {
            db,
            auth,
            cache,
            acceptor,
            address,
            max_connections,
            hosts,
            public_url: serve.public_url.clone(),
            shutdown_grace: Duration::from_secs(serve.shutdown_grace_secs),
            prior_refresh: Duration::from_secs(serve.prior_refresh_secs),
            recommendations_every: Duration::from_secs(serve.recommendations_every_secs),
            jobs,
            workers,
            scheduler,
            sessions: serve.sessions,
            inspector,
        })
    }

    /// The bound address (with the real port when the configuration asked for port 0).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves requests until `shutdown` completes, then lets in-flight requests finish.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send) -> std::io::Result<()> {
        let local_url = format!("http://{}", self.address);
        let server_url = self.public_url.unwrap_or_else(|| local_url.clone());
        let routes = crate::api::routes::app(
            self.db.clone(),
            self.auth,
            self.cache.clone(),
            self.jobs.clone(),
            &server_url,
            self.hosts,
            self.sessions,
            self.inspector,
        );
        let maintenance = Maintenance::start(&self.db);
        let mut schedules = code_schedules(self.prior_refresh);
        schedules.push(crate::jobs::tasks::recommendations::schedule(self.recommendations_every));
        let beat = self.scheduler.then(|| Beat::start(self.jobs.clone(), schedules));
        let workers = self
            .workers
            .as_ref()
            .map(|settings| Workers::start(self.jobs.queue.clone(), self.jobs.running.clone(), settings));
        let watcher = tokio::spawn(bump_on_outside_writes(self.db.path().to_path_buf(), self.cache));
        tracing::info!(
            address = %self.address,
            docs = %format!("{local_url}/docs"),
            max_connections = self.max_connections,
            "listening"
        );
        let served = Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(routes, shutdown, Some(self.shutdown_grace))
            .await;
        if let Some(beat) = beat {
            beat.stop().await;
        }
        if let Some(workers) = workers {
            workers.shutdown(self.shutdown_grace).await;
        }
        maintenance.stop();
        watcher.abort();
        served
    }
}

/// How often the database file is checked for commits the API did not make.
const CHANGE_CHECK_INTERVAL: Duration = Duration::from_millis(250);

/// Bumps the cache's data version when anything commits to the database: another process on the
/// same file, or this one's background rescoring. Writes through the API bump it themselves,
/// before they answer (`api::invalidation`); this catches the rest within a check interval.
async fn bump_on_outside_writes(path: PathBuf, cache: Cache) {
    let opened = tokio::task::spawn_blocking(move || ChangeWatcher::open(&path)).await;
    let Ok(Ok(mut watcher)) = opened else {
        tracing::warn!("cannot watch the database for outside writes; the cache sees only the API's");
        return;
    };
    let mut interval = tokio::time::interval(CHANGE_CHECK_INTERVAL);
    loop {
        interval.tick().await;
        let checked = tokio::task::spawn_blocking(move || {
            let changed = watcher.changed();
            (watcher, changed)
        })
        .await;
        let Ok((returned, changed)) = checked else { return };
        watcher = returned;
        match changed {
            Ok(true) => {
                cache.bump_data_version().await;
            }
            Ok(false) => {}
            Err(err) => tracing::warn!(error = %err, "checking the database for outside writes failed"),
        }
    }
}

/// The configured token, else the stored one, else a new one, printed this once. A read-only
/// database cannot store one; its writes are refused anyway.
async fn admin_auth(db: &Db, configured: Option<String>) -> anyhow::Result<AdminAuth> {
    let read_only = db.is_read_only();
    let (auth, new_token) = db
        .run("admin_token", move |conn| match read_only {
            true => AdminAuth::load(conn, configured.as_deref()).map(|auth| (auth, None)),
            false => AdminAuth::load_or_create(conn, configured.as_deref()),
        })
        .await
        .map_err(|err| anyhow::anyhow!("setting up the admin token: {err}"))?;
    if let Some(token) = new_token {
        // Shown this once: only its hash is stored. Not logged, so it stays out of log files.
        eprintln!(
            "\nAdmin token (send as `Authorization: Bearer <token>`; shown only now):\n\n    {token}\n\n\
             Set MOVIELENS_ADMIN_TOKEN to choose your own.\n"
        );
    }
    Ok(auth)
}

/// Binds `host:port`, resolving a host name; the first address that binds is used.
async fn bind(bind: &str) -> anyhow::Result<(TcpAcceptor, SocketAddr)> {
    let acceptor =
        TcpListener::bind(bind.to_string()).into_acceptor().await.with_context(|| format!("binding {bind}"))?;
    let address = acceptor
        .local_addr()
        .first()
        .and_then(|addr| addr.as_socket_addr().copied())
        .context("the listener has no TCP address")?;
    Ok((acceptor, address))
}

/// The Host check: by default the loopback names, the bind host and the public URL's host.
fn host_policy(serve: &ServeConfig, address: SocketAddr) -> HostPolicy {
    let bind_host = serve.bind.rsplit_once(':').map_or(serve.bind.as_str(), |(host, _)| host);
    let public_host = serve.public_url.as_deref().and_then(|url| url.split('/').nth(2)).map(|authority| {
        authority
            .rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(authority, |(host, _)| host)
    });
    let defaults: Vec<String> = [Some(bind_host), Some(&address.ip().to_string()), public_host]
        .into_iter()
        .flatten()
        .map(String::from)
        .collect();
    HostPolicy::new(&serve.allowed_hosts, &defaults, serve.public_url.clone(), serve.trust_proxy)
}

/// Loads the demo data, or the `--data` import, into a database that holds no movies. `cancel`
/// stops it part-way (a shutdown signal during start): the load rolls back and this fails.
async fn ensure_data(db: &Db, data: Option<PathBuf>, cancel: Cancel) -> anyhow::Result<()> {
    if db.run("has_movies", |conn| import::has_movies(conn)).await? {
        return Ok(());
    }
    let summary = db
        .run("initial_import", move |conn| -> Result<_, ImportError> {
            let mut source: Box<dyn source::DatasetSource> = match &data {
                Some(path) => source::open_path(path)?,
                None => Box::new(generate::in_memory(&generate::GeneratorConfig::default())?),
            };
            import::load(conn, source.as_mut(), ImportOptions { cancel, ..ImportOptions::default() })
        })
        .await;
    let summary = match summary {
        // Another process filled the database between our check and our load: use its data.
        Err(ImportError::NotEmpty { .. }) => return Ok(()),
        other => other?,
    };
    tracing::info!(
        source = %summary.source,
        movies = summary.movies,
        ratings = summary.ratings,
        elapsed_ms = summary.elapsed.as_millis() as u64,
        "the database was empty, so it was loaded"
    );
    tracing::info!(
        "to use the real MovieLens data instead: `movielens import --replace --dataset ml-latest-small`, \
         or `movielens import --replace PATH` with a downloaded folder or zip"
    );
    Ok(())
}

/// Queues the first recommendation build if one is due; a failure is only logged: the schedule
/// builds later, and the server serves meanwhile.
async fn queue_first_recommendations(queue: &JobQueue) {
    match crate::jobs::tasks::recommendations::queue_first_build(queue).await {
        Ok(Some(task)) => tracing::info!(%task, "queued a recommendations.build: the data has no model yet"),
        Ok(None) => {}
        Err(err) => tracing::warn!(error = %err, "could not queue the first recommendations.build"),
    }
}

/// A future that completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed when this
/// is called, not when the future is first polled, so a signal that arrives while the server is
/// still starting is not lost to the default action.
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("SIGINT received, shutting down"),
            _ = terminate.recv() => tracing::info!("SIGTERM received, shutting down"),
        }
    })
}
