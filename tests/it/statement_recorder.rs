//! The statement recorder, on a real SQLite file: what it counts, what it leaves out, and how it
//! groups repeats.

use movielens::db::statements::{self, housekeeping, note_run, record, record_on};
use rusqlite::types::Value;
use rusqlite::Connection;

fn connection() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = Connection::open(dir.path().join("recorder.db")).unwrap();
    record_on(&mut conn);
    conn.execute_batch(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
         CREATE TABLE item_log (item_id INTEGER, note TEXT);
         CREATE TRIGGER items_logged AFTER INSERT ON items BEGIN
             INSERT INTO item_log VALUES (NEW.id, 'added');
             INSERT INTO item_log VALUES (NEW.id, 'checked');
         END;",
    )
    .unwrap();
    (dir, conn)
}

#[test]
fn each_statement_is_recorded_once_with_its_time_changed_rows_and_reported_values() {
    let (_dir, conn) = connection();
    const SELECT: &str = "SELECT count(*) FROM items WHERE name = ?1";
    let ((), recording) = record(|| {
        conn.execute("INSERT INTO items (name) VALUES (?1), (?2)", ["a", "b"]).unwrap();
        let mut select = conn.prepare(SELECT).unwrap();
        let count: i64 = select.query_row(["a"], |row| row.get(0)).unwrap();
        assert_eq!(count, 1);
        note_run(SELECT, Some(vec![Value::Text("a".into())]), std::time::Duration::from_micros(7), false);
    });
    assert_eq!(recording.count(), 2, "{recording:#?}");
    let [insert, select] = recording.statements() else { panic!("{recording:#?}") };
    assert_eq!(&*insert.sql, "INSERT INTO items (name) VALUES (?1), (?2)");
    assert_eq!(insert.bound_sql(), None, "its values were not reported");
    // Its trigger wrote four rows to item_log: those are not the statement's own rows.
    assert_eq!(insert.rows_changed, Some(2));
    assert_eq!(select.bound_sql().as_deref(), Some("SELECT count(*) FROM items WHERE name = 'a'"));
    assert_eq!((select.elapsed, select.measured, insert.measured), (std::time::Duration::from_micros(7), true, false));
    assert_eq!(select.rows_changed, None);
    assert!(recording.elapsed() >= insert.elapsed + select.elapsed - std::time::Duration::from_nanos(1));
}

#[test]
fn statements_inside_triggers_pragmas_and_housekeeping_are_not_counted() {
    let (_dir, mut conn) = connection();
    let ((), recording) = record(|| {
        conn.pragma_update(None, "cache_size", -4000).unwrap();
        let tx = housekeeping(|| conn.transaction()).unwrap();
        tx.execute("INSERT INTO items (name) VALUES ('x')", []).unwrap();
        housekeeping(|| tx.commit()).unwrap();
    });
    let logged: i64 = conn.query_row("SELECT count(*) FROM item_log", [], |row| row.get(0)).unwrap();
    assert_eq!(logged, 2, "the trigger ran its two statements");
    assert_eq!(recording.count(), 1, "{recording:#?}");
    assert_eq!(&*recording.statements()[0].sql, "INSERT INTO items (name) VALUES ('x')");
}

#[test]
fn a_query_per_row_inside_another_query_shows_as_a_similar_group() {
    let (_dir, conn) = connection();
    for name in ["a", "b", "c"] {
        conn.execute("INSERT INTO items (name) VALUES (?1)", [name]).unwrap();
    }
    const BY_ID: &str = "SELECT name FROM items WHERE id = ?1";
    let ((), recording) = record(|| {
        let mut outer = conn.prepare("SELECT id FROM items ORDER BY id").unwrap();
        let mut rows = outer.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let id: i64 = row.get(0).unwrap();
            for _ in 0..2 {
                let mut by_id = conn.prepare_cached(BY_ID).unwrap();
                let _: String = by_id.query_row([id], |row| row.get(0)).unwrap();
                note_run(BY_ID, Some(vec![Value::Integer(id)]), std::time::Duration::from_micros(1), false);
            }
        }
    });
    assert_eq!(recording.count(), 7, "{recording:#?}");
    let bound: Vec<Option<String>> = recording.statements().iter().map(|statement| statement.bound_sql()).collect();
    assert_eq!(bound[0].as_deref(), Some("SELECT name FROM items WHERE id = 1"));
    assert_eq!(bound[5].as_deref(), Some("SELECT name FROM items WHERE id = 3"));
    assert_eq!(&*recording.statements()[6].sql, "SELECT id FROM items ORDER BY id", "the outer query finishes last");

    let similar = recording.similar();
    assert_eq!(similar.len(), 1);
    assert_eq!((similar[0].sql.as_str(), similar[0].count), ("SELECT name FROM items WHERE id = ?1", 6));
    let duplicates = recording.duplicates();
    let counts: Vec<(&str, usize)> = duplicates.iter().map(|group| (group.sql.as_str(), group.count)).collect();
    assert_eq!(
        counts,
        [
            ("SELECT name FROM items WHERE id = 1", 2),
            ("SELECT name FROM items WHERE id = 2", 2),
            ("SELECT name FROM items WHERE id = 3", 2)
        ]
    );
}

#[test]
fn recordings_nest_and_a_recording_keeps_at_most_its_limit_of_texts() {
    let (_dir, conn) = connection();
    let total = statements::MAX_KEPT_STATEMENTS + 5;
    let (inner, outer) = record(|| {
        conn.execute("INSERT INTO items (name) VALUES ('outer')", []).unwrap();
        record(|| {
            for _ in 0..total {
                conn.query_row("SELECT 1", [], |_| Ok(())).unwrap();
            }
        })
        .1
    });
    assert_eq!(inner.count(), total as u64);
    assert_eq!(inner.statements().len(), statements::MAX_KEPT_STATEMENTS);
    assert_eq!(outer.count(), total as u64 + 1);
    assert_eq!(outer.statements().len(), statements::MAX_KEPT_STATEMENTS);
}

#[test]
fn a_statement_that_fails_is_recorded_and_leaves_no_trace_behind() {
    let (_dir, conn) = connection();
    let ((), recording) = record(|| {
        conn.execute("INSERT INTO items (id, name) VALUES (1, 'a')", []).unwrap();
        assert!(conn.execute("INSERT INTO items (id, name) VALUES (1, 'again')", []).is_err());
        conn.query_row("SELECT 2", [], |_| Ok(())).unwrap();
    });
    let sql: Vec<&str> = recording.statements().iter().map(|statement| &*statement.sql).collect();
    assert_eq!(
        sql,
        [
            "INSERT INTO items (id, name) VALUES (1, 'a')",
            "INSERT INTO items (id, name) VALUES (1, 'again')",
            "SELECT 2"
        ]
    );
    assert_eq!(recording.statements()[1].rows_changed, Some(0));
}

#[test]
fn a_statement_prepared_again_after_a_schema_change_is_one_statement_when_its_runner_says_so() {
    let (dir, conn) = connection();
    const COUNT: &str = "SELECT count(*) FROM items";
    let mut statement = conn.prepare(COUNT).unwrap();
    statement.query_row([], |_| Ok(())).unwrap();
    // Another connection changes the schema: the statement must be prepared again.
    Connection::open(dir.path().join("recorder.db")).unwrap().execute_batch("CREATE TABLE other (x)").unwrap();
    let ((), recording) = record(|| {
        statement.reset_status(rusqlite::StatementStatus::RePrepare);
        statement.query_row([], |_| Ok(())).unwrap();
        let reprepared = statement.reset_status(rusqlite::StatementStatus::RePrepare) > 0;
        assert!(reprepared);
        assert_eq!(statements::Recording::count(&statements::request_so_far()), 0, "outside a request");
        note_run(COUNT, Some(Vec::new()), std::time::Duration::from_micros(3), reprepared);
    });
    assert_eq!(recording.count(), 1, "{recording:#?}");
    assert!(recording.statements()[0].measured);
}
