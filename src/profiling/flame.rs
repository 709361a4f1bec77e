//! Span flamegraphs, built on tracing:
//! - for a whole run, `serve --flame FILE` writes folded stacks with tracing-flame (see
//!   `telemetry`), and `movielens flamegraph FILE` draws them ([`render`]);
//! - for a time window, [`capture::Capture`] collects folded stacks from the span layer;
//! - for one request, a [`tree::ProfileTree`] attached to its root span collects its span tree.
//!
//! The span layer ([`layer()`]) is installed at start and is off, at no cost, until a capture or
//! a profiled request switches it on ([`switch`]).

pub mod capture;
mod layer;
pub mod render;
pub mod switch;
pub mod tree;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use tracing::Subscriber;
use tracing_subscriber::layer::Layer;
use tracing_subscriber::registry::LookupSpan;

pub use switch::is_installed;

/// The span layer behind its switch, for the global subscriber.
pub fn layer<S>() -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    switch::mark_installed();
    layer::SpanLayer.with_filter(switch::Switch)
}

/// The spans the flamegraphs show: this crate's, at debug level and above.
pub fn is_flame_span(metadata: &tracing::Metadata<'_>) -> bool {
    switch::wanted(metadata)
}

/// Makes `span` (opened while the layer is on) the root of `tree`: spans opened inside it are
/// added to the tree. `false` if the layer does not know the span.
pub fn attach(span: &tracing::Span, profile: Arc<tree::ProfileTree>) -> bool {
    span.with_subscriber(|(id, dispatch)| {
        let Some(registry) = dispatch.downcast_ref::<tracing_subscriber::Registry>() else { return false };
        let Some(span) = registry.span(id) else { return false };
        let mut extensions = span.extensions_mut();
        let Some(data) = extensions.get_mut::<layer::SpanData>() else { return false };
        data.profile = Some((profile, tree::ROOT));
        true
    })
    .unwrap_or(false)
}
