//! Shared by the flamegraph and metrics tests: a served binary with an admin token, and checks
//! on what it draws.
#![allow(dead_code)] // each test binary uses its own subset

use crate::common::{send, start_server, wait_for, TempDb};

pub const TOKEN: &str = "flame-admin-token";

pub fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

/// `movielens serve` with the admin token (plus `args`); the child, its URL and its database.
pub fn serve(args: &[&str]) -> (std::process::Child, String, TempDb) {
    let db = TempDb::new();
    let mut all = vec!["--admin-token", TOKEN];
    all.extend_from_slice(args);
    let (child, url, _) = start_server(&db, &all, &[]);
    (child, url, db)
}

/// GET with the admin token: status, headers, body.
pub fn admin_get(url: &str) -> (u16, ureq::http::HeaderMap, String) {
    send("GET", url, &[("Authorization", &bearer())], None)
}

/// Whether `/metrics` says a capture runs.
pub fn capture_running(base: &str) -> bool {
    let (status, _, body) = admin_get(&format!("{base}/metrics"));
    assert_eq!(status, 200, "{body}");
    body.lines().any(|line| line == "movielens_flamegraph_capture_running 1")
}

/// Starts a capture of `query` (e.g. `seconds=5`) on a thread and waits until it runs.
pub fn start_capture(base: &str, query: &str) -> std::thread::JoinHandle<(u16, ureq::http::HeaderMap, String)> {
    let url = format!("{base}/api/profiling/flamegraph?{query}");
    let capture = std::thread::spawn(move || admin_get(&url));
    wait_for("the capture to start", || capture_running(base).then_some(()));
    capture
}

/// Requests that miss the cache (so that they run units of work) until `capture` ends.
pub fn busy_until_done(base: &str, capture: &std::thread::JoinHandle<(u16, ureq::http::HeaderMap, String)>) -> usize {
    let mut sent = 0;
    while !capture.is_finished() || sent == 0 {
        let page = sent % 50 + 1;
        let (status, _, body) =
            send("GET", &format!("{base}/api/movies?page_size=3&page={page}&sort=-year"), &[], None);
        assert_eq!(status, 200, "{body}");
        sent += 1;
    }
    sent
}

/// Asserts `svg` is well-formed XML whose root element is `<svg>`; returns its text content.
pub fn parse_svg(svg: &str) -> String {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(svg);
    let (mut root, mut text, mut depth) = (None, String::new(), 0i64);
    loop {
        match reader.read_event() {
            Ok(Event::Start(element)) => {
                root.get_or_insert_with(|| String::from_utf8_lossy(element.name().as_ref()).into_owned());
                depth += 1;
            }
            Ok(Event::Empty(element)) => {
                root.get_or_insert_with(|| String::from_utf8_lossy(element.name().as_ref()).into_owned());
            }
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Text(content)) => text.push_str(&String::from_utf8_lossy(&content)),
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(err) => panic!("not well-formed XML at {}: {err}\n{svg}", reader.buffer_position()),
        }
    }
    assert_eq!(depth, 0, "unclosed elements");
    assert_eq!(root.as_deref(), Some("svg"), "the root element is not <svg>");
    text
}
