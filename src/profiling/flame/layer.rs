//! The span layer: times each span while it is entered, on the thread that entered it, and
//! charges the time to the capture window (as folded stacks) and to a profiled request's tree.
//!
//! A span's *busy* time is the time between its enters and exits; its *self* time is its busy
//! time less the busy time of the spans entered inside it on the same thread. An async span is
//! entered only while its future is polled, so time spent awaiting counts nowhere.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use super::capture;
use super::tree::ProfileTree;

/// Field values longer than this are cut (SQL texts can be long).
const MAX_FIELD_CHARS: usize = 2_000;

/// What the layer keeps in each span it sees.
pub(super) struct SpanData {
    /// The folded stack down to this span, e.g. `request;db:movies.page`.
    stack: Arc<str>,
    /// The profiled request's tree this span belongs to, and its node there.
    pub(super) profile: Option<(Arc<ProfileTree>, usize)>,
    created: Instant,
}

/// A span entered on this thread and not yet exited.
struct Frame {
    id: Id,
    entered: Instant,
    /// Busy time of spans entered inside it.
    children: Duration,
    /// The same, counted only from the start of the capture window.
    children_in_window: Duration,
}

thread_local! {
    static ENTERED: RefCell<Vec<Frame>> = const { RefCell::new(Vec::new()) };
}

/// The layer; it keeps its per-span state in the registry and its windows in [`capture`].
pub struct SpanLayer;

/// Collects a span's fields as text, and its `operation` for its label.
#[derive(Default)]
struct Fields {
    values: Vec<(&'static str, String)>,
    operation: Option<String>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.push(field, value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.push(field, format!("{value:?}"));
    }
}

impl Fields {
    fn push(&mut self, field: &Field, mut value: String) {
        if value.len() > MAX_FIELD_CHARS {
            let mut end = MAX_FIELD_CHARS;
            while !value.is_char_boundary(end) {
                end -= 1;
            }
            value.truncate(end);
            value.push('…');
        }
        if field.name() == "operation" {
            self.operation = Some(value.clone());
        }
        self.values.push((field.name(), value));
    }
}

/// A frame name for folded stacks: no `;` (the separator) and no line breaks.
fn frame_name(name: &str, operation: Option<&str>) -> String {
    let mut label = name.to_string();
    if let Some(operation) = operation {
        let _ = write!(label, ":{operation}");
    }
    label.replace([';', '\n', '\r'], "_").replace(' ', "_")
}

impl<S> Layer<S> for SpanLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let label = frame_name(span.name(), fields.operation.as_deref());
        let parent = span.parent();
        let parent_data = parent.as_ref().and_then(|parent| {
            let extensions = parent.extensions();
            let data = extensions.get::<SpanData>()?;
            Some((data.stack.clone(), data.profile.clone()))
        });
        let (stack, profile) = match parent_data {
            Some((parent_stack, profile)) => (format!("{parent_stack};{label}"), profile),
            None => (label, None),
        };
        let profile = profile.and_then(|(tree, parent)| {
            let node = tree.add(parent, span.name(), fields.values)?;
            Some((tree, node))
        });
        let data = SpanData { stack: Arc::from(stack), profile, created: Instant::now() };
        span.extensions_mut().insert(data);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let extensions = span.extensions();
        let Some((tree, node)) = extensions.get::<SpanData>().and_then(|data| data.profile.as_ref()) else { return };
        let mut fields = Fields::default();
        values.record(&mut fields);
        tree.set_fields(*node, fields.values);
    }

    fn on_enter(&self, id: &Id, _ctx: Context<'_, S>) {
        let frame = Frame {
            id: id.clone(),
            entered: Instant::now(),
            children: Duration::ZERO,
            children_in_window: Duration::ZERO,
        };
        ENTERED.with(|entered| entered.borrow_mut().push(frame));
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        let now = Instant::now();
        let window_start = capture::window_start();
        let frame = ENTERED.with(|entered| {
            let mut entered = entered.borrow_mut();
            let index = entered.iter().rposition(|frame| frame.id == *id)?;
            let frame = entered.remove(index);
            let busy = now - frame.entered;
            let busy_in_window =
                window_start.map_or(Duration::ZERO, |start| now.saturating_duration_since(start.max(frame.entered)));
            if let Some(parent) = entered.last_mut() {
                parent.children += busy;
                parent.children_in_window += busy_in_window;
            }
            Some((frame, busy, busy_in_window))
        });
        let Some((frame, busy, busy_in_window)) = frame else { return };
        let Some(span) = ctx.span(id) else { return };
        let extensions = span.extensions();
        let Some(data) = extensions.get::<SpanData>() else { return };
        if let Some((tree, node)) = &data.profile {
            tree.add_busy(*node, busy, busy.saturating_sub(frame.children));
        }
        let self_in_window = busy_in_window.saturating_sub(frame.children_in_window);
        if window_start.is_some() && !self_in_window.is_zero() {
            capture::charge(&data.stack, self_in_window);
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let extensions = span.extensions();
        let Some(data) = extensions.get::<SpanData>() else { return };
        if let Some((tree, node)) = &data.profile {
            tree.set_wall(*node, data.created.elapsed());
        }
    }
}
