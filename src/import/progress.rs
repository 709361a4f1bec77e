//! Progress bars by bytes read. Drawn only when stderr is a terminal.

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::source::{DataFile, OpenedFile};

/// A bar labelled `label` over `size` bytes, or a hidden one when `enabled` is false.
pub fn bar(enabled: bool, size: Option<u64>, label: &'static str) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    // `stderr()` hides itself when stderr is not a terminal: no bar in logs or pipes.
    let bar = ProgressBar::with_draw_target(size, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar.set_message(label);
    bar
}

/// Bytes read so far out of the bytes of the files opened so far, for an import run as a
/// background task (its progress). Cheap to clone; every clone counts into the same totals.
#[derive(Clone, Default)]
pub struct ByteCount {
    read: Arc<AtomicU64>,
    total: Arc<AtomicU64>,
}

impl ByteCount {
    /// (bytes read, bytes of the files opened so far).
    pub fn get(&self) -> (u64, u64) {
        (self.read.load(Ordering::Relaxed), self.total.load(Ordering::Relaxed))
    }
}

struct Counting<R> {
    inner: R,
    count: ByteCount,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.count.read.fetch_add(read as u64, Ordering::Relaxed);
        Ok(read)
    }
}

/// Wraps a file's reader so that reading it advances a bar and `count`; finish the bar when done.
pub fn track<'a>(
    enabled: bool,
    count: &ByteCount,
    file: DataFile,
    opened: OpenedFile<'a>,
) -> (Box<dyn Read + 'a>, ProgressBar) {
    let bar = bar(enabled, opened.size, file.name());
    count.total.fetch_add(opened.size.unwrap_or(0), Ordering::Relaxed);
    let counted = Counting { inner: opened.reader, count: count.clone() };
    (Box::new(bar.wrap_read(counted)), bar)
}
