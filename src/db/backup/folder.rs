//! The folder backups live in (`backups/` beside the database, or `--backup-dir`), what it
//! holds, and which names may be served from it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};

use anyhow::Context;
use rusqlite::{Connection, OpenFlags};

use super::{BackupInfo, NAME_PREFIX};
use crate::db::migrations;

/// `--backup-dir` per database file. Keyed by the file, so that the API, the workers and the
/// tasks (which know only their database) find the same folder, and test servers in one process
/// keep theirs apart.
static CONFIGURED: LazyLock<Mutex<HashMap<PathBuf, PathBuf>>> = LazyLock::new(Mutex::default);

/// Sets where the backups of the database at `db_path` go (`None`: the default).
pub fn configure_dir(db_path: &Path, dir: Option<&Path>) {
    let mut configured = CONFIGURED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    match dir {
        Some(dir) => configured.insert(db_path.to_path_buf(), dir.to_path_buf()),
        None => configured.remove(db_path),
    };
}

/// The backup folder of the database at `db_path`: the configured one, else `backups/` beside it.
pub fn dir_for(db_path: &Path) -> PathBuf {
    let configured = CONFIGURED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    configured.get(db_path).cloned().unwrap_or_else(|| match db_path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.join("backups"),
        _ => PathBuf::from("backups"),
    })
}

/// The backups in `dir`, newest first: regular `.db` files (a symlink is never followed out of
/// the folder). A missing folder holds none.
pub fn list(dir: &Path) -> anyhow::Result<Vec<BackupInfo>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err).with_context(|| format!("reading the backup folder {}", dir.display())),
    };
    let mut backups = Vec::new();
    for entry in entries {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else { continue };
        if is_listable(&name) && entry.file_type()?.is_file() {
            backups.push(describe(&entry.path())?);
        }
    }
    backups.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.name.cmp(&a.name)));
    Ok(backups)
}

/// A name the folder may serve: a plain `.db` file name, no path, not hidden (partials are).
fn is_listable(name: &str) -> bool {
    name.ends_with(".db")
        && !name.starts_with('.')
        && !name.contains(['/', '\\'])
        && !name.contains("..")
        && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"._-".contains(&byte))
}

/// The path of backup `name` in `dir`, only if it is one [`list`] shows.
pub fn find(dir: &Path, name: &str) -> anyhow::Result<Option<PathBuf>> {
    if !is_listable(name) {
        return Ok(None);
    }
    Ok(list(dir)?.into_iter().find(|backup| backup.name == name).map(|backup| dir.join(backup.name)))
}

/// Deletes the oldest automatic backups (`movielens-*.db`) beyond the newest `keep`; returns
/// their names. Files put there by hand are never deleted.
pub fn prune(dir: &Path, keep: usize) -> anyhow::Result<Vec<String>> {
    let mut automatic: Vec<String> =
        list(dir)?.into_iter().map(|backup| backup.name).filter(|name| name.starts_with(NAME_PREFIX)).collect();
    // The names carry their UTC time, so they sort by age.
    automatic.sort_unstable_by(|a, b| b.cmp(a));
    let removed: Vec<String> = automatic.into_iter().skip(keep).collect();
    for name in &removed {
        std::fs::remove_file(dir.join(name)).with_context(|| format!("deleting the old backup {name}"))?;
    }
    Ok(removed)
}

/// A backup file's name, size, time and schema version.
pub(super) fn describe(path: &Path) -> anyhow::Result<BackupInfo> {
    let metadata = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    let modified = metadata.modified().ok().and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok());
    Ok(BackupInfo {
        name: path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default(),
        size_bytes: metadata.len(),
        created_at: modified.map_or(0, |since| since.as_secs() as i64),
        schema_version: schema_version(path),
    })
}

fn schema_version(path: &Path) -> Option<i64> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).ok()?;
    migrations::recorded_version(&conn).ok().filter(|version| *version > 0)
}
