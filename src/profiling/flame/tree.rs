//! One profiled request's spans as a tree, with their timings (`?profile=true`).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Spans kept per profiled request; a request that opens more (a loop of units of work) keeps
/// the first ones and counts the rest.
const MAX_NODES: usize = 5_000;

/// The root node: the span the profiling middleware opens around the request.
pub const ROOT: usize = 0;

struct Node {
    name: &'static str,
    parent: Option<usize>,
    fields: Vec<(&'static str, String)>,
    start: Duration,
    busy: Duration,
    self_time: Duration,
    wall: Option<Duration>,
}

/// The spans of one request, added by the span layer as they open, enter, exit and close.
pub struct ProfileTree {
    started: Instant,
    nodes: Mutex<(Vec<Node>, u64)>,
}

impl ProfileTree {
    pub fn new(root_name: &'static str) -> Self {
        let root = Node {
            name: root_name,
            parent: None,
            fields: Vec::new(),
            start: Duration::ZERO,
            busy: Duration::ZERO,
            self_time: Duration::ZERO,
            wall: None,
        };
        Self { started: Instant::now(), nodes: Mutex::new((vec![root], 0)) }
    }

    fn with_nodes<T>(&self, work: impl FnOnce(&mut (Vec<Node>, u64)) -> T) -> T {
        work(&mut self.nodes.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// Adds a span under `parent`; `None` once the tree is full.
    pub(super) fn add(&self, parent: usize, name: &'static str, fields: Vec<(&'static str, String)>) -> Option<usize> {
        let start = self.started.elapsed();
        self.with_nodes(|(nodes, dropped)| {
            if nodes.len() >= MAX_NODES {
                *dropped += 1;
                return None;
            }
            let node = Node {
                name,
                parent: Some(parent),
                fields,
                start,
                busy: Duration::ZERO,
                self_time: Duration::ZERO,
                wall: None,
            };
            nodes.push(node);
            Some(nodes.len() - 1)
        })
    }

    /// Fields recorded after the span opened (a status, a statement count, the SQL).
    pub(super) fn set_fields(&self, node: usize, fields: Vec<(&'static str, String)>) {
        self.with_nodes(|(nodes, _)| {
            let Some(node) = nodes.get_mut(node) else { return };
            for (name, value) in fields {
                match node.fields.iter_mut().find(|(existing, _)| *existing == name) {
                    Some(slot) => slot.1 = value,
                    None => node.fields.push((name, value)),
                }
            }
        });
    }

    pub(super) fn add_busy(&self, node: usize, busy: Duration, self_time: Duration) {
        self.with_nodes(|(nodes, _)| {
            if let Some(node) = nodes.get_mut(node) {
                node.busy += busy;
                node.self_time += self_time;
            }
        });
    }

    pub(super) fn set_wall(&self, node: usize, wall: Duration) {
        self.with_nodes(|(nodes, _)| {
            if let Some(node) = nodes.get_mut(node) {
                node.wall = Some(wall);
            }
        });
    }

    /// The tree as it is now, with the root's wall time taken as the time since it was made.
    pub fn snapshot(&self) -> (SpanNode, u64) {
        let wall = self.started.elapsed();
        self.with_nodes(|(nodes, dropped)| {
            let mut children: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
            for (index, node) in nodes.iter().enumerate() {
                if let Some(parent) = node.parent {
                    children.entry(parent).or_default().push(index);
                }
            }
            let mut root = build(nodes, &children, ROOT);
            root.wall_us = Some(micros(wall));
            (root, *dropped)
        })
    }
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

fn build(nodes: &[Node], children: &BTreeMap<usize, Vec<usize>>, index: usize) -> SpanNode {
    let node = &nodes[index];
    SpanNode {
        name: node.name.to_string(),
        fields: node.fields.iter().map(|(name, value)| (name.to_string(), value.clone())).collect(),
        start_us: micros(node.start),
        busy_us: micros(node.busy),
        self_us: micros(node.self_time),
        wall_us: node.wall.map(micros),
        children: children.get(&index).into_iter().flatten().map(|&child| build(nodes, children, child)).collect(),
    }
}

/// A span of the profiled request, with the spans opened inside it.
#[derive(Debug, Clone, Serialize)]
pub struct SpanNode {
    /// The span's name: `request`, `db`, `db_write`, `cache`, `serialize`, ...
    pub name: String,
    /// Its fields as text (for `db` spans: the operation, the statement count and the SQL).
    pub fields: BTreeMap<String, String>,
    /// When it opened, in microseconds after the request began.
    pub start_us: u64,
    /// Microseconds it was entered (polled, or running on a blocking thread), its children's
    /// time included. Time spent awaiting is not counted.
    pub busy_us: u64,
    /// `busy_us` less its children's busy time on the same thread.
    pub self_us: u64,
    /// Microseconds from opening to closing, awaiting included; absent if it was still open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wall_us: Option<u64>,
    /// The spans opened inside it, in the order they opened.
    pub children: Vec<SpanNode>,
}
