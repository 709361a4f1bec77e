//! A plain pool of scoped threads over blocks of indexes: a fixed thread count (1 beside the
//! server, every core from the command line), a stop flag checked between blocks, and progress.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// How the caller follows and stops the work.
pub struct Control<'a> {
    pub threads: usize,
    /// Checked between blocks: once set, the work ends early and yields nothing.
    pub stop: &'a AtomicBool,
    /// Called with the number of indexes done so far, after each block.
    pub progress: &'a (dyn Fn(usize) + Sync),
}

/// The number of threads to use when the caller asks for every core.
pub fn all_cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Runs `work` over `0..total` in blocks of `block` on `control.threads` threads, and returns
/// the blocks' results in index order, or `None` when stopped.
pub fn in_blocks<T: Send>(
    total: usize,
    block: usize,
    control: &Control<'_>,
    work: impl Fn(Range<usize>) -> T + Sync,
) -> Option<Vec<T>> {
    let block = block.max(1);
    let blocks = total.div_ceil(block);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, T)>> = Mutex::new(Vec::with_capacity(blocks));
    std::thread::scope(|scope| {
        for _ in 0..control.threads.max(1) {
            scope.spawn(|| loop {
                if control.stop.load(Ordering::Relaxed) {
                    return;
                }
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= blocks {
                    return;
                }
                let range = index * block..((index + 1) * block).min(total);
                let length = range.len();
                let value = work(range);
                results.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push((index, value));
                (control.progress)(done.fetch_add(length, Ordering::Relaxed) + length);
            });
        }
    });
    if control.stop.load(Ordering::Relaxed) {
        return None;
    }
    let mut results = results.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    results.sort_unstable_by_key(|(index, _)| *index);
    Some(results.into_iter().map(|(_, value)| value).collect())
}
