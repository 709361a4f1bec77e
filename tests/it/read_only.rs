//! A database SQLite cannot write is refused at start with a clear message, unless `serve
//! --read-only` is asked for: then reads work, writes answer 503 and `/api/health` says so.
//!
//! Root ignores file permission bits, so a `chmod 444` file proves nothing when the tests run as
//! root (as CI does). The real case is a read-only filesystem: a small tmpfs, remounted read-only.
//! Where mounting is not permitted those tests say SKIPPED loudly and check nothing.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{
    movielens_bounded, movielens_ok, signal_and_wait, spawn_serve, wait_listening, write_small_dataset, TempDb,
};

const LIMIT: Duration = Duration::from_secs(60);
const TOKEN: &str = "read-only-test-token";

/// A database holding the small data set.
fn imported() -> TempDb {
    let db = TempDb::new();
    let data = db.dir.path().join("data");
    write_small_dataset(&data);
    movielens_ok(&["--db", db.arg(), "import", data.to_str().unwrap()]);
    db
}

/// A copy of a database on a read-only tmpfs, unmounted when dropped.
struct ReadOnlyCopy {
    mount_point: tempfile::TempDir,
    db: TempDb,
}

impl ReadOnlyCopy {
    fn of(source: &Path) -> Option<Self> {
        let mount_point = tempfile::tempdir().unwrap();
        let target = mount_point.path().to_str().unwrap().to_string();
        let mount = Command::new("mount").args(["-t", "tmpfs", "-o", "size=16m", "tmpfs", &target]).output();
        if !mount.as_ref().is_ok_and(|output| output.status.success()) {
            eprintln!("\n*** SKIPPED: cannot mount a tmpfs here ({mount:?}); the read-only filesystem case is NOT checked ***\n");
            return None;
        }
        // From here on the guard unmounts, whatever happens next.
        let db = TempDb { dir: tempfile::tempdir().unwrap(), path: mount_point.path().join("movielens.db") };
        let copy = Self { mount_point, db };
        std::fs::copy(source, &copy.db.path).unwrap();
        let remount = Command::new("mount").args(["-o", "remount,ro", &target]).status().unwrap();
        assert!(remount.success(), "the tmpfs mounted but could not be made read-only");
        let probe = std::fs::write(copy.mount_point.path().join("probe"), b"x");
        assert!(probe.is_err(), "the read-only mount accepted a write");
        Some(copy)
    }
}

impl Drop for ReadOnlyCopy {
    fn drop(&mut self) {
        // Lazy: a server a failed assertion left running must not keep the mount alive.
        let _ = Command::new("umount").args(["-l", self.mount_point.path().to_str().unwrap()]).status();
    }
}

fn file_bytes(path: &PathBuf) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn a_database_on_a_read_only_filesystem_is_refused_at_start_naming_read_only() {
    let source = imported();
    let Some(copy) = ReadOnlyCopy::of(&source.path) else { return };
    let data = source.dir.path().join("data");
    for args in [vec!["serve", "--bind", "127.0.0.1:0"], vec!["import", "--replace", data.to_str().unwrap()]] {
        let output = movielens_bounded(&[&["--db", copy.db.arg()], &args[..]].concat(), &[], LIMIT);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} started on a read-only filesystem:\n{stderr}");
        assert!(stderr.contains("cannot be written") && stderr.contains("Read-only file system"), "{stderr}");
        assert!(stderr.contains("serve --read-only"), "the message names the way out: {stderr}");
    }
}

/// Checks a `--read-only` server: reads answer, writes are 503 in the error shape, health says so.
fn check_read_only_server(db: &TempDb) {
    let mut server = spawn_serve(db, &["--read-only"], &[("MOVIELENS_ADMIN_TOKEN", TOKEN)]);
    let (url, _) = wait_listening(&mut server);
    let health = common::get_json(&format!("{url}/api/health"), 200);
    assert_eq!(health["mode"], "read-only", "{health}");
    let movie = common::get_json(&format!("{url}/api/movies/1"), 200);
    assert_eq!(movie["title"], "Toy Story (1995)");

    let bearer = format!("Bearer {TOKEN}");
    let headers = [("content-type", "application/json"), ("authorization", bearer.as_str())];
    let rating = r#"{"user_id": 1, "movie_id": 3, "rating": 2.5}"#;
    for (method, path, body) in [("POST", "/api/ratings", Some(rating)), ("DELETE", "/api/ratings/1", None)] {
        let (status, _, text) = common::send(method, &format!("{url}{path}"), &headers, body);
        assert_eq!(status, 503, "{method} {path}: {text}");
        let error: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(error["code"], "unavailable", "{error}");
        assert!(error["message"].as_str().unwrap().contains("read-only"), "{error}");
        assert!(error["request_id"].is_string(), "{error}");
    }
    assert!(signal_and_wait(&mut server, "TERM", LIMIT).success());
}

#[test]
fn serve_read_only_on_a_read_only_filesystem_answers_reads_and_refuses_writes_with_503() {
    let source = imported();
    let Some(copy) = ReadOnlyCopy::of(&source.path) else { return };
    check_read_only_server(&copy.db);
}

#[test]
fn serve_read_only_on_a_writable_file_refuses_writes_and_leaves_the_file_unchanged() {
    let db = imported();
    let before = file_bytes(&db.path);
    check_read_only_server(&db);
    assert!(file_bytes(&db.path) == before, "a read-only server changed the file");
    assert_eq!(db.count("ratings"), 3);
    let health = {
        let mut server = spawn_serve(&db, &[], &[]);
        let (url, _) = wait_listening(&mut server);
        let health = common::get_json(&format!("{url}/api/health"), 200);
        assert!(signal_and_wait(&mut server, "TERM", LIMIT).success());
        health
    };
    assert_eq!(health["mode"], "read-write");
}

#[test]
fn serve_read_only_refuses_a_schema_it_would_have_to_migrate_or_does_not_know() {
    let db = imported();
    let latest = movielens::db::migrations::latest_version();
    db.connect().execute("DELETE FROM schema_migrations WHERE version >= 2", []).unwrap();
    let args = ["--db", db.arg(), "serve", "--read-only", "--bind", "127.0.0.1:0"];
    let output = movielens_bounded(&args, &[], LIMIT);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("version 1") && stderr.contains(&format!("needs version {latest}")), "{stderr}");
    assert!(stderr.contains("without --read-only"), "{stderr}");

    db.connect().execute("INSERT INTO schema_migrations (version, name) VALUES (?1, 'y')", [latest + 5]).unwrap();
    let output = movielens_bounded(&args, &[], LIMIT);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains(&format!("version {}", latest + 5)) && stderr.contains("newer"), "{stderr}");

    let missing = TempDb::new();
    let output =
        movielens_bounded(&["--db", missing.arg(), "serve", "--read-only", "--bind", "127.0.0.1:0"], &[], LIMIT);
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not exist"));
    assert!(!missing.path.exists(), "--read-only created a database");
}

/// Runs the binary as `nobody`, for whom permission bits count (root ignores them), or returns
/// `None` with a loud message where that is not possible.
fn as_nobody(args: &[&str]) -> Option<std::process::Output> {
    let root = Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.starts_with(b"0\n"));
    let setpriv = Command::new("setpriv").arg("--version").output().is_ok_and(|out| out.status.success());
    if !(root && setpriv) {
        eprintln!("\n*** SKIPPED: needs root and setpriv to run as nobody; permission bits are NOT checked ***\n");
        return None;
    }
    let nobody = ["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_movielens")];
    // `timeout` bounds a server that would start instead of refusing.
    Some(Command::new("timeout").args(["60", "setpriv"]).args(nobody).args(args).output().unwrap())
}

#[test]
fn for_an_unprivileged_user_a_read_only_file_or_folder_is_refused_naming_read_only() {
    use std::os::unix::fs::PermissionsExt;
    let source = imported();
    for (file_mode, folder_mode, expected) in
        [(0o444, 0o777, "cannot be opened for writing"), (0o666, 0o555, "no file can be created in its folder")]
    {
        let outer = tempfile::tempdir().unwrap();
        std::fs::set_permissions(outer.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let folder = outer.path().join("data");
        std::fs::create_dir(&folder).unwrap();
        let db = folder.join("movielens.db");
        std::fs::copy(&source.path, &db).unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(file_mode)).unwrap();
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(folder_mode)).unwrap();
        let Some(output) = as_nobody(&["--db", db.to_str().unwrap(), "serve", "--bind", "127.0.0.1:0"]) else {
            return;
        };
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "started on mode {file_mode:o} in {folder_mode:o}: {stderr}");
        assert!(stderr.contains(expected) && stderr.contains("serve --read-only"), "{stderr}");
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}
