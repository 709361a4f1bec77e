//! Helpers shared by the integration tests: temp databases, the CLI binary, the real data,
//! an in-process app on a real socket, and a dump of a database's whole contents.

mod processes;
pub mod redis_server;
pub mod web;
#[allow(unused_imports)] // not every test binary starts processes
pub use processes::*;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Once;

use movielens::config::{DbConfig, ServeConfig};
use movielens::startup::Application;
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use tempfile::TempDir;

/// The real ml-latest-small, or `None` (with a loud message) when `../shared` is not there.
pub fn real_data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/movielens/ml-latest-small");
    if dir.join("ratings.csv").is_file() {
        return Some(dir);
    }
    eprintln!(
        "\n*** SKIPPED: the real MovieLens data is not at {} ***\n*** CI always has it; these tests prove nothing here. ***\n",
        dir.display()
    );
    None
}

/// Runs the `movielens` binary with `args` and returns its output.
pub fn movielens(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_movielens")).args(args).env("RUST_LOG", "warn").output().expect("the binary runs")
}

/// Runs the binary and fails the test, showing stderr, unless it succeeds.
pub fn movielens_ok(args: &[&str]) -> String {
    let output = movielens(args);
    assert!(output.status.success(), "movielens {args:?} failed:\n{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("stdout is UTF-8")
}

/// Runs the binary, expects it to fail, and returns its stderr.
pub fn movielens_err(args: &[&str]) -> String {
    let output = movielens(args);
    assert!(!output.status.success(), "movielens {args:?} succeeded but should have failed");
    String::from_utf8(output.stderr).expect("stderr is UTF-8")
}

/// A temp folder with a database path in it; both go away with the value.
pub struct TempDb {
    pub dir: TempDir,
    pub path: PathBuf,
}

impl TempDb {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("movielens.db");
        Self { dir, path }
    }

    pub fn arg(&self) -> &str {
        self.path.to_str().expect("temp paths are UTF-8")
    }

    pub fn connect(&self) -> Connection {
        Connection::open(&self.path).expect("the database opens")
    }

    pub fn count(&self, table: &str) -> i64 {
        self.connect().query_row(&format!("SELECT count(*) FROM {table}"), [], |row| row.get(0)).unwrap()
    }
}

/// Every row of every table, and the schema itself, as text: two equal dumps mean two
/// databases with the same contents.
pub fn dump(conn: &Connection) -> Vec<String> {
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut lines = Vec::new();
    for table in ["sqlite_schema".to_string()].iter().chain(&tables) {
        // Ordered by the first two columns, or the one a search index (FTS5) shows.
        let width = conn.prepare(&format!("SELECT * FROM \"{table}\" LIMIT 0")).unwrap().column_count();
        let order = if width > 1 { "1, 2" } else { "1" };
        let mut statement = conn.prepare(&format!("SELECT * FROM \"{table}\" ORDER BY {order}")).unwrap();
        let columns = statement.column_count();
        let mut rows = statement.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let values: Vec<String> = (0..columns)
                .map(|index| match row.get_ref(index).unwrap() {
                    ValueRef::Text(text) => format!("{:?}", String::from_utf8_lossy(text)),
                    other => format!("{other:?}"),
                })
                .collect();
            lines.push(format!("{table}: {}", values.join(" | ")));
        }
    }
    lines
}

/// A small, valid MovieLens folder. Tests overwrite one file to make it invalid.
pub fn write_small_dataset(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let files = [
        (
            "movies.csv",
            "movieId,title,genres\n\
             1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n\
             2,\"American President, The (1995)\",Comedy|Drama|Romance\n\
             3,Babylon 5,Sci-Fi\n",
        ),
        ("links.csv", "movieId,imdbId,tmdbId\n1,0114709,862\n2,0112346,9087\n3,0105946,\n"),
        ("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2,0.5,964981247\n2,3,5.0,964982224\n"),
        ("tags.csv", "userId,movieId,tag,timestamp\n2,1,funny,1445714994\n2,2,\"dark, moody\",1445714996\n"),
    ];
    for (name, contents) in files {
        std::fs::write(dir.join(name), contents).unwrap();
    }
}

/// Logs for in-process apps: quiet unless `TEST_LOG` is set.
fn init_test_tracing() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            movielens::telemetry::init(movielens::config::LogFormat::Text);
        }
    });
}

/// The application running in this process on a real socket (port 0), over its own temp database.
pub struct TestApp {
    pub address: SocketAddr,
    pub db: TempDb,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Builds and starts the app (with `data` to import instead of the demo data, if given).
pub fn spawn_app(data: Option<&Path>) -> TestApp {
    spawn_app_with(data, |_| {})
}

/// Like [`spawn_app`], with a chosen admin token.
pub fn spawn_app_with_token(data: Option<&Path>, token: &str) -> TestApp {
    let token = movielens::config::Secret(token.to_string());
    spawn_app_with(data, move |serve| serve.admin_token = Some(token))
}

/// Like [`spawn_app`], with the serve configuration adjusted by `configure`.
pub fn spawn_app_with(data: Option<&Path>, configure: impl FnOnce(&mut ServeConfig)) -> TestApp {
    init_test_tracing();
    let db = TempDb::new();
    let db_config = DbConfig::at(&db.path);
    let mut serve = ServeConfig::on("127.0.0.1:0".parse().unwrap());
    serve.data = data.map(Path::to_path_buf);
    configure(&mut serve);
    let (address_tx, address_rx) = std::sync::mpsc::channel();
    let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async move {
            let app = Application::build(&db_config, &serve).await.expect("the app builds");
            address_tx.send(app.address()).unwrap();
            app.run_until_stopped(async {
                let _ = shutdown_rx.await;
            })
            .await
            .expect("the server runs");
        });
    });
    let address = address_rx.recv().expect("the app starts");
    TestApp { address, db, shutdown: Some(shutdown_tx), thread: Some(thread) }
}

/// GET `url` and return the status and body.
pub fn get(url: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut response = agent.get(url).call().expect("the request is answered");
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_string().expect("a text body"))
}

/// Sends any request and returns the status, the headers and the body.
pub fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> (u16, ureq::http::HeaderMap, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(body.unwrap_or_default().to_string()).unwrap();
    let mut response = agent.run(request).expect("the request is answered");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.body_mut().read_to_string().unwrap_or_default())
}

/// GET `url` and parse the JSON body, asserting the status.
pub fn get_json(url: &str, expected_status: u16) -> serde_json::Value {
    let (status, body) = get(url);
    assert_eq!(status, expected_status, "GET {url}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|err| panic!("GET {url}: not JSON ({err}): {body}"))
}

/// Sends `request` as raw bytes on a new connection and reads until the server closes it (or
/// `patience` passes); returns what was read and whether the server closed the connection.
pub fn raw_exchange(address: SocketAddr, request: &[u8], patience: std::time::Duration) -> (String, bool) {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(address).expect("the server accepts");
    stream.set_read_timeout(Some(patience)).unwrap();
    let _ = stream.write_all(request);
    read_until_closed(&mut stream)
}

/// Reads until the peer closes (EOF or reset) or the read timeout passes; returns what was read
/// and whether the peer closed the connection.
pub fn read_until_closed(stream: &mut std::net::TcpStream) -> (String, bool) {
    use std::io::Read;
    let mut received = Vec::new();
    let mut buffer = [0u8; 8192];
    let closed = loop {
        match stream.read(&mut buffer) {
            Ok(0) => break true,
            Ok(count) => received.extend_from_slice(&buffer[..count]),
            Err(err) if matches!(err.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                break false
            }
            Err(_) => break true,
        }
    };
    (String::from_utf8_lossy(&received).into_owned(), closed)
}

/// Polls `check` every 50 ms until it holds, failing after a generous deadline (30 s).
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !check().await {
        assert!(std::time::Instant::now() < deadline, "{what} did not happen within 30 s");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Polls `check` every 50 ms until it gives a value, failing after a generous deadline (60 s).
pub fn wait_for<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(std::time::Instant::now() < deadline, "{what} did not happen within 60 s");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// POST `url` with the admin token and a JSON body; the status and the parsed body.
pub fn post_json(url: &str, token: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
    let authorization = format!("Bearer {token}");
    let headers = [("Authorization", authorization.as_str()), ("Content-Type", "application/json")];
    let (status, _, text) = send("POST", url, &headers, Some(&body.to_string()));
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
}
