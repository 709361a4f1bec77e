//! The command line at the edge: a taken port fails before anything is touched, serve options
//! stay with `serve`, and `--bind` takes host names.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::TempDb;

fn movielens_with_env(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_movielens"));
    command.args(args).env("RUST_LOG", "warn");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("the binary runs")
}

#[test]
fn a_taken_port_fails_before_the_database_is_created() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let db = TempDb::new();
    let output = movielens_with_env(&["--db", db.arg(), "serve", "--bind", &address], &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains(&address), "the message names the address: {stderr}");
    assert!(!stderr.contains("Admin token"), "no token was made: {stderr}");
    assert!(!db.path.exists(), "the database file was created");
}

#[test]
fn a_taken_port_leaves_an_existing_database_byte_for_byte_unchanged() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let db = TempDb::new();
    std::fs::write(&db.path, b"").unwrap();
    let output = movielens_with_env(&["--db", db.arg(), "--bind", &address], &[]);
    assert!(!output.status.success());
    assert_eq!(std::fs::read(&db.path).unwrap(), b"", "the empty file was migrated or filled");
    let names: Vec<_> = std::fs::read_dir(db.dir.path()).unwrap().map(|entry| entry.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "no WAL or other file appeared: {names:?}");
}

#[test]
fn serve_only_variables_do_not_reach_other_subcommands() {
    let out = tempfile::tempdir().unwrap();
    let serve_only = [
        ("MOVIELENS_BIND", "localhost:8000"),
        ("MOVIELENS_SHUTDOWN_GRACE", "not a number"),
        ("MOVIELENS_MAX_CONNECTIONS", "0"),
    ];
    let args = ["generate", "--out", out.path().to_str().unwrap(), "--movies", "3", "--users", "2"];
    let output = movielens_with_env(&[&args[..], &["--ratings", "4", "--tags", "1"]].concat(), &serve_only);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(out.path().join("movies.csv").is_file());
    let output = movielens_with_env(&["openapi"], &serve_only);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

/// Starts the binary with `args` and returns the address it logs as listening, then stops it.
fn listening_address(args: &[&str], env: &[(&str, &str)]) -> String {
    let data = tempfile::tempdir().unwrap();
    common::write_small_dataset(data.path());
    let mut command = Command::new(env!("CARGO_BIN_EXE_movielens"));
    command.args(args).args(["--log-format", "json", "--data", data.path().to_str().unwrap()]);
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.env("RUST_LOG", "info").stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let address = loop {
        let Some(Ok(line)) = lines.next() else {
            child.kill().unwrap();
            panic!("the server stopped before listening");
        };
        let event: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if event["message"] == "listening" {
            break event["address"].as_str().unwrap().to_string();
        }
    };
    let (status, _) = common::get(&format!("http://{address}/api/health"));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(status, 200);
    address
}

#[test]
fn bind_takes_a_host_name_from_the_flag_or_the_variable() {
    let db = TempDb::new();
    let address = listening_address(&["--db", db.arg(), "serve", "--bind", "localhost:0"], &[]);
    assert!(address.starts_with("127.0.0.1:") || address.starts_with("[::1]:"), "{address}");
    let address = listening_address(&["--db", db.arg(), "serve"], &[("MOVIELENS_BIND", "localhost:0")]);
    assert!(address.starts_with("127.0.0.1:") || address.starts_with("[::1]:"), "{address}");
}

#[test]
fn without_a_subcommand_the_binary_serves_and_takes_serve_options() {
    let db = TempDb::new();
    let address = listening_address(&["--db", db.arg(), "--bind", "127.0.0.1:0"], &[]);
    assert!(address.starts_with("127.0.0.1:"), "{address}");
    let address = listening_address(&["--db", db.arg()], &[("MOVIELENS_BIND", "127.0.0.1:0")]);
    assert!(address.starts_with("127.0.0.1:"), "{address}");
}

#[test]
fn a_serve_option_after_another_subcommand_is_reported_against_that_subcommand() {
    let output = movielens_with_env(&["openapi", "--bind", "127.0.0.1:0"], &[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unexpected argument '--bind'") && stderr.contains("movielens openapi"), "{stderr}");
}

#[test]
fn a_bind_value_that_is_not_host_and_port_is_refused_by_serve() {
    let output = movielens_with_env(&["serve", "--bind", "8000"], &[]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("host:port"));
}
