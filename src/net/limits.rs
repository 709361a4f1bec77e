//! The connection settings, and the open-file limit that bounds how many connections fit.

use std::time::Duration;

use clap::Args;

use super::Deadlines;

/// Deadlines for slow or idle clients and a cap on open connections.
#[derive(Debug, Clone, Args)]
pub struct ConnectionLimits {
    /// Seconds a client has to send a request's head (request line and headers), from its first byte.
    #[arg(long = "header-timeout", env = "MOVIELENS_HEADER_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout_secs: u64,

    /// Seconds a client has to send a request's body, from the end of its head.
    #[arg(long = "body-timeout", env = "MOVIELENS_BODY_TIMEOUT", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout_secs: u64,

    /// Seconds a connection may sit idle, new or between requests, before it is closed.
    #[arg(long = "keep-alive-timeout", env = "MOVIELENS_KEEP_ALIVE_TIMEOUT", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub keep_alive_timeout_secs: u64,

    /// Open connections at most (lowered to fit the open-file limit). Further clients wait in the
    /// listen queue until a connection closes.
    #[arg(long, env = "MOVIELENS_MAX_CONNECTIONS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: u64,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self { header_timeout_secs: 10, body_timeout_secs: 30, keep_alive_timeout_secs: 60, max_connections: 10_000 }
    }
}

impl ConnectionLimits {
    pub fn deadlines(&self) -> Deadlines {
        Deadlines {
            header: Duration::from_secs(self.header_timeout_secs),
            body: Duration::from_secs(self.body_timeout_secs),
            keep_alive: Duration::from_secs(self.keep_alive_timeout_secs),
        }
    }
}

/// Raises the soft open-file limit to the hard one, so that the connection cap rather than
/// `EMFILE` decides how many clients are served. Returns the soft limit now in force.
pub fn raise_open_file_limit() -> u64 {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return 1024;
    };
    if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        return hard;
    }
    soft
}

/// How many connections may be open at once: the configured maximum, kept below the open-file
/// limit with room for the database pool (a file, its WAL and its shared memory per connection),
/// the listener and the logs.
pub fn connection_cap(configured: u64, open_file_limit: u64, db_pool_size: u32) -> usize {
    let reserved = 64 + 4 * u64::from(db_pool_size);
    let cap = configured.min(open_file_limit.saturating_sub(reserved)).max(1);
    usize::try_from(cap).unwrap_or(usize::MAX).min(tokio::sync::Semaphore::MAX_PERMITS)
}
