//! A circuit breaker for the Redis backend: after a few consecutive failures it opens, so calls
//! stop waiting out the timeout; after a cool-down it lets one probe through and closes when the
//! probe succeeds. It also keeps the outage's record for the stats and logs each outage twice:
//! once when it starts and once when it ends.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub struct Breaker {
    /// Read without the lock on every call: the closed path costs one atomic load.
    open: AtomicBool,
    failures: AtomicU32,
    threshold: u32,
    cooldown: Duration,
    state: Mutex<State>,
}

struct State {
    retry_at: Instant,
    probing: bool,
    /// When the current state (up or down) began, in milliseconds since the Unix epoch.
    since_unix_ms: u64,
    last_error: Option<String>,
    outages: u64,
}

/// What a call may do.
pub enum Permit<'a> {
    /// The breaker is closed: go ahead.
    Go,
    /// The one call allowed through after the cool-down; report its outcome on the probe.
    Probe(Probe<'a>),
    /// Open: do not touch Redis.
    Refused,
}

/// The probe's right to close the breaker. Dropped without an outcome (a cancelled request),
/// it lets the next call probe at once.
pub struct Probe<'a> {
    breaker: &'a Breaker,
    settled: bool,
}

/// The outage record, as the stats show it.
pub struct Health {
    pub up: bool,
    pub since_unix_ms: u64,
    pub last_error: Option<String>,
    pub outages: u64,
}

impl Breaker {
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        let state = State {
            retry_at: Instant::now(),
            probing: false,
            since_unix_ms: now_unix_ms(),
            last_error: None,
            outages: 0,
        };
        Self {
            open: AtomicBool::new(false),
            failures: AtomicU32::new(0),
            threshold: threshold.max(1),
            cooldown,
            state: Mutex::new(state),
        }
    }

    pub fn permit(&self) -> Permit<'_> {
        if !self.open.load(Ordering::Acquire) {
            return Permit::Go;
        }
        let mut state = self.lock();
        if state.probing || Instant::now() < state.retry_at {
            return Permit::Refused;
        }
        state.probing = true;
        Permit::Probe(Probe { breaker: self, settled: false })
    }

    /// A call through the closed breaker succeeded.
    pub fn succeeded(&self) {
        if self.failures.load(Ordering::Relaxed) != 0 {
            self.failures.store(0, Ordering::Relaxed);
        }
    }

    /// A call through the closed breaker failed; `trip` opens the breaker at once (a failed
    /// data-version bump must not let later reads trust the shared counter).
    pub fn failed(&self, error: &str, trip: bool) {
        let failures = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        let mut state = self.lock();
        state.last_error = Some(error.to_string());
        if !self.open.load(Ordering::Acquire) && (trip || failures >= self.threshold) {
            self.open_now(&mut state, error);
        }
    }

    /// Starts in the open state: Redis could not be reached at startup.
    pub fn start_open(&self, error: &str) {
        let mut state = self.lock();
        state.last_error = Some(error.to_string());
        state.retry_at = Instant::now();
        self.open_now(&mut state, error);
    }

    pub fn health(&self) -> Health {
        let state = self.lock();
        Health {
            up: !self.open.load(Ordering::Acquire),
            since_unix_ms: state.since_unix_ms,
            last_error: state.last_error.clone(),
            outages: state.outages,
        }
    }

    fn open_now(&self, state: &mut State, error: &str) {
        self.open.store(true, Ordering::Release);
        state.retry_at = state.retry_at.max(Instant::now() + self.cooldown);
        state.since_unix_ms = now_unix_ms();
        state.outages += 1;
        tracing::warn!(error, "cache: Redis is unreachable; serving without it until it answers again");
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Probe<'_> {
    pub fn succeeded(mut self) {
        self.settled = true;
        let mut state = self.breaker.lock();
        state.probing = false;
        let down_for_ms = now_unix_ms().saturating_sub(state.since_unix_ms);
        state.since_unix_ms = now_unix_ms();
        self.breaker.failures.store(0, Ordering::Relaxed);
        self.breaker.open.store(false, Ordering::Release);
        tracing::info!(down_for_ms, "cache: Redis answers again; using it");
    }

    pub fn failed(mut self, error: &str) {
        self.settled = true;
        let mut state = self.breaker.lock();
        state.probing = false;
        state.retry_at = Instant::now() + self.breaker.cooldown;
        state.last_error = Some(error.to_string());
    }
}

impl Drop for Probe<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.breaker.lock().probing = false;
        }
    }
}

pub fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
}
