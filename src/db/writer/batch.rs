//! Group commit: the writes waiting in the queue when the writer takes one run in the same
//! `IMMEDIATE` transaction, each inside a savepoint of its own.
//!
//! - A write that fails (or panics) rolls back to its savepoint: its changes go, the others' stay.
//! - Callers hear back only after the commit, so a write acknowledged is a write committed. If the
//!   commit fails, every write in the batch is told so.
//! - A batch never waits for writes to arrive: one write alone commits at once. It takes what is
//!   already queued, up to [`MAX_BATCH`], so the lock is not held for long.
//! - Errors such as a full disk can make SQLite roll back the whole transaction; the writes done
//!   so far are then told they were lost, and the batch ends.

use std::panic::{catch_unwind, AssertUnwindSafe};

use rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};
use tracing::Span;

use super::{recorded, Job};
use crate::db::statements::{self, Recording};
use crate::db::DbError;

/// Writes in one transaction at most.
const MAX_BATCH: usize = 128;

/// What a write's caller receives: its result and the statements it ran.
pub type Outcome<T, E> = (Result<T, E>, Recording);

/// Tells a write's caller how it ended, once the batch's commit is known (`Err` with the reason
/// if the batch's changes were not committed).
type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;

/// A write that runs inside a shared transaction.
pub trait TransactionWork: Send {
    /// Runs the work. Says whether it succeeded (its savepoint is kept) and how to answer it.
    fn run(self: Box<Self>, tx: &Transaction) -> (bool, Completion);
    /// Answers without running: the transaction could not begin.
    fn refuse(self: Box<Self>, err: DbError);
}

/// A queued [`super::Writer::write`].
pub struct Pending<W, T, E> {
    pub work: W,
    pub reply: oneshot::Sender<Outcome<T, E>>,
    pub span: Span,
}

impl<W, T, E> TransactionWork for Pending<W, T, E>
where
    W: FnOnce(&Transaction) -> Result<T, E> + Send,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    fn run(self: Box<Self>, tx: &Transaction) -> (bool, Completion) {
        let Pending { work, reply, span } = *self;
        let (result, recording) = recorded(&span, || work(tx));
        let succeeded = result.is_ok();
        let complete = move |committed: Result<(), String>| {
            let result = match (result, committed) {
                (Ok(value), Ok(())) => Ok(value),
                (Ok(_), Err(reason)) => Err(E::from(DbError::NotCommitted(reason))),
                (Err(err), _) => Err(err),
            };
            let _ = reply.send((result, recording));
        };
        (succeeded, Box::new(complete))
    }

    fn refuse(self: Box<Self>, err: DbError) {
        let _ = self.reply.send((Err(E::from(err)), Recording::default()));
    }
}

/// Runs `first` and the transaction writes queued behind it in one transaction, and commits it.
/// Returns a job taken from the queue that could not join the batch, to run next.
pub fn run(conn: &mut Connection, first: Box<dyn TransactionWork>, queue: &mut mpsc::Receiver<Job>) -> Option<Job> {
    let tx = match statements::housekeeping(|| conn.transaction_with_behavior(TransactionBehavior::Immediate)) {
        Ok(tx) => tx,
        Err(err) => {
            first.refuse(DbError::from(err));
            return None;
        }
    };
    let mut done: Vec<Completion> = Vec::new();
    let mut next = Some(first);
    let mut left_over = None;
    while let Some(work) = next.take() {
        if let Some(complete) = run_in_savepoint(&tx, work) {
            done.push(complete);
        }
        if tx.is_autocommit() {
            // SQLite rolled the whole transaction back: nothing done so far will be committed.
            answer(done, Err("an error in a write sharing its transaction rolled it back".to_string()));
            return None;
        }
        if done.len() >= MAX_BATCH {
            break;
        }
        match queue.try_recv() {
            Ok(Job::InTransaction(work)) => next = Some(work),
            Ok(other) => left_over = Some(other),
            Err(_) => {}
        }
    }
    let committed = statements::housekeeping(|| tx.commit()).map_err(|err| err.to_string());
    answer(done, committed);
    left_over
}

/// Runs one write in a savepoint, which it keeps if it succeeds. A write that panicked drops its
/// reply (its caller sees an error) and has no completion.
fn run_in_savepoint(tx: &Transaction, work: Box<dyn TransactionWork>) -> Option<Completion> {
    if let Err(err) = housekeeping_sql(tx, "SAVEPOINT write") {
        work.refuse(DbError::from(err));
        return None;
    }
    let (kept, completion) = match catch_unwind(AssertUnwindSafe(|| work.run(tx))) {
        Ok((succeeded, complete)) => (succeeded, Some(complete)),
        Err(_) => {
            tracing::error!("a database write panicked");
            statements::forget_thread_state();
            (false, None)
        }
    };
    if !tx.is_autocommit() {
        let ended = match kept {
            true => housekeeping_sql(tx, "RELEASE write"),
            false => housekeeping_sql(tx, "ROLLBACK TO write").and_then(|()| housekeeping_sql(tx, "RELEASE write")),
        };
        if let Err(err) = ended {
            tracing::error!(error = %err, "could not end a write's savepoint");
        }
    }
    completion
}

/// Runs one statement of the batch's own; prepared once, as every write runs two.
fn housekeeping_sql(tx: &Transaction, sql: &str) -> rusqlite::Result<()> {
    statements::housekeeping(|| tx.prepare_cached(sql)?.execute([]).map(drop))
}

fn answer(done: Vec<Completion>, committed: Result<(), String>) {
    for complete in done {
        complete(committed.clone());
    }
}
