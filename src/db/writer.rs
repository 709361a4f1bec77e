//! The one path every write takes: a dedicated connection on its own thread, behind a queue.
//!
//! SQLite admits one writer at a time. Writers that each held a pooled connection (and a blocking
//! thread) while waiting for the lock would starve the readers of both; here they wait in the
//! queue instead, costing nothing but memory, and the readers keep the whole pool. Every write runs
//! in a transaction that begins `IMMEDIATE`: it takes the write lock first, so it queues on the busy
//! timeout behind writers in other processes rather than failing when a read lock cannot be
//! upgraded.

use std::panic::{catch_unwind, AssertUnwindSafe};

use rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use super::{statements, DbError};

/// Writes waiting beyond this many hold their requests back (the senders wait for room).
const QUEUE_CAPACITY: usize = 1024;

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// A handle to the writer thread; cheap to clone. The thread ends when the last handle is dropped.
#[derive(Clone)]
pub struct Writer {
    jobs: Option<mpsc::Sender<Job>>,
}

impl Writer {
    /// Starts the writer thread on `conn`.
    pub fn start(mut conn: Connection) -> std::io::Result<Self> {
        let (sender, mut receiver) = mpsc::channel::<Job>(QUEUE_CAPACITY);
        std::thread::Builder::new().name("db-writer".to_string()).spawn(move || {
            while let Some(job) = receiver.blocking_recv() {
                // A panicking write drops its reply channel (its caller sees an error); the
                // thread, and every later write, carries on.
                if catch_unwind(AssertUnwindSafe(|| job(&mut conn))).is_err() {
                    tracing::error!("a database write panicked");
                    statements::forget_thread_state();
                }
            }
        })?;
        Ok(Self { jobs: Some(sender) })
    }

    /// A writer that refuses every write, for handles that never touch a database.
    pub fn closed() -> Self {
        Self { jobs: None }
    }

    /// Runs `work` in an `IMMEDIATE` transaction on the writer thread and commits it if it
    /// succeeds. Waits its turn in the queue without holding a thread or a pooled connection.
    pub async fn write<T, E>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&Transaction) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.on_writer(operation, move |conn| in_immediate_transaction(conn, work)).await
    }

    /// Runs `work` on the writer's connection, outside any transaction: for upkeep that must not
    /// interleave with writes, such as the checkpoint that truncates the log.
    pub async fn on_writer<T, E>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let jobs = self.jobs.as_ref().ok_or(DbError::Closed)?;
        let (reply, result) = oneshot::channel();
        let span = tracing::debug_span!(
            "db_write",
            operation,
            statements = tracing::field::Empty,
            sql = tracing::field::Empty
        );
        let job: Job = Box::new(move |conn| {
            let _entered = span.enter();
            let (result, recording) = statements::record(|| work(conn));
            super::note_on_span(&span, &recording);
            let _ = reply.send((result, recording));
        });
        jobs.send(job).await.map_err(|_| DbError::Closed)?;
        let (result, recording) = result.await.map_err(|_| DbError::WriterFailed)?;
        statements::add_to_request(recording);
        result
    }
}

/// Runs `work` in a transaction that takes the write lock before its first statement.
pub fn in_immediate_transaction<T, E>(
    conn: &mut Connection,
    work: impl FnOnce(&Transaction) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<DbError>,
{
    let tx = statements::housekeeping(|| conn.transaction_with_behavior(TransactionBehavior::Immediate))
        .map_err(DbError::from)?;
    match work(&tx) {
        Ok(value) => {
            statements::housekeeping(|| tx.commit()).map_err(DbError::from)?;
            Ok(value)
        }
        Err(err) => {
            statements::housekeeping(|| drop(tx));
            Err(err)
        }
    }
}
