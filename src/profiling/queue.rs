//! The bounded queue between requests and the inspector's file, and the background thread that
//! writes it in batches. A request only ever tries to push: when the queue is full its record is
//! dropped and counted, so no request waits for the recorder's writes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;

use rusqlite::Connection;

use super::record::RequestRecord;
use crate::db::inspector::{self, Retention};

/// Records written per transaction at most.
const BATCH: usize = 256;

/// What the queue has done since the server started.
#[derive(Debug, Default)]
pub struct QueueCounts {
    pub queued: AtomicU64,
    pub dropped: AtomicU64,
    pub write_failures: AtomicU64,
}

impl QueueCounts {
    pub fn get(counter: &AtomicU64) -> i64 {
        i64::try_from(counter.load(Ordering::Relaxed)).unwrap_or(i64::MAX)
    }
}

/// The sending end; the writer thread ends when the last one is dropped, after writing the rest.
pub struct RecordQueue {
    sender: SyncSender<RequestRecord>,
    pub counts: Arc<QueueCounts>,
}

impl RecordQueue {
    /// Starts the writer thread on `conn` with room for `capacity` waiting records.
    pub fn start(conn: Connection, capacity: usize, retention: Retention) -> std::io::Result<Self> {
        let (sender, receiver) = mpsc::sync_channel(capacity);
        let counts = Arc::new(QueueCounts::default());
        let writer_counts = counts.clone();
        std::thread::Builder::new()
            .name("inspector-writer".into())
            .spawn(move || write_batches(conn, receiver, retention, &writer_counts))?;
        Ok(Self { sender, counts })
    }

    /// Queues `record`, or drops and counts it if the queue is full. Never waits.
    pub fn push(&self, record: RequestRecord) {
        match self.sender.try_send(record) {
            Ok(()) => self.counts.queued.fetch_add(1, Ordering::Relaxed),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                super::metrics::count_recorder_drop();
                self.counts.dropped.fetch_add(1, Ordering::Relaxed)
            }
        };
    }
}

fn write_batches(mut conn: Connection, receiver: Receiver<RequestRecord>, retention: Retention, counts: &QueueCounts) {
    let mut batch = Vec::with_capacity(BATCH);
    while let Ok(first) = receiver.recv() {
        batch.push(first);
        while batch.len() < BATCH {
            match receiver.try_recv() {
                Ok(record) => batch.push(record),
                Err(_) => break,
            }
        }
        if let Err(err) = inspector::insert_batch(&mut conn, &batch, retention) {
            counts.write_failures.fetch_add(batch.len() as u64, Ordering::Relaxed);
            tracing::warn!(error = %err, records = batch.len(), "the request inspector could not write a batch");
        }
        batch.clear();
    }
}
