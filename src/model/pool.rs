//! The read pool as the connection lesson shows it: its size, its connections and their ages,
//! and how often a unit of work found a connection already open.

use poem_openapi::Object;
use serde::Serialize;

/// One open connection of the read pool.
#[derive(Debug, Clone, Object, Serialize)]
pub struct OpenConnection {
    /// The pool's number for it, in the order connections were opened, from 1.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub id: i64,
    /// Seconds since it was opened.
    #[oai(validator(minimum(value = "0")))]
    pub age_secs: f64,
    /// Units of work it has been handed to, the one holding it now included.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub checkouts: i64,
}

/// The writer's connection: one, dedicated, outside the pool. Every write queues for it (see
/// `Db::write`), so writes never take a reader's connection.
#[derive(Debug, Clone, Object, Serialize)]
pub struct WriterConnection {
    /// Whether it is open: always, except when the server serves `--read-only` and has none.
    pub open: bool,
    /// Seconds since it was opened, at start: it is never replaced, whatever the max age.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(validator(minimum(value = "0")))]
    pub age_secs: Option<f64>,
}

/// The read pool now, and what it has done since the server started.
#[derive(Debug, Clone, Object, Serialize)]
pub struct PoolStats {
    /// Connections the pool holds at most (`--db-pool-size`): how many reads run at once.
    #[oai(validator(minimum(value = "1"), maximum(value = "4294967295")))]
    pub max_size: i64,
    /// Connections open now, idle or in use.
    #[oai(validator(minimum(value = "0"), maximum(value = "4294967295")))]
    pub open: i64,
    /// Open connections waiting in the pool for a unit of work.
    #[oai(validator(minimum(value = "0"), maximum(value = "4294967295")))]
    pub idle: i64,
    /// Seconds a connection is reused before it is closed (`--db-conn-max-age`, Django's
    /// `CONN_MAX_AGE`). 0: a new connection for each unit of work, closed when it ends.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub max_age_secs: i64,
    /// Each open connection, oldest first. A connection past the max age is closed when it is
    /// handed back and is not handed out again; an idle one is closed within 30 s.
    pub connections: Vec<OpenConnection>,
    /// Times a unit of work took a connection from the pool.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub checkouts: i64,
    /// Connections the pool opened: each one is a file open, a schema read and the settings of
    /// every connection, paid again.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub opened: i64,
    /// Connections the pool closed: past their max age, or after each use with a max age of 0.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub closed: i64,
    /// Checkouts that got a connection an earlier unit of work had used: the opens saved.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub reused: i64,
    /// The writer's own connection, which the figures above do not count.
    pub writer: WriterConnection,
}
