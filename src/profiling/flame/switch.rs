//! Whether the span layer sees anything: off unless a capture or a profiled request runs.
//!
//! The layer is installed once, at start, behind this filter. Off, the filter tells tracing
//! that no callsite interests it, and tracing caches that answer in each callsite: a `debug_span!`
//! then costs what it costs without the layer (one relaxed load of the global maximum level).
//! Switching rebuilds tracing's interest cache, which is what `tracing_subscriber::reload` does
//! on a reload, without the lock `reload` takes on every span event while it is installed.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{Level, Metadata};
use tracing_subscriber::layer::{Context, Filter};

/// Captures and profiled requests running now; the layer is on while this is above zero.
static USERS: AtomicUsize = AtomicUsize::new(0);

/// Set once the layer is part of the global subscriber (`telemetry::init`).
static INSTALLED: AtomicBool = AtomicBool::new(false);

pub(super) fn mark_installed() {
    INSTALLED.store(true, Ordering::SeqCst);
}

/// Whether the span layer was installed: without it (an embedding that set up its own tracing),
/// captures and profiles see no spans.
pub fn is_installed() -> bool {
    INSTALLED.load(Ordering::SeqCst)
}

fn is_on() -> bool {
    USERS.load(Ordering::Relaxed) > 0
}

/// Keeps the span layer on while it lives.
pub struct On(());

impl On {
    pub fn new() -> Self {
        if USERS.fetch_add(1, Ordering::SeqCst) == 0 {
            tracing::callsite::rebuild_interest_cache();
        }
        On(())
    }
}

impl Default for On {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for On {
    fn drop(&mut self) {
        // Each switch is followed by a rebuild that reads the count as it is then, so the last
        // rebuild to run sees the final count.
        if USERS.fetch_sub(1, Ordering::SeqCst) == 1 {
            tracing::callsite::rebuild_interest_cache();
        }
    }
}

/// The spans the layer wants: this crate's, at debug level and above. Events are never wanted.
pub(super) fn wanted(metadata: &Metadata<'_>) -> bool {
    metadata.is_span() && metadata.target().starts_with("movielens") && *metadata.level() <= Level::DEBUG
}

/// The span layer's filter.
pub struct Switch;

impl<S> Filter<S> for Switch {
    fn enabled(&self, metadata: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        is_on() && wanted(metadata)
    }

    fn callsite_enabled(&self, metadata: &'static Metadata<'static>) -> Interest {
        match is_on() && wanted(metadata) {
            true => Interest::always(),
            false => Interest::never(),
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(if is_on() { LevelFilter::DEBUG } else { LevelFilter::OFF })
    }
}
