//! Group commit on a real database file: writes queued behind a busy writer share a commit, and
//! each keeps only its own outcome.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc as std_mpsc, Arc};

use rusqlite::Connection;

use super::Writer;
use crate::db::DbError;

/// A writer on a fresh file with a table `t(n)`, and a count of the commits made on it.
fn writer_with_commit_count(dir: &tempfile::TempDir) -> (Writer, Arc<AtomicUsize>, std::path::PathBuf) {
    let path = dir.path().join("writes.db");
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.execute_batch("CREATE TABLE t (n INTEGER PRIMARY KEY)").unwrap();
    let commits = Arc::new(AtomicUsize::new(0));
    let counter = commits.clone();
    conn.commit_hook(Some(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        false
    }));
    (Writer::start(conn).unwrap(), commits, path)
}

fn rows(path: &std::path::Path) -> Vec<i64> {
    let conn = Connection::open(path).unwrap();
    let mut select = conn.prepare("SELECT n FROM t ORDER BY n").unwrap();
    select.query_map([], |row| row.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

/// Holds the writer thread inside a write until the returned sender is used.
async fn hold_the_writer(writer: &Writer) -> (std_mpsc::Sender<()>, tokio::task::JoinHandle<Result<(), DbError>>) {
    let (release, released) = std_mpsc::channel::<()>();
    let held = writer.clone();
    let first = tokio::spawn(async move {
        held.write("hold", move |tx| {
            released.recv().unwrap();
            tx.execute("INSERT INTO t (n) VALUES (0)", [])?;
            Ok::<_, DbError>(())
        })
        .await
    });
    // The held write is on the writer thread once the queue behind it starts filling.
    tokio::task::yield_now().await;
    (release, first)
}

/// Queues `count` writes inserting 1..=count, each answering as `outcome(n)` says after inserting.
fn queue_writes(
    writer: &Writer,
    count: i64,
    outcome: fn(i64) -> Result<(), DbError>,
) -> Vec<(i64, tokio::task::JoinHandle<Result<(), DbError>>)> {
    (1..=count)
        .map(|n| {
            let writer = writer.clone();
            let handle = tokio::spawn(async move {
                writer
                    .write("insert", move |tx| {
                        tx.execute("INSERT INTO t (n) VALUES (?1)", [n])?;
                        outcome(n)
                    })
                    .await
            });
            (n, handle)
        })
        .collect()
}

/// Lets every spawned write reach the queue (a current-thread runtime runs them on yields).
async fn let_them_queue() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn writes_queued_behind_a_busy_writer_share_one_commit_and_keep_only_their_own_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (writer, commits, path) = writer_with_commit_count(&dir);
    let (release, first) = hold_the_writer(&writer).await;
    let writes = queue_writes(&writer, 90, |n| match n {
        50 => panic!("write {n} panics after inserting"),
        n if n % 3 == 0 => Err(DbError::Invalid(format!("write {n} refuses"), None)),
        _ => Ok(()),
    });
    let_them_queue().await;
    release.send(()).unwrap();

    first.await.unwrap().unwrap();
    for (n, handle) in writes {
        match (n, handle.await.unwrap()) {
            (50, Err(DbError::WriterFailed)) => {}
            (n, Err(DbError::Invalid(message, _))) if n % 3 == 0 => assert_eq!(message, format!("write {n} refuses")),
            (n, Ok(())) if n % 3 != 0 && n != 50 => {}
            (n, other) => panic!("write {n} answered {other:?}"),
        }
    }
    let kept: Vec<i64> = (0..=90).filter(|n| n % 3 != 0 && *n != 50 || *n == 0).collect();
    assert_eq!(rows(&path), kept);
    assert_eq!(commits.load(Ordering::SeqCst), 1, "the 91 writes were queued together, so one commit");
}

#[tokio::test(flavor = "current_thread")]
async fn a_write_that_ends_the_shared_transaction_tells_the_writes_before_it_they_were_lost() {
    let dir = tempfile::tempdir().unwrap();
    let (writer, _commits, path) = writer_with_commit_count(&dir);
    let (release, first) = hold_the_writer(&writer).await;
    let before = queue_writes(&writer, 3, |_| Ok(()));
    let rogue = writer.clone();
    let rollback = tokio::spawn(async move {
        rogue
            .write("rollback", |tx| {
                tx.execute_batch("ROLLBACK")?;
                Err::<(), _>(DbError::Invalid("rolled everything back".to_string(), None))
            })
            .await
    });
    let_them_queue().await;
    let after = writer.clone();
    let later = tokio::spawn(async move {
        after.write("after", |tx| tx.execute("INSERT INTO t (n) VALUES (100)", []).map_err(DbError::from)).await
    });
    let_them_queue().await;
    release.send(()).unwrap();

    assert!(matches!(first.await.unwrap(), Err(DbError::NotCommitted(_))));
    for (n, handle) in before {
        assert!(matches!(handle.await.unwrap(), Err(DbError::NotCommitted(_))), "write {n} was lost with the rest");
    }
    assert!(matches!(rollback.await.unwrap(), Err(DbError::Invalid(..))));
    assert_eq!(later.await.unwrap().unwrap(), 1, "the write queued after it runs in a transaction of its own");
    assert_eq!(rows(&path), vec![100]);
}

#[tokio::test(flavor = "current_thread")]
async fn a_write_alone_commits_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (writer, commits, path) = writer_with_commit_count(&dir);
    for n in 1..=3 {
        writer
            .write("insert", move |tx| tx.execute("INSERT INTO t (n) VALUES (?1)", [n]).map_err(DbError::from))
            .await
            .unwrap();
        assert_eq!(commits.load(Ordering::SeqCst), n as usize);
    }
    assert_eq!(rows(&path), vec![1, 2, 3]);
}
