//! How many tasks wait: counted at most every quarter second, not on every submission.
//!
//! A count reads the whole queue's index, which at tens of thousands of waiting tasks takes
//! milliseconds. Each submission checks the count against `--max-queued-tasks`, so the count is
//! reused for [`MAX_AGE`], plus what this process queued since. When it is due, it is counted
//! again in the background, once, while submissions go on with the previous figure.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::db::{Db, DbError};

/// How long a count is reused before it is taken again.
const MAX_AGE: Duration = Duration::from_millis(250);

#[derive(Clone, Default)]
pub struct WaitingCount {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    /// The last count and when it was taken, plus the tasks this process queued since.
    counted: Option<(Instant, i64)>,
    /// A caller is counting now.
    counting: bool,
}

impl WaitingCount {
    /// The waiting tasks, as last counted (plus those queued here since), or counted now if they
    /// never were. When the count is due, it is taken again in the background: the caller goes
    /// on with the figure it has.
    pub async fn get(&self, db: &Db) -> Result<i64, DbError> {
        let last = {
            let mut state = self.lock();
            match state.counted {
                Some((at, count)) if at.elapsed() < MAX_AGE || state.counting => return Ok(count),
                counted => {
                    state.counting = true;
                    counted.map(|(_, count)| count)
                }
            }
        };
        let recount = {
            let (this, db) = (self.clone(), db.clone());
            async move {
                // Cleared however the count ends, even if it is dropped while it runs.
                let _counting = Counting(&this);
                let count = count_waiting(&db).await?;
                this.lock().counted = Some((Instant::now(), count));
                Ok(count)
            }
        };
        match last {
            Some(count) => {
                tokio::spawn(async move {
                    if let Err(err) = recount.await {
                        tracing::warn!(error = %err, "could not count the waiting tasks");
                    }
                });
                Ok(count)
            }
            None => recount.await,
        }
    }

    /// Counts a task this process just queued.
    pub fn add_one(&self) {
        if let Some((_, count)) = self.lock().counted.as_mut() {
            *count += 1;
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

async fn count_waiting(db: &Db) -> Result<i64, DbError> {
    db.run("jobs.count_waiting", |conn| {
        conn.prepare_cached("SELECT count(*) FROM fang_tasks WHERE state IN ('new', 'retried')")?
            .query_row([], |row| row.get(0))
            .map_err(DbError::from)
    })
    .await
}

/// Marks the end of a count when dropped.
struct Counting<'a>(&'a WaitingCount);

impl Drop for Counting<'_> {
    fn drop(&mut self) {
        self.0.lock().counting = false;
    }
}
