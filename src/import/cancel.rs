//! Stopping an import part-way. The load is one transaction, so stopping loses nothing: the loader
//! checks the flag between rows and SQLite's progress handler checks it inside long statements,
//! and the transaction rolls back. A partial download is deleted.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::ImportError;

/// How long a rolling-back load may take after a signal before the process exits anyway.
/// Exiting mid-transaction is safe too (SQLite discards an uncommitted transaction); it only
/// leaves the write-ahead log for the next start to clean up.
const ROLLBACK_GRACE: Duration = Duration::from_secs(10);

/// A shared flag that asks an import to stop, and what to clean up if it does.
#[derive(Clone, Default)]
pub struct Cancel(Arc<State>);

#[derive(Default)]
struct State {
    requested: AtomicBool,
    loading: AtomicBool,
    partial_files: Mutex<Vec<PathBuf>>,
}

impl Cancel {
    pub fn request(&self) {
        self.0.requested.store(true, Ordering::SeqCst);
    }

    pub fn is_requested(&self) -> bool {
        self.0.requested.load(Ordering::Relaxed)
    }

    /// `Err(Interrupted)` once a stop was requested.
    pub fn check(&self) -> Result<(), ImportError> {
        if self.is_requested() {
            return Err(ImportError::Interrupted);
        }
        Ok(())
    }

    /// Marks `path` as a partial file to delete if the command is interrupted.
    pub fn remove_on_interrupt(&self, path: &Path) {
        self.0.partial_files.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(path.to_path_buf());
    }

    fn remove_partial_files(&self) {
        for path in self.0.partial_files.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).drain(..) {
            let _ = std::fs::remove_file(path);
        }
    }

    /// Marks a transaction in progress until the guard drops: a signal then waits for its rollback.
    pub fn loading(&self) -> LoadingGuard {
        self.0.loading.store(true, Ordering::SeqCst);
        LoadingGuard(self.clone())
    }
}

pub struct LoadingGuard(Cancel);

impl Drop for LoadingGuard {
    fn drop(&mut self) {
        self.0 .0.loading.store(false, Ordering::SeqCst);
    }
}

/// For a command that runs on the main thread (`import`): on SIGINT or SIGTERM, delete partial
/// files and ask the import to stop. Outside a load nothing needs undoing, so the process exits at
/// once, even from a read blocked on a stalled server; during a load the rollback gets
/// [`ROLLBACK_GRACE`], and a second signal ends it at once. The exit status is 128 + the signal.
///
/// The handlers are installed before this returns, so no signal can take the default action and
/// leave a partial file behind.
pub fn stop_on_signals(cancel: Cancel) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let (mut interrupt, mut terminate) = {
        let _context = runtime.enter();
        (signal(SignalKind::interrupt())?, signal(SignalKind::terminate())?)
    };
    std::thread::Builder::new().name("signals".to_string()).spawn(move || {
        runtime.block_on(async move {
            let (name, code) = tokio::select! {
                _ = interrupt.recv() => ("SIGINT", 130),
                _ = terminate.recv() => ("SIGTERM", 143),
            };
            cancel.request();
            cancel.remove_partial_files();
            if !cancel.0.loading.load(Ordering::SeqCst) {
                eprintln!("error: interrupted by {name}; nothing was imported");
                std::process::exit(code);
            }
            eprintln!("{name} received: rolling back the import");
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
                _ = tokio::time::sleep(ROLLBACK_GRACE) => {}
            }
            eprintln!(
                "error: interrupted by {name} before the rollback finished; SQLite discards the rest at the next start"
            );
            std::process::exit(code);
        })
    })?;
    Ok(())
}
