//! SIGTERM and Ctrl-C stop a long import part-way: `serve`'s first-start import and `movielens
//! import` both roll back, exit with an error of their own, and leave an intact database.

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{dump, movielens_ok, signal_and_wait, write_small_dataset, TempDb};

/// Far more than a rollback needs; without the fix the whole import would run first.
const LIMIT: Duration = Duration::from_secs(60);

/// A generated folder of a million ratings: long enough an import to interrupt.
fn million_ratings(dir: &Path) -> PathBuf {
    let out = dir.join("big");
    let out_arg = out.to_str().unwrap();
    let shape = ["--movies", "20000", "--users", "20000", "--ratings", "1000000", "--tags", "1000"];
    movielens_ok(&[&["generate", "--out", out_arg][..], &shape].concat());
    out
}

/// The lines of a child's stderr, read on a thread of their own.
struct Stderr(std::sync::mpsc::Receiver<String>);

impl Stderr {
    fn of(child: &mut Child) -> Self {
        let (lines_tx, lines_rx) = std::sync::mpsc::channel();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || stderr.lines().map_while(Result::ok).try_for_each(|line| lines_tx.send(line)));
        Self(lines_rx)
    }

    /// Waits for the debug event that says links.csv is loaded: ratings.csv is loading now.
    fn wait_for_the_ratings(&self) {
        let deadline = Instant::now() + LIMIT;
        loop {
            let line = self.0.recv_timeout(deadline.saturating_duration_since(Instant::now()));
            let line = line.expect("the import reached ratings.csv");
            if line.contains("loaded") && line.contains("links.csv") {
                return;
            }
        }
    }

    /// Every line still to come, up to the end of the stream (the child has exited).
    fn rest(self) -> String {
        self.0.iter().collect::<Vec<_>>().join("\n")
    }
}

/// The binary with debug logs of the import, so that the test sees when the ratings load.
fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_movielens"))
        .args(args)
        .env("RUST_LOG", "warn,movielens::import=debug")
        .env_remove("MOVIELENS_ADMIN_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn integrity(db: &TempDb) -> String {
    db.connect().query_row("PRAGMA integrity_check", [], |row| row.get(0)).unwrap()
}

#[test]
fn sigterm_during_the_first_start_import_stops_serve_promptly_and_leaves_no_movies() {
    let db = TempDb::new();
    let big = million_ratings(db.dir.path());
    let mut server = spawn(&["--db", db.arg(), "serve", "--bind", "127.0.0.1:0", "--data", big.to_str().unwrap()]);
    let stderr = Stderr::of(&mut server);
    stderr.wait_for_the_ratings();

    let status = signal_and_wait(&mut server, "TERM", LIMIT);
    let stderr = stderr.rest();
    assert!(!status.success(), "a start cut short is an error: {status:?} {stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(integrity(&db), "ok");
    assert_eq!(db.count("movies"), 0, "the interrupted import was committed");
    assert_eq!(db.count("ratings"), 0);
}

#[test]
fn ctrl_c_during_an_import_rolls_back_and_exits_with_an_error_of_its_own() {
    let db = TempDb::new();
    let small = db.dir.path().join("small");
    write_small_dataset(&small);
    movielens_ok(&["--db", db.arg(), "import", small.to_str().unwrap()]);
    let before = dump(&db.connect());
    let big = million_ratings(db.dir.path());

    let mut import = spawn(&["--db", db.arg(), "import", "--replace", big.to_str().unwrap()]);
    let stderr = Stderr::of(&mut import);
    stderr.wait_for_the_ratings();

    let status = signal_and_wait(&mut import, "INT", LIMIT);
    let stderr = stderr.rest();
    // Handled, not killed by the signal: an exit code, and a message that says what happened.
    assert!(status.code().is_some_and(|code| code != 0), "{status:?}: {stderr}");
    assert!(stderr.contains("rolled back"), "{stderr}");
    assert_eq!(integrity(&db), "ok");
    assert_eq!(dump(&db.connect()), before, "the database differs from before the import");
}
