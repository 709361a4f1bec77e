//! The request inspector's flags (flattened into `serve`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

/// What the request inspector records, where, and for how long.
#[derive(Debug, Clone, Args)]
pub struct InspectorConfig {
    /// Record nothing: no inspector file, `/silk/` and `/api/profiling/requests...` show nothing.
    #[arg(long, env = "MOVIELENS_NO_INSPECTOR")]
    pub no_inspector: bool,

    /// The inspector's own SQLite file. Default: `movielens-inspector.db` beside the database.
    #[arg(long, env = "MOVIELENS_INSPECTOR_DB")]
    pub inspector_db: Option<PathBuf>,

    /// Requests kept at most; older ones are pruned as new ones are written.
    #[arg(long, env = "MOVIELENS_INSPECTOR_MAX_REQUESTS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub inspector_max_requests: u64,

    /// Hours a request is kept at most (fractions allowed).
    #[arg(long, env = "MOVIELENS_INSPECTOR_MAX_AGE_HOURS", default_value_t = 24.0, value_parser = parse_hours)]
    pub inspector_max_age_hours: f64,

    /// The share of requests recorded, in percent (0 to 100).
    #[arg(long, env = "MOVIELENS_INSPECTOR_SAMPLE_PERCENT", default_value_t = 100.0, value_parser = parse_percent)]
    pub inspector_sample_percent: f64,

    /// Requests recorded per second at most (0: no cap). Under it every sampled request is
    /// recorded; a busier server records this many a second and counts the rest, so the
    /// recorder's cost stays flat at any load.
    #[arg(long, env = "MOVIELENS_INSPECTOR_MAX_PER_SECOND", default_value_t = 100,
          value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
    pub inspector_max_per_second: u64,

    /// Path prefixes never recorded, comma-separated. By default the inspector's own pages, the
    /// pages' files, and the task monitor's refresh (every 2 s while it is open).
    #[arg(
        long,
        env = "MOVIELENS_INSPECTOR_IGNORE_PATHS",
        value_delimiter = ',',
        default_value = "/silk,/api/profiling,/web/static,/flower/fragments"
    )]
    pub inspector_ignore_paths: Vec<String>,

    /// Also record request and response bodies (text, cut at --inspector-body-bytes), with
    /// sensitive fields masked.
    #[arg(long, env = "MOVIELENS_INSPECTOR_BODIES")]
    pub inspector_bodies: bool,

    /// Bytes of each body kept when bodies are recorded.
    #[arg(long, env = "MOVIELENS_INSPECTOR_BODY_BYTES", default_value_t = 4096,
          value_parser = clap::value_parser!(u64).range(0..=1_048_576))]
    pub inspector_body_bytes: u64,

    /// Query, form and JSON keys whose values are masked (besides `Authorization` and cookies,
    /// always masked), comma-separated, compared without regard to case.
    #[arg(
        long,
        env = "MOVIELENS_INSPECTOR_SENSITIVE_KEYS",
        value_delimiter = ',',
        default_value = "password,token,secret,api_key,apikey,csrf,session,authorization,cookie"
    )]
    pub inspector_sensitive_keys: Vec<String>,

    /// Records waiting to be written at most; beyond it they are dropped and counted.
    #[arg(long, env = "MOVIELENS_INSPECTOR_QUEUE", default_value_t = 4096,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub inspector_queue: u64,

    /// Add `Server-Timing` and `X-Query-Count` to every response.
    #[arg(long, env = "MOVIELENS_DEBUG_HEADERS", default_value_t = true, action = clap::ArgAction::Set)]
    pub debug_headers: bool,
}

impl Default for InspectorConfig {
    fn default() -> Self {
        Self {
            no_inspector: false,
            inspector_db: None,
            inspector_max_requests: 10_000,
            inspector_max_age_hours: 24.0,
            inspector_sample_percent: 100.0,
            inspector_max_per_second: 100,
            inspector_ignore_paths: ["/silk", "/api/profiling", "/web/static", "/flower/fragments"]
                .map(String::from)
                .to_vec(),
            inspector_bodies: false,
            inspector_body_bytes: 4096,
            inspector_sensitive_keys: ["password", "token", "secret", "api_key", "apikey", "csrf", "session"]
                .into_iter()
                .chain(["authorization", "cookie"])
                .map(String::from)
                .collect(),
            inspector_queue: 4096,
            debug_headers: true,
        }
    }
}

impl InspectorConfig {
    /// The inspector's file: the flag's, or `movielens-inspector.db` beside `database`.
    pub fn path_beside(&self, database: &Path) -> PathBuf {
        self.inspector_db
            .clone()
            .unwrap_or_else(|| database.parent().unwrap_or_else(|| Path::new("")).join("movielens-inspector.db"))
    }

    pub fn max_age(&self) -> Duration {
        Duration::from_secs_f64(self.inspector_max_age_hours * 3600.0)
    }
}

/// Hours, more than 0 and at most ten years.
fn parse_hours(value: &str) -> Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(hours) if hours.is_finite() && hours > 0.0 && hours <= 87_600.0 => Ok(hours),
        _ => Err(format!("expected a positive number of hours up to 87600, found '{value}'")),
    }
}

/// A percentage from 0 to 100.
fn parse_percent(value: &str) -> Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(percent) if (0.0..=100.0).contains(&percent) => Ok(percent),
        _ => Err(format!("expected a percentage from 0 to 100, found '{value}'")),
    }
}
