//! The recorder's rate cap: at most N requests recorded per second, so that the inspector's cost
//! stays flat however busy the server is. Under the cap (a person clicking through the API, a
//! test run) every request is recorded; a saturated server records N a second and counts the rest.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Bits of the window word that hold the count; the second is kept above them.
const COUNT_BITS: u32 = 20;
const COUNT_MASK: u64 = (1 << COUNT_BITS) - 1;
/// The highest cap the window word can count to.
pub const MAX_PER_SECOND: u64 = COUNT_MASK;

pub struct RateCap {
    /// Requests admitted per second at most; 0 admits every request.
    per_second: u64,
    started: Instant,
    /// The current second (since `started`) and the requests admitted in it, in one word so
    /// that admitting is a single compare-and-swap.
    window: AtomicU64,
    /// Requests turned away since the server started.
    over: AtomicU64,
}

impl RateCap {
    pub fn new(per_second: u64) -> Self {
        Self { per_second: per_second.min(MAX_PER_SECOND), started: Instant::now(), window: 0.into(), over: 0.into() }
    }

    /// Whether one more request may be recorded in this second; if not, it is counted.
    pub fn admit(&self) -> bool {
        if self.per_second == 0 {
            return true;
        }
        let second = self.started.elapsed().as_secs();
        let mut current = self.window.load(Ordering::Relaxed);
        loop {
            let next = if current >> COUNT_BITS != second {
                (second << COUNT_BITS) | 1
            } else if current & COUNT_MASK < self.per_second {
                current + 1
            } else {
                self.over.fetch_add(1, Ordering::Relaxed);
                return false;
            };
            match self.window.compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return true,
                Err(now) => current = now,
            }
        }
    }

    /// Requests not recorded because of the cap, since the server started.
    pub fn over(&self) -> i64 {
        i64::try_from(self.over.load(Ordering::Relaxed)).unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_admits_that_many_requests_in_a_second_and_counts_the_rest() {
        let cap = RateCap::new(3);
        let admitted = (0..10).filter(|_| cap.admit()).count();
        // A second boundary may fall inside the loop: then up to twice the cap.
        assert!((3..=6).contains(&admitted), "{admitted}");
        assert_eq!(cap.over(), 10 - admitted as i64);
    }

    #[test]
    fn a_new_second_admits_again() {
        let cap = RateCap::new(1);
        assert!(cap.admit());
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert!(cap.admit());
    }

    #[test]
    fn a_cap_of_zero_admits_everything() {
        let cap = RateCap::new(0);
        assert!((0..5000).all(|_| cap.admit()));
        assert_eq!(cap.over(), 0);
    }

    #[test]
    fn concurrent_callers_never_admit_more_than_the_cap_in_one_second() {
        let cap = std::sync::Arc::new(RateCap::new(1000));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let cap = cap.clone();
                std::thread::spawn(move || (0..5000).filter(|_| cap.admit()).count())
            })
            .collect();
        let admitted: usize = threads.into_iter().map(|thread| thread.join().unwrap()).sum();
        // 20,000 attempts take far less than a second here, but may straddle one boundary.
        assert!((1000..=2000).contains(&admitted), "{admitted}");
        assert_eq!(cap.over() + admitted as i64, 20_000);
    }
}
