//! Accepting under pressure: thousands of idle clients against a low open-file limit, and an
//! accept that keeps failing (as it does with `EMFILE`).

use crate::common;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use movielens::net::{ConnectionLimits, GatedAcceptor};
use poem::http::uri::Scheme;
use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener};
use poem::web::{LocalAddr, RemoteAddr};

/// The server process, killed when the test ends, even by a failed assertion.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the real binary with a soft open-file limit of 1024 (the common default), as
/// `prlimit` runs it, and returns it with its address.
fn start_with_low_file_limit(db: &common::TempDb, data: &std::path::Path, extra: &[&str]) -> (Server, SocketAddr) {
    let hard = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).unwrap().1;
    let mut child = Command::new("prlimit")
        .arg(format!("--nofile=1024:{hard}"))
        .arg(env!("CARGO_BIN_EXE_movielens"))
        .args(["--db", db.arg(), "--log-format", "json", "serve", "--bind", "127.0.0.1:0"])
        .args(["--data", data.to_str().unwrap()])
        .args(extra)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("prlimit (util-linux) runs");
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let address = loop {
        let line = stderr.next().expect("the server logs until it listens").unwrap();
        let event: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if event["message"] == "listening" {
            break event["address"].as_str().unwrap().parse().unwrap();
        }
    };
    std::thread::spawn(move || stderr.for_each(drop));
    (Server(child), address)
}

#[test]
fn health_still_answers_while_two_thousand_idle_connections_are_held() {
    // This process holds the 2,000 client ends; make room for them if its own limit is low.
    let limit = movielens::net::raise_open_file_limit();
    assert!(limit > 2_200, "the hard open-file limit ({limit}) is too low for this test");
    let db = common::TempDb::new();
    let data = db.dir.path().join("data");
    common::write_small_dataset(&data);
    let (server, address) = start_with_low_file_limit(&db, &data, &["--keep-alive-timeout", "600"]);

    let idle: Vec<TcpStream> = (0..2_000)
        .map(|_| TcpStream::connect_timeout(&address, Duration::from_secs(10)).expect("an idle client connects"))
        .collect();
    let agent: ureq::Agent = ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(30))).build().into();
    let answer = agent.get(&format!("http://{address}/api/health")).call();
    drop(idle);
    drop(server);
    let mut answer = answer.expect("/api/health answers while 2,000 idle connections are open");
    assert_eq!(answer.status(), 200);
    assert!(answer.body_mut().read_to_string().unwrap().contains("\"ok\""));
}

/// Processor time a process has used so far, from `/proc/PID/stat` (in clock ticks of 10 ms).
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

/// Sends a health request on `stream` and reads the response, or what came before the timeout.
fn ask_health(stream: &mut TcpStream) -> String {
    stream.write_all(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n").expect("the request is sent");
    read_response(stream)
}

/// Reads a small JSON response, or what came before the read timeout.
fn read_response(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    while !received.ends_with(b"}") {
        match stream.read(&mut buffer) {
            Ok(count @ 1..) => received.extend_from_slice(&buffer[..count]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&received).into_owned()
}

#[test]
fn at_the_connection_cap_a_further_client_waits_without_spinning_and_is_served_when_one_closes() {
    let db = common::TempDb::new();
    let data = db.dir.path().join("data");
    common::write_small_dataset(&data);
    let (server, address) = start_with_low_file_limit(&db, &data, &["--max-connections", "50"]);
    // Each held connection is proven accepted by one answered request, then left idle.
    let mut held: Vec<TcpStream> = (0..50).map(|_| TcpStream::connect(address).unwrap()).collect();
    for stream in &mut held {
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        assert!(ask_health(stream).starts_with("HTTP/1.1 200"));
    }

    let mut waiting = TcpStream::connect(address).expect("the 51st client connects: queued, not refused");
    waiting.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let cpu_before = cpu_time(server.0.id());
    let early = ask_health(&mut waiting);
    let cpu_used = cpu_time(server.0.id()) - cpu_before;
    assert!(early.is_empty(), "the 51st client was answered at the cap: {early:?}");
    assert!(cpu_used < Duration::from_secs(1), "the server spun at the cap: {cpu_used:?} of CPU in 2 s");

    drop(held.pop());
    waiting.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let response = read_response(&mut waiting);
    drop(server);
    assert!(response.starts_with("HTTP/1.1 200"), "the waiting client was not served: {response:?}");
}

#[test]
fn sigterm_still_stops_the_server_cleanly_while_idle_and_half_sent_requests_are_open() {
    let db = common::TempDb::new();
    let data = db.dir.path().join("data");
    common::write_small_dataset(&data);
    let (mut server, address) = start_with_low_file_limit(&db, &data, &[]);
    let pid = server.0.id().to_string();
    let mut open: Vec<TcpStream> = (0..20).map(|_| TcpStream::connect(address).unwrap()).collect();
    let mut half = TcpStream::connect(address).unwrap();
    half.write_all(b"GET /api/health HTTP/1.1\r\nHost: loc").unwrap();
    let mut used = TcpStream::connect(address).unwrap();
    used.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    assert!(ask_health(&mut used).starts_with("HTTP/1.1 200"));
    open.extend([half, used]);

    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    // The grace period is 10 s; the half-sent head's deadline is 10 s as well.
    for _ in 0..400 {
        if let Some(status) = server.0.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the server did not stop within 20 s of SIGTERM");
}

/// An acceptor whose `accept` fails with `EMFILE` while `failing` is set, and counts its calls.
struct FailingAcceptor {
    inner: TcpAcceptor,
    failing: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
}

impl Acceptor for FailingAcceptor {
    type Io = tokio::net::TcpStream;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.failing.load(Ordering::SeqCst) {
            return Err(io::Error::from_raw_os_error(24)); // EMFILE: too many open files
        }
        self.inner.accept().await
    }
}

#[test]
fn a_failing_accept_is_retried_with_backoff_instead_of_spinning_and_serving_resumes() {
    let (failing, calls) = (Arc::new(AtomicBool::new(true)), Arc::new(AtomicUsize::new(0)));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (address_tx, address_rx) = std::sync::mpsc::channel();
    let (failing_in_server, calls_in_server) = (failing.clone(), calls.clone());
    runtime.spawn(async move {
        let inner = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
        address_tx.send(*inner.local_addr()[0].as_socket_addr().unwrap()).unwrap();
        let flaky = FailingAcceptor { inner, failing: failing_in_server, calls: calls_in_server };
        let acceptor = GatedAcceptor::new(flaky, 10, ConnectionLimits::default().deadlines());
        let app = poem::endpoint::make_sync(|_| "served");
        poem::Server::new_with_acceptor(acceptor).run(app).await
    });
    let address: SocketAddr = address_rx.recv().unwrap();

    std::thread::sleep(Duration::from_secs(2));
    let attempts = calls.load(Ordering::SeqCst);
    assert!(attempts < 50, "{attempts} accept attempts in 2 s of failures: the accept loop spins");

    failing.store(false, Ordering::SeqCst);
    let (response, _) = common::raw_exchange(
        address,
        b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        Duration::from_secs(20),
    );
    assert!(response.starts_with("HTTP/1.1 200") && response.ends_with("served"), "{response:?}");
    runtime.shutdown_background();
}
