//! `import --dataset` against hostile servers on loopback: one that never answers, one that
//! trickles, one that sends too much, a wrong checksum, and Ctrl-C in the middle of a download.
//! Each test points TMPDIR at a folder of its own and checks that no partial download is left.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use common::{movielens_bounded, write_small_dataset, TempDb};
use md5::{Digest, Md5};

/// Far above what each case needs (a few seconds), so that a busy machine cannot fail them.
const LIMIT: Duration = Duration::from_secs(60);

/// How the fake server answers one request, given its path.
type Handler = fn(&str, TcpStream);

/// Serves every connection on a thread of its own with `handler`; returns the base URL.
fn serve(handler: Handler) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                let _ = reader.read_line(&mut request_line);
                // The rest of the head, up to the blank line.
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|read| read > 2) {
                    line.clear();
                }
                let path = request_line.split_whitespace().nth(1).unwrap_or("/").to_string();
                handler(&path, stream);
            });
        }
    });
    format!("http://{address}/datasets/movielens")
}

fn respond(mut stream: TcpStream, status: &str, body: &[u8]) {
    let head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

fn no_md5(path: &str, stream: TcpStream) -> bool {
    if path.ends_with(".md5") {
        respond(stream, "404 Not Found", b"not here");
        return true;
    }
    false
}

/// The small data set as a GroupLens-style zip.
fn small_zip() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    write_small_dataset(dir.path());
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for name in ["movies.csv", "links.csv", "ratings.csv", "tags.csv"] {
        zip.start_file(format!("ml-latest-small/{name}"), options).unwrap();
        zip.write_all(&std::fs::read(dir.path().join(name)).unwrap()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Runs `import --dataset ml-latest-small` from `base_url` with `flags`, TMPDIR pointed at a
/// fresh folder; returns the exit status, stderr, the database, and what TMPDIR holds after.
fn import(base_url: &str, flags: &[&str]) -> (bool, String, TempDb, Vec<String>) {
    let db = TempDb::new();
    let tmp = db.dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let mut args = vec!["--db", db.arg(), "import", "--dataset", "ml-latest-small", "--dataset-base-url", base_url];
    args.extend_from_slice(flags);
    let output = movielens_bounded(&args, &[("TMPDIR", tmp.to_str().unwrap())], LIMIT);
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned(), db, listing(&tmp))
}

fn listing(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

#[test]
fn a_server_that_accepts_and_never_answers_fails_the_import_naming_the_read_timeout() {
    let base_url = serve(|_, stream| {
        std::thread::sleep(Duration::from_secs(3600));
        drop(stream);
    });
    let (ok, stderr, db, leftovers) = import(&base_url, &["--download-read-timeout", "1"]);
    assert!(!ok);
    assert!(stderr.contains("sent nothing for 1 s (--download-read-timeout)"), "{stderr}");
    assert!(stderr.contains(&base_url), "the message names the URL: {stderr}");
    assert_eq!((db.count("movies"), leftovers), (0, Vec::<String>::new()));
}

#[test]
fn a_server_that_trickles_forever_is_cut_off_by_the_whole_download_timeout() {
    let base_url = serve(|path, mut stream| {
        if no_md5(path, stream.try_clone().unwrap()) {
            return;
        }
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n");
        // A byte every 100 ms: never stalled long enough for the read timeout.
        while stream.write_all(b"x").is_ok() {
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let started = Instant::now();
    let (ok, stderr, _db, leftovers) = import(&base_url, &["--download-read-timeout", "5", "--download-timeout", "2"]);
    assert!(!ok);
    assert!(stderr.contains("took longer than 2 s (--download-timeout)"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(30), "cut off late: {:?}", started.elapsed());
    assert!(leftovers.is_empty(), "a partial download was left: {leftovers:?}");
}

#[test]
fn a_body_over_the_size_limit_is_refused_whether_or_not_its_length_is_declared() {
    let declared = serve(|path, stream| {
        if !no_md5(path, stream.try_clone().unwrap()) {
            respond(stream, "200 OK", &[b'x'; 5000]);
        }
    });
    let undeclared = serve(|path, mut stream| {
        if !no_md5(path, stream.try_clone().unwrap()) {
            // No Content-Length: the body ends when the connection closes.
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
            let _ = stream.write_all(&[b'x'; 5000]);
        }
    });
    for base_url in [declared, undeclared] {
        let (ok, stderr, _db, leftovers) = import(&base_url, &["--download-max-bytes", "1000"]);
        assert!(!ok);
        assert!(stderr.contains("larger than 1000 bytes") && stderr.contains("--download-max-bytes"), "{stderr}");
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}

#[test]
fn a_download_that_does_not_match_its_published_md5_is_refused_and_loads_nothing() {
    let base_url = serve(|path, stream| match path.ends_with(".md5") {
        true => respond(stream, "200 OK", b"MD5 (ml-latest-small.zip) = 0123456789abcdef0123456789abcdef\n"),
        false => respond(stream, "200 OK", &small_zip()),
    });
    let (ok, stderr, db, leftovers) = import(&base_url, &[]);
    assert!(!ok);
    assert!(stderr.contains("0123456789abcdef0123456789abcdef") && stderr.contains("refusing"), "{stderr}");
    assert!(stderr.contains(&md5_hex(&small_zip())), "the message shows the actual MD5: {stderr}");
    assert_eq!((db.count("movies"), leftovers), (0, Vec::<String>::new()));
}

#[test]
fn a_matching_md5_in_either_format_is_accepted_and_a_missing_one_only_warns() {
    let grouplens = serve(|path, stream| match path.ends_with(".md5") {
        true => {
            respond(stream, "200 OK", format!("MD5 (ml-latest-small.zip) = {}\n", md5_hex(&small_zip())).as_bytes())
        }
        false => respond(stream, "200 OK", &small_zip()),
    });
    let md5sum = serve(|path, stream| match path.ends_with(".md5") {
        true => respond(stream, "200 OK", format!("{}  ml-latest-small.zip\n", md5_hex(&small_zip())).as_bytes()),
        false => respond(stream, "200 OK", &small_zip()),
    });
    for base_url in [grouplens, md5sum] {
        let (ok, stderr, db, leftovers) = import(&base_url, &[]);
        assert!(ok, "{stderr}");
        assert_eq!((db.count("movies"), leftovers), (3, Vec::<String>::new()));
    }
    let without = serve(|path, stream| {
        if !no_md5(path, stream.try_clone().unwrap()) {
            respond(stream, "200 OK", &small_zip());
        }
    });
    let (ok, stderr, db, _) = import(&without, &[]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("no published checksum"), "{stderr}");
    assert_eq!(db.count("movies"), 3);
}

#[test]
fn ctrl_c_in_the_middle_of_a_download_exits_non_zero_and_leaves_no_partial_file() {
    let base_url = serve(|path, mut stream| {
        if no_md5(path, stream.try_clone().unwrap()) {
            return;
        }
        // 1 MB of a declared 100 MB, then silence.
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n");
        let _ = stream.write_all(&vec![b'x'; 1_000_000]);
        std::thread::sleep(Duration::from_secs(3600));
    });
    let db = TempDb::new();
    let tmp = db.dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_movielens"))
        .args(["--db", db.arg(), "import", "--dataset", "ml-latest-small", "--dataset-base-url", &base_url])
        .env("TMPDIR", &tmp)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + LIMIT;
    let partial_size = || std::fs::read_dir(&tmp).unwrap().flatten().map(|e| e.metadata().unwrap().len()).sum::<u64>();
    while partial_size() < 1_000_000 {
        assert!(Instant::now() < deadline, "the download never got going");
        assert!(child.try_wait().unwrap().is_none(), "the import ended early");
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = common::signal_and_wait(&mut child, "INT", LIMIT);
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(status.code().is_some_and(|code| code != 0), "exited by its own hand, with an error: {status:?}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(listing(&tmp).is_empty(), "a partial download was left: {:?}", listing(&tmp));
    assert_eq!(db.count("movies"), 0);
}
