//! The counters behind `GET /metrics`, kept in process-wide atomics so that recording costs a
//! shared read lock and a few relaxed increments, and the Prometheus text they are written as.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, RwLock};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds (`le`); `+Inf` follows.
pub const LATENCY_BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

/// Request series kept at most; beyond, requests are counted under one `(overflow)` route.
const MAX_SERIES: usize = 2_000;

/// One series' latency histogram: a count per bucket (not cumulative) and the sum.
#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let bucket = LATENCY_BUCKETS.iter().position(|bound| seconds <= *bound).unwrap_or(LATENCY_BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }
}

/// A request series: method, route template and status.
type SeriesKey = (&'static str, Arc<str>, u16);

#[derive(Default)]
struct Requests {
    series: RwLock<HashMap<SeriesKey, Arc<Histogram>>>,
}

static REQUESTS: LazyLock<Requests> = LazyLock::new(Requests::default);
static DB_STATEMENTS: AtomicU64 = AtomicU64::new(0);
static DB_STATEMENT_NANOS: AtomicU64 = AtomicU64::new(0);
static DB_UNITS: AtomicU64 = AtomicU64::new(0);
static RECORDER_DROPS: AtomicU64 = AtomicU64::new(0);

/// The method as a label: the standard ones by name, any other as `OTHER` (bounded labels).
pub fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"];
    KNOWN.into_iter().find(|known| *known == method).unwrap_or("OTHER")
}

/// Counts one answered request of `route` (its template, e.g. `/api/movies/{id}`).
pub fn record_request(method: &str, route: Arc<str>, status: u16, elapsed: Duration) {
    let key = (method_label(method), route, status);
    let series = REQUESTS.series.read().unwrap_or_else(|poisoned| poisoned.into_inner()).get(&key).cloned();
    let histogram = match series {
        Some(histogram) => histogram,
        None => {
            let mut map = REQUESTS.series.write().unwrap_or_else(|poisoned| poisoned.into_inner());
            let key = if map.len() < MAX_SERIES || map.contains_key(&key) {
                key
            } else {
                (key.0, Arc::from("(overflow)"), 0)
            };
            map.entry(key).or_default().clone()
        }
    };
    histogram.observe(elapsed);
}

/// Counts a unit of work and the statements it ran (with the statement recorder on).
pub fn record_db(statements: u64, elapsed: Duration) {
    DB_UNITS.fetch_add(1, Ordering::Relaxed);
    DB_STATEMENTS.fetch_add(statements, Ordering::Relaxed);
    DB_STATEMENT_NANOS.fetch_add(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
}

/// Counts one request record the request inspector dropped because its queue was full.
pub fn count_recorder_drop() {
    RECORDER_DROPS.fetch_add(1, Ordering::Relaxed);
}

/// Cache hits and misses of one key prefix, for the exposition.
pub struct CacheCounts {
    pub prefix: String,
    pub hits: u64,
    pub misses: u64,
}

/// Tasks of one type in one state, for the exposition.
pub struct JobCount {
    pub name: String,
    pub state: String,
    pub count: i64,
}

/// A label value with `\`, `"` and line breaks escaped, as the text format requires.
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Every metric in the Prometheus text format (version 0.0.4).
pub fn render(cache: &[CacheCounts], jobs: &[JobCount]) -> String {
    let mut out = String::with_capacity(16 * 1024);
    render_requests(&mut out);
    header(
        &mut out,
        "movielens_db_units_of_work_total",
        "counter",
        "Units of work run on the database (reads and writes).",
    );
    let _ = writeln!(out, "movielens_db_units_of_work_total {}", DB_UNITS.load(Ordering::Relaxed));
    header(
        &mut out,
        "movielens_db_statements_total",
        "counter",
        "SQL statements run, as the statement recorder counted them.",
    );
    let _ = writeln!(out, "movielens_db_statements_total {}", DB_STATEMENTS.load(Ordering::Relaxed));
    header(
        &mut out,
        "movielens_db_statement_seconds_total",
        "counter",
        "Time spent in those statements inside SQLite.",
    );
    let seconds = DB_STATEMENT_NANOS.load(Ordering::Relaxed) as f64 / 1e9;
    let _ = writeln!(out, "movielens_db_statement_seconds_total {seconds}");
    header(
        &mut out,
        "movielens_cache_hits_total",
        "counter",
        "Cache lookups that found a current entry, by key prefix.",
    );
    for counts in cache {
        let _ = writeln!(out, "movielens_cache_hits_total{{prefix=\"{}\"}} {}", label(&counts.prefix), counts.hits);
    }
    header(
        &mut out,
        "movielens_cache_misses_total",
        "counter",
        "Cache lookups that found nothing current, by key prefix.",
    );
    for counts in cache {
        let _ = writeln!(out, "movielens_cache_misses_total{{prefix=\"{}\"}} {}", label(&counts.prefix), counts.misses);
    }
    header(&mut out, "movielens_jobs", "gauge", "Background tasks by type and state, as the task table holds them.");
    for job in jobs {
        let (name, state) = (label(&job.name), label(&job.state));
        let _ = writeln!(out, "movielens_jobs{{name=\"{name}\",state=\"{state}\"}} {}", job.count);
    }
    header(&mut out, "movielens_flamegraph_capture_running", "gauge", "1 while a flamegraph capture runs, else 0.");
    let running = u8::from(crate::profiling::flame::capture::is_running());
    let _ = writeln!(out, "movielens_flamegraph_capture_running {running}");
    header(
        &mut out,
        "movielens_inspector_dropped_records_total",
        "counter",
        "Request records dropped because the inspector's queue was full.",
    );
    let _ = writeln!(out, "movielens_inspector_dropped_records_total {}", RECORDER_DROPS.load(Ordering::Relaxed));
    out
}

fn render_requests(out: &mut String) {
    let map = REQUESTS.series.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut series: Vec<(&SeriesKey, &Arc<Histogram>)> = map.iter().collect();
    series.sort_by(|a, b| a.0.cmp(b.0));
    // Read each histogram once, so that its buckets, sum and count agree with each other.
    let snapshots: Vec<(String, Vec<u64>, f64)> = series
        .iter()
        .map(|((method, route, status), histogram)| {
            let labels = format!("method=\"{method}\",route=\"{}\",status=\"{status}\"", label(route));
            let counts = histogram.buckets.iter().map(|bucket| bucket.load(Ordering::Relaxed)).collect();
            (labels, counts, histogram.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9)
        })
        .collect();
    drop(map);
    header(out, "movielens_http_requests_total", "counter", "Requests answered, by method, route template and status.");
    for (labels, counts, _) in &snapshots {
        let _ = writeln!(out, "movielens_http_requests_total{{{labels}}} {}", counts.iter().sum::<u64>());
    }
    let name = "movielens_http_request_duration_seconds";
    header(
        out,
        name,
        "histogram",
        "Time from a request's arrival to its answer, by method, route template and status.",
    );
    for (labels, counts, sum) in &snapshots {
        let mut cumulative = 0;
        for (bound, count) in
            LATENCY_BUCKETS.iter().map(|bound| bound.to_string()).chain(["+Inf".to_string()]).zip(counts)
        {
            cumulative += count;
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
        }
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}\n{name}_count{{{labels}}} {cumulative}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value_of(text: &str, series: &str) -> f64 {
        let line = text.lines().find(|line| line.starts_with(series) && line[series.len()..].starts_with(' '));
        line.and_then(|line| line.rsplit(' ').next()?.parse().ok()).unwrap_or_else(|| panic!("no {series} in\n{text}"))
    }

    #[test]
    fn a_dropped_inspector_record_moves_its_counter() {
        let before = value_of(&render(&[], &[]), "movielens_inspector_dropped_records_total");
        count_recorder_drop();
        let after = value_of(&render(&[], &[]), "movielens_inspector_dropped_records_total");
        assert!(after >= before + 1.0, "{before} -> {after}");
    }

    #[test]
    fn a_histogram_counts_each_request_in_its_bucket_and_every_bucket_above() {
        let route: Arc<str> = Arc::from("/test/histogram/{id}");
        record_request("GET", route.clone(), 200, Duration::from_micros(700));
        record_request("GET", route, 200, Duration::from_secs(5));
        let text = render(&[], &[]);
        let labels = "method=\"GET\",route=\"/test/histogram/{id}\",status=\"200\"";
        let bucket = |le: &str| {
            value_of(&text, &format!("movielens_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}}"))
        };
        assert_eq!(bucket("0.0005"), 0.0);
        assert_eq!(bucket("0.001"), 1.0);
        assert_eq!(bucket("2.5"), 1.0);
        assert_eq!(bucket("+Inf"), 2.0);
        assert_eq!(value_of(&text, &format!("movielens_http_request_duration_seconds_count{{{labels}}}")), 2.0);
        assert_eq!(value_of(&text, &format!("movielens_http_requests_total{{{labels}}}")), 2.0);
    }

    #[test]
    fn an_unknown_method_is_one_label() {
        assert_eq!(method_label("BREW"), "OTHER");
        assert_eq!(method_label("GET"), "GET");
    }
}
