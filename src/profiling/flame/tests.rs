//! The span layer against a subscriber of its own: off by default, windows clamp time, and
//! profile trees. One test, since the switch and the capture are process-wide.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing_subscriber::layer::SubscriberExt;

use super::capture::Capture;
use super::switch::On;
use super::tree::ProfileTree;

fn nanos_of(folded: &str, stack: &str) -> u64 {
    let line = folded.lines().find(|line| line.rsplit_once(' ').is_some_and(|(name, _)| name == stack));
    line.and_then(|line| line.rsplit(' ').next()?.parse().ok()).unwrap_or_else(|| panic!("no {stack} in {folded:?}"))
}

#[test]
fn the_layer_is_off_until_switched_on_and_charges_a_window_only_its_own_time() {
    let subscriber = tracing_subscriber::registry().with(super::layer());
    tracing::subscriber::with_default(subscriber, || {
        // Off: the span is not even created.
        assert!(tracing::debug_span!("unseen").is_disabled(), "a span was created with the layer off");

        // A span entered before the window opened: only the time after the start is charged.
        let on = On::new();
        let early = tracing::debug_span!("early");
        let entered = early.enter();
        std::thread::sleep(Duration::from_millis(30));
        let before_start = Instant::now();
        let capture = Capture::start().expect("no other capture runs");
        assert!(Capture::start().is_err(), "a second capture started while one ran");
        let inner = tracing::debug_span!("inner", operation = "lookup");
        inner.in_scope(|| std::thread::sleep(Duration::from_millis(2)));
        drop(entered);
        let after_exit = Instant::now();
        let folded = capture.finish();
        let charged = Duration::from_nanos(nanos_of(&folded, "early") + nanos_of(&folded, "early;inner:lookup"));
        assert!(
            charged <= after_exit - before_start,
            "charged {charged:?} for a window of {:?}",
            after_exit - before_start
        );
        assert!(nanos_of(&folded, "early;inner:lookup") >= 2_000_000, "{folded}");
        drop(on);
        assert!(tracing::debug_span!("unseen again").is_disabled(), "the layer stayed on");

        // A profiled root: the spans opened inside it form its tree, with fields recorded later.
        let _on = On::new();
        let tree = Arc::new(ProfileTree::new("profile"));
        let root = tracing::info_span!("root");
        assert!(super::attach(&root, tree.clone()));
        root.in_scope(|| {
            let unit = tracing::debug_span!("db", operation = "movies.page", sql = tracing::field::Empty);
            unit.in_scope(|| unit.record("sql", "SELECT 1"));
        });
        let (root_node, dropped) = tree.snapshot();
        assert_eq!(dropped, 0);
        let unit = &root_node.children[0];
        assert_eq!((unit.name.as_str(), unit.fields["sql"].as_str()), ("db", "SELECT 1"));
        assert_eq!(unit.fields["operation"], "movies.page");
        assert!(unit.wall_us.is_some(), "a closed span has its wall time");
    });
}
