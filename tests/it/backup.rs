//! `movielens backup` and `movielens restore` through the real binary, on real files: a backup
//! taken under concurrent writes is one moment's database, and restore refuses what it must
//! with the live database untouched.

use crate::common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::{dump, movielens_err, movielens_ok, start_server, terminate, write_small_dataset, TempDb};
use rusqlite::Connection;

/// A migrated database with the small data set in it.
fn loaded_db() -> TempDb {
    let db = TempDb::new();
    let data = db.dir.path().join("data");
    write_small_dataset(&data);
    movielens_ok(&["--db", db.arg(), "import", data.to_str().unwrap()]);
    db
}

fn integrity(path: &Path) -> String {
    Connection::open(path).unwrap().query_row("PRAGMA integrity_check", [], |row| row.get(0)).unwrap()
}

/// The file's bytes and every row: what "untouched" means.
fn snapshot(db: &TempDb) -> (Vec<u8>, Vec<String>) {
    (std::fs::read(&db.path).unwrap(), dump(&db.connect()))
}

fn probe_rows(path: &Path) -> Vec<i64> {
    let conn = Connection::open(path).unwrap();
    let mut statement = conn.prepare("SELECT n FROM backup_probe ORDER BY n").unwrap();
    statement.query_map([], |row| row.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

#[test]
fn a_backup_taken_under_concurrent_writes_is_whole_and_restores_to_the_moment_it_was_taken() {
    let db = loaded_db();
    let conn = db.connect();
    conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE backup_probe (n INTEGER PRIMARY KEY, payload TEXT)")
        .unwrap();
    const BEFORE: i64 = 300;
    for n in 1..=BEFORE {
        conn.execute("INSERT INTO backup_probe VALUES (?1, hex(randomblob(200)))", [n]).unwrap();
    }
    // Writes stamped 301, 302, ... commit one by one while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (stop, path) = (stop.clone(), db.path.clone());
        std::thread::spawn(move || {
            let conn = Connection::open(path).unwrap();
            conn.busy_timeout(std::time::Duration::from_secs(30)).unwrap();
            let mut n = BEFORE;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                conn.execute("INSERT INTO backup_probe VALUES (?1, hex(randomblob(200)))", [n]).unwrap();
            }
            n
        })
    };
    let target = db.dir.path().join("copy.db");
    let said = movielens_ok(&["--db", db.arg(), "backup", target.to_str().unwrap()]);
    let committed_after = db.count("backup_probe");
    stop.store(true, Ordering::Relaxed);
    let last_written = writer.join().unwrap();
    assert!(said.contains("Backed up") && said.contains("copy.db"), "{said}");
    assert_eq!(integrity(&target), "ok");
    // One moment: every write before it and none after, so the stamps run 1..=m without a gap.
    let rows = probe_rows(&target);
    let m = rows.len() as i64;
    assert!(m >= BEFORE && m <= committed_after, "{m} rows, {committed_after} committed when it ended");
    assert_eq!(rows, (1..=m).collect::<Vec<_>>(), "the backup has a gap, so it is not one moment");
    assert!(last_written > BEFORE, "the writer ran during the backup");
    let movies = db.count("movies");
    drop(conn);
    let said = movielens_ok(&["--db", db.arg(), "restore", target.to_str().unwrap()]);
    assert!(said.contains("Restored"), "{said}");
    assert_eq!(probe_rows(&db.path), rows, "the live database is now the backup");
    assert_eq!(db.count("movies"), movies);
    assert_eq!(integrity(&db.path), "ok");
    // The restored database serves: the next start opens and migrates it.
    let (mut server, url, _) = start_server(&db, &[], &[]);
    let (status, body) = common::get(&format!("{url}/api/stats"));
    terminate(&mut server);
    assert_eq!(status, 200, "{body}");
}

#[test]
fn backup_into_a_folder_names_a_new_file_and_never_overwrites_one() {
    let db = loaded_db();
    let folder = db.dir.path().join("kept");
    std::fs::create_dir(&folder).unwrap();
    movielens_ok(&["--db", db.arg(), "backup", folder.to_str().unwrap()]);
    let names: Vec<String> =
        std::fs::read_dir(&folder).unwrap().map(|entry| entry.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].starts_with("movielens-") && names[0].ends_with(".db"), "{names:?}");
    let existing = folder.join(&names[0]);
    let before = std::fs::read(&existing).unwrap();
    let err = movielens_err(&["--db", db.arg(), "backup", existing.to_str().unwrap()]);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read(&existing).unwrap(), before);
    // Without PATH: `--backup-dir`, else `backups/` beside the database.
    let chosen = db.dir.path().join("chosen");
    movielens_ok(&["--db", db.arg(), "--backup-dir", chosen.to_str().unwrap(), "backup"]);
    assert_eq!(std::fs::read_dir(&chosen).unwrap().count(), 1);
    movielens_ok(&["--db", db.arg(), "backup"]);
    assert_eq!(std::fs::read_dir(db.dir.path().join("backups")).unwrap().count(), 1);
}

/// Runs `restore` on `file` and checks that it fails saying `expected`, leaving the live
/// database exactly as it was.
fn assert_refused(db: &TempDb, file: &Path, expected: &str) {
    let before = snapshot(db);
    let err = movielens_err(&["--db", db.arg(), "restore", file.to_str().unwrap()]);
    assert!(err.contains(expected), "expected {expected:?} in: {err}");
    assert!(before == snapshot(db), "the live database changed");
    let partial = format!("{}.restore-partial", db.arg());
    assert!(!Path::new(&partial).exists(), "the partial copy was left behind");
}

#[test]
fn restore_refuses_a_corrupt_file_and_leaves_the_live_database_untouched() {
    let db = loaded_db();
    let copy = db.dir.path().join("copy.db");
    movielens_ok(&["--db", db.arg(), "backup", copy.to_str().unwrap()]);
    // Garbage over every page but the first: SQLite opens it, and the check finds the damage.
    let mut bytes = std::fs::read(&copy).unwrap();
    let page_size = u16::from_be_bytes([bytes[16], bytes[17]]) as usize;
    for byte in &mut bytes[page_size + 100..] {
        *byte = 0x5A;
    }
    std::fs::write(&copy, bytes).unwrap();
    assert_refused(&db, &copy, "fails SQLite's integrity check");
    let text = db.dir.path().join("notes.db");
    std::fs::write(&text, "this is not a database, only text that is long enough to look like one".repeat(100))
        .unwrap();
    assert_refused(&db, &text, "is not a SQLite database");
    assert_refused(&db, &db.dir.path().join("missing.db"), "does not exist");
}

#[test]
fn restore_refuses_a_sqlite_file_that_is_not_a_movielens_database() {
    let db = loaded_db();
    let foreign = db.dir.path().join("foreign.db");
    Connection::open(&foreign).unwrap().execute_batch("CREATE TABLE invoices (id INTEGER PRIMARY KEY)").unwrap();
    assert_refused(&db, &foreign, "is not a movielens database: it has no schema_migrations table");
}

#[test]
fn restore_refuses_a_backup_with_a_newer_schema_than_this_binary_knows() {
    let db = loaded_db();
    let copy = db.dir.path().join("copy.db");
    movielens_ok(&["--db", db.arg(), "backup", copy.to_str().unwrap()]);
    Connection::open(&copy)
        .unwrap()
        .execute("INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_from_the_future')", [])
        .unwrap();
    assert_refused(&db, &copy, "carries schema version 9999, newer than this binary knows");
}

#[test]
fn restore_is_refused_while_a_server_has_the_database_open() {
    let db = loaded_db();
    let copy = db.dir.path().join("copy.db");
    movielens_ok(&["--db", db.arg(), "backup", copy.to_str().unwrap()]);
    let (mut server, _url, _) = start_server(&db, &[], &[]);
    let err = movielens_err(&["--db", db.arg(), "restore", copy.to_str().unwrap()]);
    terminate(&mut server);
    assert!(err.contains("is in use by another process"), "{err}");
    assert!(!Path::new(&format!("{}.restore-partial", db.arg())).exists());
    // Stopped, the same restore goes through.
    movielens_ok(&["--db", db.arg(), "restore", copy.to_str().unwrap()]);
}
