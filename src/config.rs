//! Command-line and environment configuration: one clap tree, every flag also a `MOVIELENS_*` variable.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::cache::CacheConfig;
use crate::import::download::DownloadConfig;
use crate::import::generate::GeneratorConfig;
pub use crate::jobs::config::JobsConfig;
use crate::net::ConnectionLimits;
use crate::web::SessionConfig;

#[derive(Debug, Parser)]
#[command(name = "movielens", version, about = "A REST server for the MovieLens data set, over SQLite.")]
pub struct Cli {
    #[command(flatten)]
    pub db: DbConfig,

    /// Log output format.
    #[arg(long, env = "MOVIELENS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// Always set after [`Cli::parse_or_serve`]; `None` only from a bare clap parse.
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// Parses the command line; without a subcommand it is `serve`, so `movielens --bind ...`
    /// works. Serve options live only under `serve`, so their variables never reach other commands.
    pub fn parse_or_serve() -> Self {
        Self::parse_or_serve_from(std::env::args_os())
    }

    pub fn parse_or_serve_from(args: impl IntoIterator<Item = impl Into<OsString>>) -> Self {
        use clap::error::ErrorKind;
        let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        match Self::try_parse_from(&args) {
            Ok(cli) if cli.command.is_some() => return cli,
            Ok(_) => {}
            // `movielens --bind ...`: a serve option without `serve`. After another subcommand
            // the error stands (`movielens import --bind ...`).
            Err(err) if err.kind() == ErrorKind::UnknownArgument && !names_a_subcommand(&args) => {}
            Err(err) => err.exit(),
        }
        // The global options (`--db`, `--log-format`, ...) are accepted after the subcommand too.
        let mut with_serve = args;
        with_serve.insert(1.min(with_serve.len()), OsString::from("serve"));
        Self::parse_from(with_serve)
    }
}

fn names_a_subcommand(args: &[OsString]) -> bool {
    use clap::CommandFactory;
    let command = Cli::command();
    let names: Vec<&str> = command.get_subcommands().map(|subcommand| subcommand.get_name()).collect();
    args.iter().skip(1).any(|arg| arg.to_str().is_some_and(|arg| names.contains(&arg) || arg == "help"))
}

// Parsed once at start: the size of the serve variant costs nothing worth boxing it for.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the REST API (the default when no subcommand is given).
    Serve(ServeConfig),
    /// Import a MovieLens data set (a folder, a .zip, or an official download) into the database.
    Import(ImportConfig),
    /// Write a synthetic data set in MovieLens CSV format.
    Generate(GenerateConfig),
    /// Run background workers (and the scheduler) without HTTP, beside a server on the same
    /// database file.
    Worker(WorkerConfig),
    /// Copy the live database to PATH (default: a new file in the backup folder), consistently,
    /// while a server may be running on it.
    Backup(BackupConfig),
    /// Replace the database with a backup, after checking it. The server must be stopped.
    Restore(RestoreConfig),
    /// Print the OpenAPI specification as JSON.
    Openapi,
    /// Build or evaluate the item-item recommendation model.
    #[command(subcommand)]
    Recommend(crate::recommend::options::RecommendCommand),
    /// Draw a folded-stacks file (from `serve --flame`) as an SVG flamegraph on stdout.
    Flamegraph(crate::profiling::flame::render::FlamegraphConfig),
}

#[derive(Debug, Clone, Args)]
pub struct WorkerConfig {
    #[command(flatten)]
    pub jobs: JobsConfig,

    /// Seconds to let running tasks finish after SIGINT or SIGTERM; the rest are queued again.
    #[arg(long, env = "MOVIELENS_SHUTDOWN_GRACE", default_value_t = 10)]
    pub shutdown_grace_secs: u64,
}

#[derive(Debug, Clone, Args)]
pub struct BackupConfig {
    /// The backup file to write (must not exist), or a folder to write a new one into.
    #[arg(env = "MOVIELENS_BACKUP_PATH")]
    pub path: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct RestoreConfig {
    /// The backup to restore: it must pass `PRAGMA integrity_check`, be a movielens database and
    /// carry no newer schema than this binary knows.
    #[arg(env = "MOVIELENS_RESTORE_PATH")]
    pub path: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Where the database lives and how its connections are pooled.
#[derive(Debug, Clone, Args)]
pub struct DbConfig {
    /// SQLite database file; created and migrated if missing.
    #[arg(id = "db", long = "db", env = "MOVIELENS_DB", default_value = "movielens.db", global = true)]
    pub path: PathBuf,

    /// Connections kept in the pool, which is how many reads run at once (writes have their own
    /// connection). Reads are CPU-bound on a warm cache, so the default is the number of cores:
    /// more only time-slices them, and lengthens the writes' tail under mixed load.
    #[arg(
        id = "db_pool_size",
        long = "db-pool-size",
        env = "MOVIELENS_DB_POOL_SIZE",
        default_value_t = default_pool_size(),
        global = true
    )]
    pub pool_size: u32,

    /// Seconds a pooled connection is reused before it is replaced (Django's CONN_MAX_AGE); 0 opens
    /// a fresh connection for each unit of work and closes it afterwards, like CONN_MAX_AGE = 0.
    #[arg(
        id = "db_conn_max_age",
        long = "db-conn-max-age",
        env = "MOVIELENS_DB_CONN_MAX_AGE",
        default_value_t = 600,
        global = true
    )]
    pub conn_max_age_secs: u64,

    /// Record every statement's SQL and time: the query lab's counts and each request's. Turn it
    /// off only to measure what recording costs; the lab then says it counted nothing.
    #[arg(
        id = "statement_recorder",
        long = "statement-recorder",
        env = "MOVIELENS_STATEMENT_RECORDER",
        default_value_t = true,
        action = clap::ArgAction::Set,
        global = true
    )]
    pub statement_recorder: bool,

    /// Folder for backups (`backup`, `POST /api/admin/backups`, the `backup.create` task).
    /// Default: `backups/` beside the database file.
    #[arg(id = "backup_dir", long = "backup-dir", env = "MOVIELENS_BACKUP_DIR", global = true)]
    pub backup_dir: Option<PathBuf>,
}

/// The number of cores, at least 2.
fn default_pool_size() -> u32 {
    std::thread::available_parallelism().map_or(2, |cores| u32::try_from(cores.get()).unwrap_or(u32::MAX)).max(2)
}

impl DbConfig {
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            pool_size: default_pool_size(),
            conn_max_age_secs: 600,
            statement_recorder: true,
            backup_dir: None,
        }
    }

    pub fn conn_max_age(&self) -> Duration {
        Duration::from_secs(self.conn_max_age_secs)
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on, `host:port`; a host name is resolved (`localhost:8000`).
    #[arg(long, env = "MOVIELENS_BIND", default_value = "127.0.0.1:8000", value_parser = parse_bind)]
    pub bind: String,

    /// Host names the server answers to, comma-separated (Django's ALLOWED_HOSTS): `*` allows any,
    /// `.example.com` also its subdomains. Default: localhost, 127.0.0.1, ::1, the --bind host and
    /// the --public-url host. Other hosts get 400.
    #[arg(long, env = "MOVIELENS_ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,

    /// The base of every absolute link and of the spec's server URL, e.g.
    /// `https://movies.example/base` behind a reverse proxy. Default: from the request.
    #[arg(long, env = "MOVIELENS_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,

    /// Believe `X-Forwarded-Host` and `X-Forwarded-Proto` (only behind a proxy that sets them).
    #[arg(long, env = "MOVIELENS_TRUST_PROXY")]
    pub trust_proxy: bool,

    #[command(flatten)]
    pub connections: ConnectionLimits,

    #[command(flatten)]
    pub cache: CacheConfig,

    #[command(flatten)]
    pub sessions: SessionConfig,

    /// A MovieLens folder or .zip to import when the database holds no movies (default: the demo data).
    #[arg(long, env = "MOVIELENS_DATA")]
    pub data: Option<PathBuf>,

    /// The admin token writes require. Without it, one is generated at the first start, printed
    /// once and stored hashed.
    #[arg(long, env = "MOVIELENS_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<Secret>,

    /// Seconds to let in-flight requests finish after SIGINT or SIGTERM.
    #[arg(long, env = "MOVIELENS_SHUTDOWN_GRACE", default_value_t = 10)]
    pub shutdown_grace_secs: u64,

    /// Seconds between refreshes of the top-rated prior (the mean of all ratings) and the
    /// rescoring of every movie against it, skipped when no rating changed: the interval of the
    /// seed's `scheduled_task_every_3_min` schedule, which the scheduler runs.
    #[arg(long, env = "MOVIELENS_PRIOR_REFRESH", default_value_t = 180, value_parser = clap::value_parser!(u64).range(1..))]
    pub prior_refresh_secs: u64,

    /// Seconds between runs of the `recommendations_refresh` schedule, which rebuilds the
    /// recommendation model when the data changed since the current one.
    #[arg(long, env = "MOVIELENS_RECOMMENDATIONS_EVERY", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    pub recommendations_every_secs: u64,

    /// At start, queue a `recommendations.build` when the data has ratings but no model built
    /// from it and none is queued or running, so that the recommendation endpoints stop
    /// answering 503 by themselves.
    #[arg(long, env = "MOVIELENS_RECOMMENDATIONS_AT_START", default_value_t = true, action = clap::ArgAction::Set)]
    pub recommendations_at_start: bool,

    /// Serve an existing database without writing to it (e.g. on a read-only disk): no migration,
    /// no initial import, and writes answer 503.
    #[arg(long, env = "MOVIELENS_READ_ONLY")]
    pub read_only: bool,

    /// Run no background workers in this process (tasks wait for a `movielens worker`).
    #[arg(long, env = "MOVIELENS_NO_WORKER")]
    pub no_worker: bool,

    #[command(flatten)]
    pub jobs: JobsConfig,

    /// Write folded stacks of every span (requests, units of work, cache calls, jobs) to this
    /// file for the whole run, flushed at shutdown; draw them with `movielens flamegraph FILE`.
    #[arg(long, env = "MOVIELENS_FLAME", value_name = "FILE")]
    pub flame: Option<PathBuf>,

    /// Install the span layer that flamegraph captures and `?profile=true` switch on (it costs
    /// nothing until then). Turn it off only to measure that; captures then come back empty.
    #[arg(long, env = "MOVIELENS_SPAN_LAYER", default_value_t = true, action = clap::ArgAction::Set)]
    pub span_layer: bool,

    #[command(flatten)]
    pub inspector: crate::profiling::InspectorConfig,
}

impl ServeConfig {
    pub fn on(bind: SocketAddr) -> Self {
        Self {
            bind: bind.to_string(),
            allowed_hosts: Vec::new(),
            public_url: None,
            trust_proxy: false,
            connections: ConnectionLimits::default(),
            cache: CacheConfig::default(),
            sessions: SessionConfig::default(),
            data: None,
            admin_token: None,
            shutdown_grace_secs: 10,
            prior_refresh_secs: 180,
            recommendations_every_secs: 3600,
            // An embedded app queues its own tasks: a build of its own would run beside them.
            recommendations_at_start: false,
            read_only: false,
            no_worker: false,
            jobs: JobsConfig::default(),
            flame: None,
            span_layer: true,
            inspector: crate::profiling::InspectorConfig::default(),
        }
    }
}

/// `host:port`, with an IPv6 host in brackets; the host is resolved when the server binds.
fn parse_bind(value: &str) -> Result<String, String> {
    let (host, port) = value.rsplit_once(':').ok_or("expected host:port, e.g. 127.0.0.1:8000")?;
    port.parse::<u16>().map_err(|_| format!("'{port}' is not a port number"))?;
    if host.is_empty() || host.contains(['/', '?', '#', '@', ' ']) {
        return Err(format!("'{host}' is not a host name or address"));
    }
    Ok(value.to_string())
}

/// An absolute `http` or `https` URL without query or fragment; kept without its trailing `/`.
fn parse_public_url(value: &str) -> Result<String, String> {
    let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://"));
    let authority = rest.map(|rest| rest.split('/').next().unwrap_or_default());
    if authority.is_none_or(str::is_empty) || value.contains(['?', '#', ' ']) {
        return Err("expected an absolute http(s) URL such as https://movies.example/base".to_string());
    }
    Ok(value.trim_end_matches('/').to_string())
}

/// A value kept out of logs and `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Self(value.to_string()))
    }
}

#[derive(Debug, Clone, Args)]
pub struct ImportConfig {
    /// A MovieLens folder (movies.csv, ratings.csv, tags.csv, links.csv) or a GroupLens .zip.
    #[arg(env = "MOVIELENS_IMPORT_PATH", required_unless_present = "dataset", conflicts_with = "dataset")]
    pub path: Option<PathBuf>,

    /// Download an official GroupLens data set and import it.
    #[arg(long, env = "MOVIELENS_IMPORT_DATASET", value_enum)]
    pub dataset: Option<Dataset>,

    /// Replace the data already in the database (otherwise the import refuses to run).
    #[arg(long, env = "MOVIELENS_IMPORT_REPLACE")]
    pub replace: bool,

    /// Where `--dataset` downloads from; point it at a mirror if GroupLens is out of reach.
    #[arg(long, env = "MOVIELENS_DATASET_BASE_URL", default_value = "https://files.grouplens.org/datasets/movielens")]
    pub dataset_base_url: String,

    #[command(flatten)]
    pub download: DownloadConfig,
}

/// The official GroupLens releases that `import --dataset` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Dataset {
    #[value(name = "ml-latest-small")]
    MlLatestSmall,
    #[value(name = "ml-25m")]
    Ml25m,
    #[value(name = "ml-32m")]
    Ml32m,
}

impl Dataset {
    pub fn name(self) -> &'static str {
        match self {
            Dataset::MlLatestSmall => "ml-latest-small",
            Dataset::Ml25m => "ml-25m",
            Dataset::Ml32m => "ml-32m",
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct GenerateConfig {
    /// Folder to write movies.csv, ratings.csv, tags.csv and links.csv into (created if missing).
    #[arg(long, env = "MOVIELENS_GENERATE_OUT")]
    pub out: PathBuf,

    #[command(flatten)]
    pub shape: GeneratorConfig,
}
