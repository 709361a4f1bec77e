//! Capture windows: while one is open, the span layer charges each span's self time, counted from
//! the window's start, to its folded stack. One window at a time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use super::switch::On;

/// Instants are kept as nanoseconds after this, so that the window's start is one atomic.
static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);

/// The open window's start (nanoseconds after [`EPOCH`], plus one), or 0 with none open.
static WINDOW_START: AtomicU64 = AtomicU64::new(0);

/// Self time per folded stack, in nanoseconds, for the open window.
static STACKS: LazyLock<Mutex<HashMap<String, u64>>> = LazyLock::new(Default::default);

/// Whether a capture runs; a second one is refused, not queued.
static CAPTURING: AtomicBool = AtomicBool::new(false);

/// Stacks kept per window at most; more distinct ones are charged to one `(other)` frame.
const MAX_STACKS: usize = 10_000;

/// The open window's start, if one is open.
pub(super) fn window_start() -> Option<Instant> {
    match WINDOW_START.load(Ordering::Acquire) {
        0 => None,
        nanos => Some(*EPOCH + Duration::from_nanos(nanos - 1)),
    }
}

fn stacks() -> std::sync::MutexGuard<'static, HashMap<String, u64>> {
    STACKS.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Adds `time` to `stack`'s self time in the open window.
pub(super) fn charge(stack: &str, time: Duration) {
    let nanos = u64::try_from(time.as_nanos()).unwrap_or(u64::MAX);
    let mut stacks = stacks();
    if WINDOW_START.load(Ordering::Acquire) == 0 {
        return; // the window closed meanwhile
    }
    if let Some(total) = stacks.get_mut(stack) {
        *total = total.saturating_add(nanos);
        return;
    }
    let key = if stacks.len() < MAX_STACKS { stack } else { "(other)" };
    let total = stacks.entry(key.to_string()).or_default();
    *total = total.saturating_add(nanos);
}

/// Whether a capture is running now.
pub fn is_running() -> bool {
    CAPTURING.load(Ordering::SeqCst)
}

/// Another capture is running.
#[derive(Debug, thiserror::Error)]
#[error("a flamegraph capture is already running; only one runs at a time: try again when it ends")]
pub struct CaptureBusy;

/// An open capture window. It closes when finished or dropped (a client that went away).
pub struct Capture {
    _on: On,
}

impl Capture {
    /// Opens a window now, unless one is open.
    pub fn start() -> Result<Self, CaptureBusy> {
        CAPTURING.compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst).map_err(|_| CaptureBusy)?;
        stacks().clear();
        let since_epoch = u64::try_from(EPOCH.elapsed().as_nanos()).unwrap_or(u64::MAX - 1);
        WINDOW_START.store(since_epoch + 1, Ordering::Release);
        // Spans opened from now on are seen; older ones are not the layer's at all.
        Ok(Self { _on: On::new() })
    }

    /// Closes the window and returns its folded stacks (`a;b;c nanoseconds` lines), sorted.
    pub fn finish(self) -> String {
        let stacks = std::mem::take(&mut *stacks());
        WINDOW_START.store(0, Ordering::Release);
        let mut lines: Vec<String> = stacks.into_iter().map(|(stack, nanos)| format!("{stack} {nanos}")).collect();
        lines.sort();
        lines.join("\n")
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        WINDOW_START.store(0, Ordering::Release);
        stacks().clear();
        CAPTURING.store(false, Ordering::SeqCst);
    }
}
