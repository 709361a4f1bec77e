//! Inputs the strict import must refuse even though each row looks well formed: genre names
//! that differ only in case, and a record too long to hold in memory.

use crate::common;

use std::io::Write;

use common::{dump, movielens_err, movielens_ok, write_small_dataset, TempDb};

/// A database holding the small data set, and a copy of that data set to break.
fn case() -> (TempDb, std::path::PathBuf) {
    let db = TempDb::new();
    let data = db.dir.path().join("data");
    write_small_dataset(&data);
    movielens_ok(&["--db", db.arg(), "import", data.to_str().unwrap()]);
    (db, data)
}

fn refused_with(db: &TempDb, data: &std::path::Path, expected: &[&str]) {
    let before = dump(&db.connect());
    let stderr = movielens_err(&["--db", db.arg(), "import", "--replace", data.to_str().unwrap()]);
    for part in expected {
        assert!(stderr.contains(part), "expected {part:?} in:\n{stderr}");
    }
    assert_eq!(dump(&db.connect()), before, "the refused import changed the database");
}

#[test]
fn genres_that_differ_only_in_case_are_refused_naming_both_spellings_and_lines() {
    // The API looks genres up without regard to case, so 'comedy' could never be found.
    let (db, data) = case();
    let movies = "movieId,title,genres\n1,Toy Story (1995),Comedy\n2,Heat (1995),Action\n3,Babylon 5,comedy\n";
    std::fs::write(data.join("movies.csv"), movies).unwrap();
    refused_with(&db, &data, &["movies.csv, line 4: genre 'comedy' differs only in case from 'Comedy' (line 2)"]);

    // Within one row too.
    std::fs::write(data.join("movies.csv"), "movieId,title,genres\n1,Toy Story (1995),Comedy|COMEDY\n2,A,B\n3,C,D\n")
        .unwrap();
    refused_with(&db, &data, &["movies.csv, line 2: genre 'Comedy' differs only in case from 'COMEDY' (line 2)"]);
}

#[test]
fn a_64_mib_field_is_refused_with_the_file_and_line_instead_of_being_held_in_memory() {
    let (db, data) = case();
    let mut tags = std::fs::File::create(data.join("tags.csv")).unwrap();
    tags.write_all(b"userId,movieId,tag,timestamp\n2,1,funny,1445714994\n2,1,\"").unwrap();
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..64 {
        tags.write_all(&chunk).unwrap();
    }
    // A valid row once the quote closes: only its size is wrong.
    tags.write_all(b"\",1445714996\n").unwrap();
    drop(tags);
    refused_with(&db, &data, &["tags.csv, line 3: a record longer than 1 MiB"]);
}

#[test]
fn a_record_just_under_the_limit_is_still_accepted() {
    let (db, data) = case();
    let tag = "b".repeat((1 << 20) - 64);
    let tags = format!("userId,movieId,tag,timestamp\n2,1,\"{tag}\",1445714996\n2,2,short,1445714997\n");
    std::fs::write(data.join("tags.csv"), tags).unwrap();
    movielens_ok(&["--db", db.arg(), "import", "--replace", data.to_str().unwrap()]);
    let longest: i64 = db.connect().query_row("SELECT max(length(tag)) FROM tags", [], |row| row.get(0)).unwrap();
    assert_eq!(longest, tag.len() as i64);
}
