//! Slow, silent and numerous clients: the connection deadlines, the connection cap, and accept
//! failures, tried from outside over real sockets.

use crate::common;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{read_until_closed, spawn_app_with};

const PATIENCE: Duration = Duration::from_secs(20);

fn connect(address: std::net::SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(address).expect("the server accepts");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
}

fn health_request() -> &'static [u8] {
    b"GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n"
}

/// Sends `request` on `stream` and reads one response (up to its JSON body's end).
fn exchange(stream: &mut TcpStream, request: &[u8]) -> String {
    use std::io::Read;
    stream.write_all(request).unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    while !received.ends_with(b"}") {
        let count = stream.read(&mut buffer).expect("a response");
        assert!(count > 0, "the server closed the connection: {}", String::from_utf8_lossy(&received));
        received.extend_from_slice(&buffer[..count]);
    }
    String::from_utf8_lossy(&received).into_owned()
}

#[test]
fn a_client_sending_its_headers_one_byte_every_200_ms_is_cut_off_after_the_header_timeout() {
    let app = spawn_app_with(None, |serve| serve.connections.header_timeout_secs = 1);
    let stream = connect(app.address);
    let mut writer = stream.try_clone().unwrap();
    let request = format!("GET /api/health HTTP/1.1\r\nHost: localhost\r\nX-Pad: {}\r\n\r\n", "a".repeat(100));
    let started = Instant::now();
    let reader = std::thread::spawn(move || {
        let mut stream = stream;
        let (received, closed) = read_until_closed(&mut stream);
        (received, closed, started.elapsed())
    });
    // Sent in full, this request would take 30 s.
    for byte in request.bytes() {
        if writer.write_all(&[byte]).is_err() || reader.is_finished() {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let (received, closed, after) = reader.join().unwrap();
    assert!(closed, "the slow client was never disconnected");
    assert!(after < Duration::from_secs(5), "disconnected only after {after:?}");
    assert!(!received.contains("200 OK"), "{received}");
}

#[test]
fn a_silent_connection_is_closed_after_the_keep_alive_timeout() {
    let app = spawn_app_with(None, |serve| serve.connections.keep_alive_timeout_secs = 1);
    let mut stream = connect(app.address);
    let started = Instant::now();
    let (received, closed) = read_until_closed(&mut stream);
    assert!(closed && received.is_empty(), "the silent connection stayed open: {received:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "closed only after {:?}", started.elapsed());
}

#[test]
fn a_half_sent_body_is_cut_off_after_the_body_timeout() {
    let app = spawn_app_with(None, |serve| {
        serve.connections.body_timeout_secs = 1;
        serve.admin_token = Some(movielens::config::Secret("letmein".to_string()));
    });
    let mut stream = connect(app.address);
    let started = Instant::now();
    stream
        .write_all(
            b"POST /api/ratings HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer letmein\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user_id\": 1,",
        )
        .unwrap();
    let (received, closed) = read_until_closed(&mut stream);
    assert!(closed, "the connection with a half-sent body stayed open: {received}");
    assert!(started.elapsed() < Duration::from_secs(5), "cut off only after {:?}", started.elapsed());
    // The status line, not the body: a random request id may hold "201".
    assert!(!received.contains("HTTP/1.1 201"), "{received}");
}

#[test]
fn a_half_sent_chunked_body_is_cut_off_after_the_body_timeout_and_a_whole_one_is_served() {
    let app = spawn_app_with(None, |serve| {
        serve.connections.body_timeout_secs = 1;
        serve.admin_token = Some(movielens::config::Secret("letmein".to_string()));
    });
    let head = "POST /api/ratings HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer letmein\r\n\
                Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    let rating = r#"{"user_id": 1, "movie_id": 1, "rating": 4.5}"#;

    let mut whole = connect(app.address);
    let request = format!("{head}{:x}\r\n{rating}\r\n0\r\n\r\n", rating.len());
    assert!(exchange(&mut whole, request.as_bytes()).starts_with("HTTP/1.1 201"));
    // The connection is still good for another request after a chunked body.
    assert!(exchange(&mut whole, health_request()).starts_with("HTTP/1.1 200"));

    let mut half = connect(app.address);
    let started = Instant::now();
    half.write_all(format!("{head}{:x}\r\n{}", rating.len(), &rating[..10]).as_bytes()).unwrap();
    let (received, closed) = read_until_closed(&mut half);
    assert!(closed, "the connection with a half-sent chunked body stayed open: {received}");
    assert!(started.elapsed() < Duration::from_secs(5), "cut off only after {:?}", started.elapsed());
    assert!(!received.contains("HTTP/1.1 201"), "{received}");
}

#[test]
fn a_client_within_the_timeouts_is_served_request_after_request_on_one_connection() {
    let app = spawn_app_with(None, |serve| {
        serve.connections.header_timeout_secs = 3;
        serve.connections.keep_alive_timeout_secs = 3;
    });
    let mut stream = connect(app.address);
    // A head in three pieces, well within the header timeout.
    for piece in [&b"GET /api/health HT"[..], b"TP/1.1\r\nHost: loc", b"alhost\r\n"] {
        stream.write_all(piece).unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(exchange(&mut stream, b"\r\n").starts_with("HTTP/1.1 200"));
    std::thread::sleep(Duration::from_millis(500));
    assert!(exchange(&mut stream, health_request()).starts_with("HTTP/1.1 200"));
    // Then, left idle, it is closed.
    let (_, closed) = read_until_closed(&mut stream);
    assert!(closed, "the idle keep-alive connection was never closed");
}
