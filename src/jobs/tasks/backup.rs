//! `backup.create`: a backup of the live database into the backup folder (`backups/` beside it,
//! or `--backup-dir`), taken while the server serves. With `keep`, the oldest automatic backups
//! beyond the newest `keep` are deleted afterwards (a schedule's retention).

use fang::{typetag, AsyncQueueable, AsyncRunnable, FangError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{failed, ArgError, CheckArgs};
use crate::db::backup;
use crate::jobs::context::TaskContext;

/// The most backups a schedule may keep.
const MAX_KEEP: u32 = 1000;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBackup {
    /// Keep only this many automatic backups (the newest, this one included); absent keeps all.
    #[serde(default)]
    pub keep: Option<u32>,
}

impl CheckArgs for CreateBackup {
    fn check(&self) -> Vec<ArgError> {
        match self.keep {
            Some(keep) if !(1..=MAX_KEEP).contains(&keep) => {
                vec![ArgError::new("keep", &format!("must be from 1 to {MAX_KEEP}"))]
            }
            _ => Vec::new(),
        }
    }
}

#[typetag::serde(name = "backup.create")]
#[fang::async_trait]
impl AsyncRunnable for CreateBackup {
    async fn run(&self, _queue: &dyn AsyncQueueable) -> Result<(), FangError> {
        let context = TaskContext::current();
        let live = context.db().path().to_path_buf();
        let keep = self.keep;
        let started = std::time::Instant::now();
        let (made, removed) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let dir = backup::dir_for(&live);
            let made = backup::create_in(&live, &dir)?;
            let removed = match keep {
                Some(keep) => backup::prune(&dir, keep as usize)?,
                None => Vec::new(),
            };
            Ok((made, removed))
        })
        .await
        .map_err(failed)?
        .map_err(|err| failed(format!("{err:#}")))?;
        context.set_result(json!({
            "name": made.name,
            "size_bytes": made.size_bytes,
            "schema_version": made.schema_version,
            "elapsed_ms": started.elapsed().as_millis() as u64,
            "removed": removed,
        }));
        Ok(())
    }

    /// A backup that failed (a full disk) would fail again at once.
    fn max_retries(&self) -> i32 {
        0
    }
}
