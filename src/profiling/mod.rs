//! Profiling: span flamegraphs (for a whole run, a time window or one request) and the
//! Prometheus metrics.

pub mod flame;
pub mod metrics;
