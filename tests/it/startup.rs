//! What the binary refuses at start, and how it starts: a database from a newer binary, an empty
//! admin token, `--db-conn-max-age 0`, and two first starts racing for the admin token.

use crate::common;

use std::time::Duration;

use common::{
    movielens_bounded, movielens_ok, signal_and_wait, spawn_serve, wait_listening, write_small_dataset, TempDb,
};
use movielens::config::DbConfig;
use movielens::db::{Db, DbError};

/// Generous: each of these commands ends in well under a second when it works.
const LIMIT: Duration = Duration::from_secs(60);

/// A database holding the small data set, and the folder it came from.
fn imported(db: &TempDb) -> String {
    let data = db.dir.path().join("data");
    write_small_dataset(&data);
    let data = data.to_str().unwrap().to_string();
    movielens_ok(&["--db", db.arg(), "import", &data]);
    data
}

#[test]
fn a_database_stamped_by_a_newer_binary_is_refused_by_serve_and_import_and_left_byte_for_byte() {
    let db = TempDb::new();
    let data = imported(&db);
    db.connect().execute("INSERT INTO schema_migrations (version, name) VALUES (99, '0099_future')", []).unwrap();
    let before = std::fs::read(&db.path).unwrap();

    for args in [vec!["serve", "--bind", "127.0.0.1:0"], vec!["import", "--replace", &data]] {
        let output = movielens_bounded(&[&["--db", db.arg()], &args[..]].concat(), &[], LIMIT);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} accepted a newer schema:\n{stderr}");
        let newest = format!("newest ({})", movielens::db::migrations::latest_version());
        assert!(stderr.contains("version 99") && stderr.contains(&newest), "{args:?}: {stderr}");
        assert!(std::fs::read(&db.path).unwrap() == before, "{args:?} changed the file");
    }
}

#[test]
fn an_empty_or_blank_admin_token_is_refused_at_start_before_the_database_is_touched() {
    for token in ["", "   ", "\t \n"] {
        let db = TempDb::new();
        let args = ["--db", db.arg(), "serve", "--bind", "127.0.0.1:0"];
        let output = movielens_bounded(&args, &[("MOVIELENS_ADMIN_TOKEN", token)], LIMIT);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "token {token:?} was accepted:\n{stderr}");
        assert!(stderr.contains("MOVIELENS_ADMIN_TOKEN") && stderr.contains("is empty"), "{stderr}");
        assert!(!db.path.exists(), "the database was created before the token was checked");
    }
    let db = TempDb::new();
    let output =
        movielens_bounded(&["--db", db.arg(), "serve", "--bind", "127.0.0.1:0", "--admin-token", ""], &[], LIMIT);
    assert!(!output.status.success());
}

#[test]
fn conn_max_age_0_serves_requests_instead_of_panicking() {
    let db = TempDb::new();
    imported(&db);
    let mut server = spawn_serve(&db, &[], &[("MOVIELENS_DB_CONN_MAX_AGE", "0")]);
    let (url, _) = wait_listening(&mut server);
    for _ in 0..3 {
        let (status, body) = common::get(&format!("{url}/api/movies/1"));
        assert_eq!(status, 200, "{body}");
    }
    assert!(signal_and_wait(&mut server, "TERM", LIMIT).success());
}

/// Whether a TEMP table made on one unit of work is still there on the next, i.e. whether the
/// connection was reused.
fn connection_reused(db: &TempDb, conn_max_age_secs: u64) -> bool {
    let config = DbConfig { pool_size: 1, conn_max_age_secs, ..DbConfig::at(&db.path) };
    let handle = Db::open(&config).unwrap();
    handle.with_conn(|conn| conn.execute_batch("CREATE TEMP TABLE marker (x)").map_err(DbError::from)).unwrap();
    handle
        .with_conn(|conn| {
            conn.query_row("SELECT count(*) FROM temp.sqlite_schema WHERE name = 'marker'", [], |row| row.get(0))
                .map_err(DbError::from)
        })
        .map(|count: i64| count == 1)
        .unwrap()
}

#[test]
fn conn_max_age_0_gives_each_unit_of_work_a_fresh_connection_like_djangos() {
    let db = TempDb::new();
    assert!(connection_reused(&db, 600), "a positive age keeps the connection");
    assert!(!connection_reused(&db, 0), "age 0 closes the connection after each use");
}

#[test]
fn two_first_starts_at_once_print_exactly_one_token_and_it_works_on_both() {
    // The data is there already, so both servers go straight to the admin token, together.
    for _round in 0..5 {
        let db = TempDb::new();
        imported(&db);
        let mut servers = [spawn_serve(&db, &[], &[]), spawn_serve(&db, &[], &[])];
        let started: Vec<(String, Vec<String>)> = servers.iter_mut().map(wait_listening).collect();
        let tokens: Vec<String> = started
            .iter()
            .flat_map(|(_, lines)| {
                let notice = lines.iter().position(|line| line.starts_with("Admin token"));
                notice.map(|index| lines[index + 2].trim().to_string())
            })
            .collect();
        assert_eq!(tokens.len(), 1, "one token printed in all: {started:?}");
        let bearer = format!("Bearer {}", tokens[0]);
        for (url, _) in &started {
            let headers = [("content-type", "application/json"), ("authorization", bearer.as_str())];
            let rating = r#"{"user_id": 9, "movie_id": 1, "rating": 3.5}"#;
            let (status, _, body) = common::send("POST", &format!("{url}/api/ratings"), &headers, Some(rating));
            assert_eq!(status, 201, "{url}: {body}");
        }
        for server in &mut servers {
            assert!(signal_and_wait(server, "TERM", LIMIT).success());
        }
    }
}
