//! `import_dataset`: a MovieLens folder or zip on the server, imported in the background with
//! progress (bytes read of the files opened so far). One transaction, as every import: a
//! failure or a cancel leaves the data as it was.

use std::time::Duration;

use fang::{typetag, AsyncQueueable, AsyncRunnable, FangError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{failed, ArgError, CheckArgs};
use crate::import::{self, cancel::Cancel, progress::ByteCount, source, ImportError, ImportOptions};
use crate::jobs::context::TaskContext;

/// How often the task records its progress and looks for a cancel.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportDataset {
    /// A MovieLens folder or GroupLens .zip on the server.
    #[serde(default)]
    pub path: String,
    /// Replace the data already there (otherwise a database with data refuses the import).
    #[serde(default)]
    pub replace: bool,
}

impl CheckArgs for ImportDataset {
    fn check(&self) -> Vec<ArgError> {
        match std::path::Path::new(&self.path).exists() {
            _ if self.path.trim().is_empty() => vec![ArgError::new("path", "is required")],
            false => vec![ArgError::new("path", "no such file or folder on the server")],
            true => Vec::new(),
        }
    }
}

#[typetag::serde(name = "import_dataset")]
#[fang::async_trait]
impl AsyncRunnable for ImportDataset {
    async fn run(&self, queue: &dyn AsyncQueueable) -> Result<(), FangError> {
        let context = TaskContext::current();
        let (cancel, bytes) = (Cancel::default(), ByteCount::default());
        let watcher = tokio::spawn(report_progress(context.clone(), cancel.clone(), bytes.clone()));
        let (path, replace) = (self.path.clone(), self.replace);
        let options = ImportOptions { replace, progress: false, cancel, bytes: bytes.clone() };
        let loaded = context
            .db()
            .run("jobs.import_dataset", move |conn| -> Result<_, ImportError> {
                import::load(conn, source::open_path(std::path::Path::new(&path))?.as_mut(), options)
            })
            .await;
        watcher.abort();
        let (read, total) = bytes.get();
        let _ = context.progress(read as i64, total as i64).await;
        let summary = loaded.map_err(failed)?;
        let recommendations = super::recommendations::queue_build(queue).await.ok();
        context.set_result(json!({
            "recommendations_task": recommendations.map(|id| id.to_string()),
            "source": summary.source,
            "movies": summary.movies,
            "genres": summary.genres,
            "ratings": summary.ratings,
            "tags": summary.tags,
            "links": summary.links,
            "elapsed_ms": summary.elapsed.as_millis() as u64,
        }));
        Ok(())
    }

    /// An import that failed failed for a reason a retry would meet again.
    fn max_retries(&self) -> i32 {
        0
    }
}

/// Records the bytes read every half second, and turns a stop request into the import's cancel.
async fn report_progress(context: TaskContext, cancel: Cancel, bytes: ByteCount) {
    loop {
        tokio::time::sleep(PROGRESS_EVERY).await;
        if context.should_stop() {
            cancel.request();
        }
        let (read, total) = bytes.get();
        let _ = context.progress(read as i64, total as i64).await;
    }
}
