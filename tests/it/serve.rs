//! The server as a user runs it: a fresh database gets the demo data, `/api/health` answers, and
//! SIGTERM stops it cleanly. Also the in-process app that other API tests build on.

use crate::common;

use common::{get, movielens_ok, spawn_app, start_server, terminate, TempDb};

#[test]
fn serve_on_a_fresh_database_loads_the_demo_data_answers_and_stops_on_sigterm() {
    let db = TempDb::new();
    let (mut server, url, logs) = start_server(&db, &[], &[]);
    assert!(logs.iter().any(|line| line.contains("demo data")), "the log says the demo data was loaded: {logs:?}");
    assert!(logs.iter().any(|line| line.contains("movielens import")), "the log says how to import real data");

    let (status, body) = get(&format!("{url}/api/health"));
    assert_eq!(status, 200);
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(db.count("movies"), 9_742);
    assert_eq!(db.count("ratings"), 100_836);

    let exit = terminate(&mut server);
    assert!(exit.success(), "a clean exit after SIGTERM: {exit:?}");
}

#[test]
fn a_restart_keeps_the_data_and_loads_nothing() {
    let db = TempDb::new();
    let data = db.dir.path().join("data");
    common::write_small_dataset(&data);
    movielens_ok(&["--db", db.arg(), "import", data.to_str().unwrap()]);

    let (mut server, url, logs) = start_server(&db, &[], &[]);
    assert!(!logs.iter().any(|line| line.contains("was empty")), "{logs:?}");
    assert_eq!(get(&format!("{url}/api/health")).0, 200);
    assert_eq!(db.count("movies"), 3);
    let exit = terminate(&mut server);
    assert!(exit.success(), "a clean exit after SIGTERM: {exit:?}");
}

#[test]
fn serve_with_data_imports_that_folder_instead_of_the_demo() {
    let data_dir = tempfile::tempdir().unwrap();
    common::write_small_dataset(data_dir.path());
    let app = spawn_app(Some(data_dir.path()));
    assert_eq!(get(&app.url("/api/health")).0, 200);
    assert_eq!(app.db.count("movies"), 3);
    let kind: String =
        app.db.connect().query_row("SELECT source_kind FROM data_imports", [], |row| row.get(0)).unwrap();
    assert_eq!(kind, "directory");
}

#[test]
fn the_in_process_app_serves_health_and_the_openapi_document() {
    let app = spawn_app(None);
    let (status, body) = get(&app.url("/api/health"));
    assert_eq!((status, body.contains("\"ok\"")), (200, true));
    let (status, spec) = get(&app.url("/openapi.json"));
    assert_eq!(status, 200);
    assert!(spec.contains("\"operationId\": \"health\""), "{spec}");
    assert_eq!(get(&app.url("/docs")).0, 200);
}

#[test]
fn the_first_start_prints_a_working_admin_token_once_and_stores_only_its_hash() {
    let db = TempDb::new();
    let (mut server, url, logs) = start_server(&db, &[], &[]);
    let notice = logs.iter().position(|line| line.starts_with("Admin token")).expect("the token is printed");
    let token = logs[notice + 2].trim().to_string();
    assert_eq!(token.len(), 48, "{token}");

    let rating = r#"{"user_id": 1, "movie_id": 1, "rating": 4.0}"#;
    let json = ("content-type", "application/json");
    let bearer = format!("Bearer {token}");
    let (status, _, body) =
        common::send("POST", &format!("{url}/api/ratings"), &[json, ("authorization", &bearer)], Some(rating));
    assert_eq!(status, 201, "{body}");
    let stored: String = db.connect().query_row("SELECT token_hash FROM admin_tokens", [], |row| row.get(0)).unwrap();
    assert_ne!(stored, token);
    assert_eq!(stored.len(), 64, "a SHA-256 in hex");
    assert!(terminate(&mut server).success());

    // The second start prints nothing and the same token still works.
    let (mut server, url, logs) = start_server(&db, &[], &[]);
    assert!(!logs.iter().any(|line| line.contains(&token) || line.starts_with("Admin token")), "{logs:?}");
    let (status, _, _) =
        common::send("POST", &format!("{url}/api/ratings"), &[json, ("authorization", &bearer)], Some(rating));
    assert_eq!(status, 201);
    assert!(terminate(&mut server).success());
}
