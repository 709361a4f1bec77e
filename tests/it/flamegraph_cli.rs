//! `serve --flame FILE` records a whole run, and `movielens flamegraph FILE` draws it.

use crate::common;
use crate::flamegraph_support;

use common::{get, movielens, terminate};
use flamegraph_support::{parse_svg, serve};

#[test]
fn a_run_recorded_with_flame_is_flushed_at_shutdown_and_renders_as_an_svg() {
    let out = tempfile::tempdir().unwrap();
    let folded = out.path().join("run.folded");
    let (mut child, url, _db) = serve(&["--flame", folded.to_str().unwrap()]);
    for page in 1..=5 {
        let (status, body) = get(&format!("{url}/api/movies?page_size=3&page={page}"));
        assert_eq!(status, 200, "{body}");
    }
    assert!(terminate(&mut child).success());
    let recorded = std::fs::read_to_string(&folded).unwrap();
    assert!(recorded.lines().any(|line| line.contains("request") && line.contains("db")), "{recorded}");
    let drawn = movielens(&["flamegraph", folded.to_str().unwrap()]);
    assert!(drawn.status.success(), "{}", String::from_utf8_lossy(&drawn.stderr));
    let text = parse_svg(&String::from_utf8(drawn.stdout).unwrap());
    assert!(text.contains("request"), "{text}");
}

#[test]
fn flamegraph_refuses_a_missing_file_and_one_without_stacks_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.folded");
    let output = movielens(&["flamegraph", missing.to_str().unwrap()]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("reading the folded stacks") && stderr.contains("missing.folded"), "{stderr}");
    for (name, contents) in [("empty.folded", ""), ("prose.folded", "this is not a stack\n\n")] {
        let path = dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        let output = movielens(&["flamegraph", path.to_str().unwrap()]);
        assert!(!output.status.success(), "{name} drew something");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("no stacks to draw") && stderr.contains(name), "{name}: {stderr}");
        assert!(output.stdout.is_empty(), "{name}: half an SVG on stdout");
    }
}

#[test]
fn flame_refuses_a_file_it_cannot_create_before_serving() {
    let db = common::TempDb::new();
    let output =
        movielens(&["--db", db.arg(), "serve", "--bind", "127.0.0.1:0", "--flame", "/nonexistent-dir/run.folded"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("creating the flame file /nonexistent-dir/run.folded"), "{stderr}");
}
