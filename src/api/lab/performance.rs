//! The lessons on what a query costs below the ORM: an index against a full scan, measured, and
//! the reuse of pooled connections (the seed's `CONN_MAX_AGE`).

use std::time::Instant;

use poem_openapi::param::Query;
use poem_openapi::OpenApi;

use super::report::LabReport;
use crate::api::error::{AppError, Lookup, Read};
use crate::api::ApiTags;
use crate::db::index_compare::{self, Measured, INDEXED_SQL, UNINDEXED_SQL};
use crate::db::{Db, DbError};
use crate::model::index_compare::{IndexComparison, MeasuredQuery, QueryRun};
use crate::model::pool::PoolStats;

/// The user compared when `user_id` is not given: MovieLens numbers users from 1.
const DEFAULT_USER_ID: i64 = 1;

/// Runs of each query when `runs` is not given: enough for a median that one slow run cannot move.
const DEFAULT_RUNS: u32 = 7;

pub struct PerformanceLabApi {
    pub db: Db,
}

#[OpenApi]
impl PerformanceLabApi {
    /// Indexed against unindexed
    ///
    /// `SELECT count(*), avg(rating) FROM ratings` filtered on the indexed `user_id` and on the
    /// unindexed `timestamp`, each run `runs` times (alternating). For each: the query plan, every
    /// run's time with SQLite's full-scan and VM step counters (zeroed before each run), and the
    /// median time; `speedup` is the unindexed median over the indexed one. The aggregates must
    /// visit every matching row, so neither query can stop early. By default the timestamp is that
    /// of the user's first rating, so that both queries match rows. A user without ratings is a 404.
    #[oai(
        path = "/api/movies/index-compare",
        method = "get",
        operation_id = "lab_index_compare",
        tag = "ApiTags::LabIndexes"
    )]
    async fn index_compare(
        &self,
        /// The user whose ratings the indexed query aggregates (default 1).
        #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
        user_id: Query<Option<i64>>,
        /// The second (Unix time) the unindexed query looks for (default: the user's first rating).
        #[oai(validator(minimum(value = "-9007199254740991"), maximum(value = "9007199254740991")))]
        timestamp: Query<Option<i64>>,
        /// Runs of each query, 1 to 25 (default 7).
        #[oai(validator(minimum(value = "1"), maximum(value = "25")))]
        runs: Query<Option<u32>>,
    ) -> Lookup<LabReport<IndexComparison>> {
        let started = Instant::now();
        let (user_id, timestamp) = (user_id.0.unwrap_or(DEFAULT_USER_ID), timestamp.0);
        let runs = runs.0.unwrap_or(DEFAULT_RUNS) as usize;
        let result = self
            .db
            .read_recorded("lab.index_compare", move |tx| {
                let Some(first) = index_compare::first_rating_timestamp(tx, user_id)? else {
                    return Ok::<_, DbError>(None);
                };
                let chosen = timestamp.unwrap_or(first);
                let table_rows = index_compare::rating_rows(tx)?;
                let plans = [
                    index_compare::query_plan(tx, INDEXED_SQL, user_id)?,
                    index_compare::query_plan(tx, UNINDEXED_SQL, chosen)?,
                ];
                let measured = index_compare::compare(tx, user_id, chosen, runs)?;
                Ok(Some(comparison(user_id, chosen, timestamp.is_none(), table_rows, plans, measured)))
            })
            .await;
        let report = match result {
            Ok((Some(data), recording)) => {
                let method = "filter(user_id=...) against filter(timestamp=...)";
                Ok(LabReport::new(method, INDEX_COMPARE, &recording, started.elapsed(), data))
            }
            Ok((None, _)) => Err(AppError::NotFound(format!("user {user_id} has no ratings to compare"))),
            Err(err) => Err(AppError::from(err)),
        };
        report.into()
    }

    /// Connection reuse
    ///
    /// The read pool: its size, open and idle connections with their ages, the max age
    /// (`--db-conn-max-age`, Django's `CONN_MAX_AGE`), and how many checkouts reused an open
    /// connection instead of opening one; and the writer's own connection, outside the pool.
    #[oai(
        path = "/api/movies/connection-pool",
        method = "get",
        operation_id = "lab_connection_pool",
        tag = "ApiTags::LabConnectionReuse"
    )]
    async fn connection_pool(&self) -> Read<LabReport<PoolStats>> {
        let started = Instant::now();
        let db = self.db.clone();
        // Taken while holding a pooled connection, as any unit of work does: this request's own
        // checkout is in the figures.
        let result = self.db.read_recorded("lab.connection_pool", move |_tx| Ok::<_, DbError>(db.pool_stats())).await;
        result
            .map(|(data, recording)| {
                let method = format!("CONN_MAX_AGE = {}", data.max_age_secs);
                LabReport::new(&method, CONNECTION_POOL, &recording, started.elapsed(), data)
            })
            .map_err(AppError::from)
            .into()
    }
}

/// The answer's data, from the plans and runs of the indexed query and then the unindexed one.
fn comparison(
    user_id: i64,
    timestamp: i64,
    timestamp_is_default: bool,
    table_rows: i64,
    [indexed_plan, unindexed_plan]: [Vec<String>; 2],
    [indexed, unindexed]: [Measured; 2],
) -> IndexComparison {
    let runs = indexed.runs.len() as i64;
    let indexed = measured_query(INDEXED_SQL, "user_id", user_id, indexed_plan, indexed);
    let unindexed = measured_query(UNINDEXED_SQL, "timestamp", timestamp, unindexed_plan, unindexed);
    // From the medians as reported, so that a client dividing them gets this figure. A run always
    // takes some nanoseconds; the guard only keeps a zero from becoming infinity.
    let speedup = if indexed.median_ms > 0.0 { unindexed.median_ms / indexed.median_ms } else { 0.0 };
    IndexComparison { user_id, timestamp, timestamp_is_default, table_rows, runs, indexed, unindexed, speedup }
}

fn measured_query(sql: &str, column: &str, value: i64, plan: Vec<String>, measured: Measured) -> MeasuredQuery {
    let runs: Vec<QueryRun> = measured
        .runs
        .iter()
        .map(|run| QueryRun {
            time_ms: run.elapsed.as_secs_f64() * 1e3,
            fullscan_steps: run.fullscan_steps,
            vm_steps: run.vm_steps,
        })
        .collect();
    let median_ms = median(runs.iter().map(|run| run.time_ms).collect());
    MeasuredQuery {
        sql: sql.to_string(),
        column: column.to_string(),
        value,
        plan,
        matched_rows: measured.answer.matched,
        mean_rating: measured.answer.mean,
        runs,
        median_ms,
    }
}

/// The middle value, or the mean of the two middle ones for an even count; 0 for none.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        len if len % 2 == 1 => values[len / 2],
        len => (values[len / 2 - 1] + values[len / 2]) / 2.0,
    }
}

const INDEX_COMPARE: &str = "Both statements compute the same aggregate, count(*) and avg(rating), so each must visit \
    every rating that matches: neither can stop early, and the difference in time is the difference in work. \
    On user_id, SQLite SEARCHes the index ratings_user_id: it jumps to that user's entries, which hold the \
    movie and the rating too (a COVERING index), so it never reads the table itself; fullscan_steps is 0 and the \
    work grows with the user's ratings. On timestamp, which has no index, \
    SQLite must SCAN the whole table to find the few rows that match: fullscan_steps is the table's row count (less \
    one: reaching the first row is not a step), whatever the answer, and the cost grows with the table. speedup is the scan's median time over the \
    search's. Before the runs, one statement found the user's first rating (the default timestamp, and the \
    check that the user has ratings), one read the table's row count from `totals`, and EXPLAIN QUERY PLAN \
    showed each plan; the runs are the same statements repeated on purpose, so they fill similar_queries and \
    duplicate_queries. Each run's time is measured around its execution, and is the time `queries` shows \
    for it. An index is not free: it takes space and \
    makes every write update it too. Index the columns your queries filter on, and check the plan.";

const CONNECTION_POOL: &str = "This answer ran no SQL: the figures come from the pool and its registry of \
    connections, in memory, so queries_count is 0. It still took a pooled connection, as every unit of work \
    does, and looked while holding it: that checkout is counted, and it is one of the open connections that \
    are not idle. Opening a SQLite connection opens the file, reads the schema and applies the server's \
    settings (WAL, memory map, busy timeout, functions, statement hooks); a reused connection also keeps its \
    prepared statements and its page cache. With a max age above 0 (the default is 600 s, Django's \
    CONN_MAX_AGE), a connection serves unit after unit of work until it is that old: `reused` grows with \
    traffic, and `opened` stays at most the pool size until connections age out. With --db-conn-max-age 0 \
    each unit of work opens its own connection and closes it when done, so `reused` stays 0 and `opened` \
    grows with `checkouts`. Writes do not use the pool: they queue for one dedicated writer connection \
    (`writer`), open from start to stop.";
