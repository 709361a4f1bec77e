//! The one path every write takes: a dedicated connection on its own thread, behind a queue.
//!
//! SQLite admits one writer at a time. Writers that each held a pooled connection (and a blocking
//! thread) while waiting for the lock would starve the readers of both; here they wait in the
//! queue instead, costing nothing but memory, and the readers keep the whole pool. Every write runs
//! in a transaction that begins `IMMEDIATE`: it takes the write lock first, so it queues on the busy
//! timeout behind writers in other processes rather than failing when a read lock cannot be
//! upgraded.
//!
//! Writes that queue up behind a busy writer share one transaction (group commit, [`batch`]):
//! under load the log grows by one commit per batch rather than one per write, and each page
//! several writes touch is written once.

mod batch;

use std::panic::{catch_unwind, AssertUnwindSafe};

use rusqlite::{Connection, Transaction};
use tokio::sync::{mpsc, oneshot};
use tracing::Span;

use super::statements::{self, Recording};
use super::DbError;
use batch::{Outcome, TransactionWork};

/// Writes waiting beyond this many hold their requests back (the senders wait for room).
const QUEUE_CAPACITY: usize = 1024;

/// A write waiting for the writer thread.
enum Job {
    /// Work inside a transaction, which it may share with the writes queued behind it.
    InTransaction(Box<dyn TransactionWork>),
    /// Work on the bare connection, run alone.
    OnConnection(Box<dyn FnOnce(&mut Connection) + Send>),
}

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
            let mut next = None;
            while let Some(job) = next.take().or_else(|| receiver.blocking_recv()) {
                next = match job {
                    Job::InTransaction(first) => batch::run(&mut conn, first, &mut receiver),
                    Job::OnConnection(work) => {
                        // A panicking write drops its reply channel (its caller sees an error);
                        // the thread, and every later write, carries on.
                        if catch_unwind(AssertUnwindSafe(|| work(&mut conn))).is_err() {
                            tracing::error!("a database write panicked");
                            statements::forget_thread_state();
                        }
                        None
                    }
                };
            }
        })?;
        Ok(Self { jobs: Some(sender) })
    }

    /// A writer that refuses every write, for handles that never touch a database.
    pub fn closed() -> Self {
        Self { jobs: None }
    }

    /// Runs `work` in an `IMMEDIATE` transaction on the writer thread; its changes are committed
    /// if it succeeds and rolled back if it fails, whatever the writes it shares the transaction
    /// with do. Waits its turn in the queue without holding a thread or a pooled connection, and
    /// answers once the commit is done.
    pub async fn write<T, E>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&Transaction) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (reply, result) = oneshot::channel();
        let span = write_span(operation);
        self.send(Job::InTransaction(Box::new(batch::Pending { work, reply, span }))).await?;
        Self::answer(result).await
    }

    /// Runs `work` on the writer's connection, outside any transaction: for upkeep that must not
    /// interleave with writes, such as the checkpoint that starts the log again.
    pub async fn on_writer<T, E>(
        &self,
        operation: &'static str,
        work: impl FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (reply, result) = oneshot::channel();
        let span = write_span(operation);
        let job = Job::OnConnection(Box::new(move |conn| {
            let (result, recording) = recorded(&span, || work(conn));
            let _ = reply.send((result, recording));
        }));
        self.send(job).await?;
        Self::answer(result).await
    }

    async fn send(&self, job: Job) -> Result<(), DbError> {
        let jobs = self.jobs.as_ref().ok_or(DbError::Closed)?;
        jobs.send(job).await.map_err(|_| DbError::Closed)
    }

    /// The write's result, once the writer thread has sent it; its statements count towards the
    /// request being served.
    async fn answer<T, E: From<DbError>>(result: oneshot::Receiver<Outcome<T, E>>) -> Result<T, E> {
        let (result, recording) = result.await.map_err(|_| DbError::WriterFailed)?;
        statements::add_to_request(recording);
        result
    }
}

fn write_span(operation: &'static str) -> Span {
    tracing::debug_span!("db_write", operation, statements = tracing::field::Empty, sql = tracing::field::Empty)
}

/// Runs `work` inside `span`, recording its statements.
fn recorded<T>(span: &Span, work: impl FnOnce() -> T) -> (T, Recording) {
    let _entered = span.enter();
    let (result, recording) = statements::record(work);
    crate::db::note_on_span(span, &recording);
    (result, recording)
}

#[cfg(test)]
mod tests;
