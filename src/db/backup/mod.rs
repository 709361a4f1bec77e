//! Backups: consistent copies of the live database, taken while it serves, with SQLite's online
//! backup API; the folder they are kept in; and `restore` ([`restore`]), which swaps one in.
//!
//! A backup copies every page in one step, inside one read transaction of its own, so it is the
//! database as of one commit whatever writes run meanwhile (WAL lets them go on). It is written
//! under a hidden partial name, switched to a rollback journal (one self-contained file), synced,
//! and only then renamed into place, so a listed backup is always a whole one.

mod folder;
pub mod restore;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

pub use folder::{configure_dir, dir_for, find, list, prune};

/// How long a backup waits for a lock another connection holds (a checkpoint, a migration).
const LOCK_WAIT: Duration = Duration::from_secs(30);

/// The file names automatic backups get: `movielens-<UTC time>.db`. Only these are pruned.
pub const NAME_PREFIX: &str = "movielens-";

/// One backup in the folder.
#[derive(Debug, Clone, serde::Serialize, poem_openapi::Object)]
pub struct BackupInfo {
    /// The file name, which the download route takes.
    pub name: String,
    /// Its size in bytes.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub size_bytes: u64,
    /// When it was written (unix seconds).
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub created_at: i64,
    /// The newest migration it carries; absent when it cannot be read as a movielens database.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub schema_version: Option<i64>,
}

/// Copies the database at `live` to `dest`, which must not exist yet.
pub fn copy_to(live: &Path, dest: &Path) -> anyhow::Result<BackupInfo> {
    if !live.is_file() {
        anyhow::bail!("there is no database at {}", live.display());
    }
    if dest.exists() {
        anyhow::bail!("{} already exists; give a new file name", dest.display());
    }
    let name = dest.file_name().and_then(|name| name.to_str()).context("the backup needs a file name")?.to_string();
    let partial = dest.with_file_name(format!(".{name}.partial"));
    let copied = at_background_priority(|| copy_pages(live, &partial)).and_then(|()| {
        sync_file(&partial)?;
        std::fs::rename(&partial, dest).with_context(|| format!("renaming the backup to {}", dest.display()))?;
        sync_parent(dest)
    });
    if let Err(err) = copied {
        let _ = std::fs::remove_file(&partial);
        return Err(err);
    }
    folder::describe(dest)
}

/// Takes a backup into `dir` (created if missing) under a new `movielens-<time>.db` name.
pub fn create_in(live: &Path, dir: &Path) -> anyhow::Result<BackupInfo> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating the backup folder {}", dir.display()))?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ").to_string();
    let mut dest = dir.join(format!("{NAME_PREFIX}{stamp}.db"));
    let mut attempt = 1;
    while dest.exists() {
        attempt += 1;
        dest = dir.join(format!("{NAME_PREFIX}{stamp}-{attempt}.db"));
    }
    copy_to(live, &dest)
}

/// The nice value a backup's copy runs at: the lowest priority. Copying is CPU work for a core
/// for seconds (12 s for the 25M-rating set); at normal priority it took a core from the
/// server's requests and their p99 rose sevenfold. At this one they come first and the copy takes
/// the time they leave (`scripts/bench_backup.sh`).
const BACKUP_NICE: i32 = 19;

/// Runs `work` on a thread of its own at [`BACKUP_NICE`]. A thread of its own, because a
/// thread's priority, once lowered, cannot be raised again without privilege.
fn at_background_priority<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        let copier = scope.spawn(|| {
            lower_this_threads_priority();
            work()
        });
        copier.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// On Linux a thread id names one thread for `setpriority`; elsewhere it would name the whole
/// process, so there the copy keeps its priority.
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    if let Err(err) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), BACKUP_NICE) {
        tracing::debug!(error = %err, "the backup runs at normal priority");
    }
}

/// Every page of `source` into a new file at `dest`, as of one moment, left as one file.
pub(crate) fn copy_pages(source: &Path, dest: &Path) -> anyhow::Result<()> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let from = Connection::open_with_flags(source, flags).with_context(|| format!("opening {}", source.display()))?;
    from.busy_timeout(LOCK_WAIT)?;
    let _ = std::fs::remove_file(dest);
    let mut to = Connection::open(dest).with_context(|| format!("creating {}", dest.display()))?;
    {
        let backup = Backup::new(&from, &mut to)?;
        let started = std::time::Instant::now();
        // All pages in one step: one read transaction, so concurrent commits cannot restart it.
        loop {
            match backup.step(-1).with_context(|| format!("copying {}", source.display()))? {
                StepResult::Done => break,
                StepResult::Busy | StepResult::Locked if started.elapsed() < LOCK_WAIT => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                StepResult::More => {}
                other => anyhow::bail!("the database stayed locked for {} s ({other:?})", LOCK_WAIT.as_secs()),
            }
        }
    }
    // The copy carries the source's WAL flag; a rollback journal makes it one self-contained
    // file that opens anywhere, even read-only. The server switches it back to WAL when it opens.
    to.pragma_update(None, "journal_mode", "DELETE")?;
    Ok(())
}

pub(crate) fn sync_file(path: &Path) -> anyhow::Result<()> {
    std::fs::File::open(path)
        .and_then(|file| file.sync_all())
        .with_context(|| format!("syncing {} to disk", path.display()))
}

/// Makes a rename into the folder of `path` durable.
pub(crate) fn sync_parent(path: &Path) -> anyhow::Result<()> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::File::open(&parent)
        .and_then(|dir| dir.sync_all())
        .with_context(|| format!("syncing the folder {} to disk", parent.display()))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use rustix::process::getpriority_process;
    use rustix::thread::gettid;

    #[test]
    fn the_copy_runs_at_the_lowest_priority_and_the_caller_keeps_its_own() {
        let before = getpriority_process(Some(gettid())).unwrap();
        let during = super::at_background_priority(|| getpriority_process(Some(gettid())).unwrap());
        assert_eq!(during, super::BACKUP_NICE);
        assert_eq!(getpriority_process(Some(gettid())).unwrap(), before);
    }
}
