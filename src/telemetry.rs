//! Tracing setup: `RUST_LOG` filters the logs, `--log-format` picks human text or JSON lines, the
//! span layer of the flamegraph captures is installed (off until used), and `serve --flame`
//! adds a layer that writes every span's folded stacks to a file.

use std::fs::File;
use std::io::{BufWriter, IsTerminal};
use std::path::Path;

use anyhow::Context;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::config::LogFormat;
use crate::profiling::flame;

/// Without `RUST_LOG`: our info logs, but not one line per request (that would cap throughput).
const DEFAULT_FILTER: &str = "info,poem::middleware=warn";

/// Writes the rest of the `--flame` file when dropped (at shutdown).
pub struct FlameFile(#[allow(dead_code)] tracing_flame::FlushGuard<BufWriter<File>>);

/// Installs the global subscriber. Logs go to stderr so that stdout stays for command output.
pub fn init(format: LogFormat) {
    let _ = init_with(format, true, None);
}

/// [`init`]; `span_layer` installs the layer the flamegraph captures and profiles switch on, and
/// `flame` adds a layer that writes folded stacks of every span to that file. Keep the returned
/// guard until shutdown, when it flushes the file.
pub fn init_with(format: LogFormat, span_layer: bool, flame: Option<&Path>) -> anyhow::Result<Option<FlameFile>> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let ansi = std::io::stderr().is_terminal();
    // Every layer has a filter of its own (the logs' is `RUST_LOG`), so that each sees the spans
    // it wants, and a span no layer wants costs nothing. In one list: an absent layer is left out,
    // where an `Option` layer would make tracing ask every disabled callsite again each time.
    let mut layers: Vec<Box<dyn Layer<Registry> + Send + Sync>> = vec![match format {
        LogFormat::Text => {
            tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(ansi).with_filter(filter).boxed()
        }
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_writer(std::io::stderr)
            .with_ansi(ansi)
            .with_filter(filter)
            .boxed(),
    }];
    if span_layer {
        layers.push(flame::layer().boxed());
    }
    let mut guard = None;
    if let Some(path) = flame {
        let (layer, flush) = tracing_flame::FlameLayer::with_file(path)
            .with_context(|| format!("creating the flame file {}", path.display()))?;
        // Idle time between requests is not a span's: leave it out.
        let layer = layer
            .with_empty_samples(false)
            .with_threads_collapsed(true)
            .with_module_path(false)
            .with_file_and_line(false);
        layers.push(layer.with_filter(filter_fn(flame::is_flame_span)).boxed());
        guard = Some(FlameFile(flush));
    }
    let installed = tracing_subscriber::registry().with(layers).try_init();
    // A second init (tests that start several apps in one process) keeps the first subscriber.
    if installed.is_err() && guard.is_some() {
        anyhow::bail!("tracing was already set up, so --flame cannot record");
    }
    Ok(guard)
}
