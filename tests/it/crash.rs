//! A `kill -9` in the middle of a multi-million-row import leaves the database intact and
//! exactly as it was before the import began.

use crate::common;

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{dump, movielens_ok, write_small_dataset, TempDb};

/// Bytes on disk of the database and its journal files: they grow while an import runs.
fn bytes_on_disk(db: &TempDb) -> u64 {
    ["", "-wal", "-journal"]
        .iter()
        .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", db.arg())).ok())
        .map(|metadata| metadata.len())
        .sum()
}

#[test]
fn killing_an_import_midway_leaves_the_database_as_it_was() {
    let db = TempDb::new();
    let small = db.dir.path().join("small");
    write_small_dataset(&small);
    movielens_ok(&["--db", db.arg(), "import", small.to_str().unwrap()]);
    let before = dump(&db.connect());

    let big = db.dir.path().join("big");
    movielens_ok(&[
        "generate",
        "--out",
        big.to_str().unwrap(),
        "--movies",
        "20000",
        "--users",
        "20000",
        "--ratings",
        "3000000",
        "--tags",
        "1000",
    ]);
    let start_size = bytes_on_disk(&db);
    let mut import = Command::new(env!("CARGO_BIN_EXE_movielens"))
        .args(["--db", db.arg(), "import", "--replace", big.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // Wait until the import has written a good part of the ratings, then kill it outright.
    let deadline = Instant::now() + Duration::from_secs(120);
    while bytes_on_disk(&db) < start_size + 20_000_000 {
        assert!(import.try_wait().unwrap().is_none(), "the import finished before it could be killed");
        assert!(Instant::now() < deadline, "the import never got going");
        std::thread::sleep(Duration::from_millis(5));
    }
    import.kill().unwrap(); // SIGKILL
    let status = import.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "the import was killed, not finished: {status:?}");

    let conn = db.connect();
    let integrity: String = conn.query_row("PRAGMA integrity_check", [], |row| row.get(0)).unwrap();
    assert_eq!(integrity, "ok");
    assert_eq!(dump(&conn), before, "the database differs from before the import");
}
