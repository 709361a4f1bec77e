//! Importing the real ml-latest-small: from its folder, from a zip, and through a download.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;

use common::{movielens_err, movielens_ok, real_data, TempDb};
use md5::Digest;

/// Imports the real data into a fresh database, or returns `None` when it is not available.
fn imported_real_data() -> Option<TempDb> {
    let data = real_data()?;
    let db = TempDb::new();
    movielens_ok(&["--db", db.arg(), "import", data.to_str().unwrap()]);
    Some(db)
}

#[test]
fn importing_ml_latest_small_loads_exactly_its_rows() {
    let Some(db) = imported_real_data() else { return };
    assert_eq!(db.count("movies"), 9_742);
    assert_eq!(db.count("ratings"), 100_836);
    assert_eq!(db.count("tags"), 3_683);
    assert_eq!(db.count("links"), 9_742);
    assert_eq!(db.count("genres"), 20);
    let no_genres: i64 = db
        .connect()
        .query_row("SELECT count(*) FROM genres WHERE name = '(no genres listed)'", [], |row| row.get(0))
        .unwrap();
    assert_eq!(no_genres, 1);
}

#[test]
fn the_import_prints_rows_per_table_and_throughput() {
    let Some(data) = real_data() else { return };
    let db = TempDb::new();
    let output = common::movielens(&["--db", db.arg(), "import", data.to_str().unwrap()]);
    let summary = String::from_utf8(output.stdout).unwrap();
    assert!(summary.contains("ratings") && summary.contains("100836"), "{summary}");
    assert!(summary.contains("rows/s"), "{summary}");
    // stderr is a pipe here, not a terminal: no progress bar may be drawn into it.
    assert_eq!(String::from_utf8(output.stderr).unwrap(), "");
}

#[test]
fn movie_1_is_toy_story_with_its_year_genres_and_links() {
    let Some(db) = imported_real_data() else { return };
    let conn = db.connect();
    let (title, year): (String, i64) = conn
        .query_row("SELECT title, year FROM movies WHERE movie_id = 1", [], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap();
    assert_eq!((title.as_str(), year), ("Toy Story (1995)", 1995));
    let genres: String = conn
        .query_row(
            "SELECT group_concat(name, '|') FROM (SELECT g.name FROM movie_genres mg JOIN genres g ON g.id = mg.genre_id
             WHERE mg.movie_id = 1 ORDER BY g.name)",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(genres, "Adventure|Animation|Children|Comedy|Fantasy");
    let link: (String, Option<i64>) = conn
        .query_row("SELECT imdb_id, tmdb_id FROM links WHERE movie_id = 1", [], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap();
    assert_eq!(link, ("0114709".to_string(), Some(862)));
}

#[test]
fn movie_1_rating_count_and_mean_match_the_csv() {
    let Some(data) = real_data() else { return };
    let Some(db) = imported_real_data() else { return };
    // Computed straight from the file: ratings.csv has no quoted fields.
    let csv = std::fs::read_to_string(data.join("ratings.csv")).unwrap();
    let ratings: Vec<f64> = csv
        .lines()
        .skip(1)
        .map(|line| line.split(',').collect::<Vec<_>>())
        .filter(|fields| fields[1] == "1")
        .map(|fields| fields[2].parse().unwrap())
        .collect();
    let expected_mean = ratings.iter().sum::<f64>() / ratings.len() as f64;

    let (count, mean): (i64, f64) = db
        .connect()
        .query_row("SELECT count(*), avg(rating) FROM ratings WHERE movie_id = 1", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap();
    assert_eq!(count, ratings.len() as i64);
    assert!((mean - expected_mean).abs() < 1e-12, "mean {mean} != {expected_mean}");
}

#[test]
fn titles_with_commas_quotes_and_accents_survive_intact() {
    let Some(db) = imported_real_data() else { return };
    let conn = db.connect();
    let title = |id: i64| -> String {
        conn.query_row("SELECT title FROM movies WHERE movie_id = ?1", [id], |row| row.get(0)).unwrap()
    };
    assert_eq!(title(11), "American President, The (1995)");
    assert_eq!(title(7789), "11'09\"01 - September 11 (2002)");
    assert_eq!(title(73), "Misérables, Les (1995)");
}

/// Zips the real data as GroupLens ships it: everything inside one `ml-latest-small/` folder.
fn zip_real_data(data: &Path, zip_path: &Path) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(zip_path).unwrap());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.add_directory("ml-latest-small/", options).unwrap();
    for name in ["README.txt", "links.csv", "movies.csv", "ratings.csv", "tags.csv"] {
        zip.start_file(format!("ml-latest-small/{name}"), options).unwrap();
        zip.write_all(&std::fs::read(data.join(name)).unwrap()).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn importing_a_grouplens_zip_loads_the_same_data_as_the_folder() {
    let Some(data) = real_data() else { return };
    let db = TempDb::new();
    let zip_path = db.dir.path().join("ml-latest-small.zip");
    zip_real_data(&data, &zip_path);
    movielens_ok(&["--db", db.arg(), "import", zip_path.to_str().unwrap()]);
    let from_folder = imported_real_data().unwrap();

    for table in ["movies", "genres", "movie_genres", "links", "ratings", "tags"] {
        assert_eq!(db.count(table), from_folder.count(table), "{table}");
    }
    let kind: String = db.connect().query_row("SELECT source_kind FROM data_imports", [], |row| row.get(0)).unwrap();
    assert_eq!(kind, "zip");
}

/// Serves `body` at any path, and its MD5 as GroupLens writes it at paths ending in `.md5`, over
/// plain HTTP on a free local port, and returns its base URL. Any other status applies to both.
fn serve_once(status: &'static str, body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let checksum: String = md5::Md5::digest(&body).iter().map(|byte| format!("{byte:02x}")).collect();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = [0u8; 4096];
            let read = stream.read(&mut request).unwrap_or(0);
            let wants_md5 = String::from_utf8_lossy(&request[..read]).lines().next().unwrap_or("").contains(".md5 ");
            let md5_file = format!("MD5 (dataset.zip) = {checksum}\n").into_bytes();
            let answer = if wants_md5 && status.starts_with("200") { &md5_file } else { &body };
            let head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", answer.len());
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(answer).unwrap();
        }
    });
    format!("http://{address}/datasets/movielens")
}

#[test]
fn import_dataset_downloads_the_grouplens_zip_and_imports_it() {
    let Some(data) = real_data() else { return };
    let db = TempDb::new();
    let zip_path = db.dir.path().join("ml-latest-small.zip");
    zip_real_data(&data, &zip_path);
    let base_url = serve_once("200 OK", std::fs::read(&zip_path).unwrap());

    movielens_ok(&["--db", db.arg(), "import", "--dataset", "ml-latest-small", "--dataset-base-url", &base_url]);
    assert_eq!(db.count("ratings"), 100_836);
    let (kind, source): (String, String) = db
        .connect()
        .query_row("SELECT source_kind, source FROM data_imports", [], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap();
    assert_eq!(kind, "download");
    assert_eq!(source, format!("ml-latest-small ({base_url}/ml-latest-small.zip)"));
}

#[test]
fn a_failed_download_names_the_url_and_loads_nothing() {
    let db = TempDb::new();
    let base_url = serve_once("404 Not Found", b"no such file".to_vec());
    let stderr = movielens_err(&["--db", db.arg(), "import", "--dataset", "ml-25m", "--dataset-base-url", &base_url]);
    assert!(stderr.contains(&format!("{base_url}/ml-25m.zip")), "{stderr}");
    assert_eq!(db.count("movies"), 0);
}

#[test]
fn each_movies_genre_names_match_its_movie_genres_rows_and_follow_changes() {
    let Some(db) = imported_real_data() else { return };
    let conn = db.connect();
    let mismatches: i64 = conn
        .query_row(
            "SELECT count(*) FROM movies m WHERE m.genres <> coalesce((SELECT group_concat(name, '|') FROM (
                 SELECT g.name FROM movie_genres mg JOIN genres g ON g.id = mg.genre_id
                 WHERE mg.movie_id = m.movie_id ORDER BY g.name)), '')",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(mismatches, 0);

    // The triggers keep the copy exact when the pairs change outside an import.
    conn.execute("INSERT INTO movie_genres (movie_id, genre_id) SELECT 1, id FROM genres WHERE name = 'Western'", [])
        .unwrap();
    let genres: String = conn.query_row("SELECT genres FROM movies WHERE movie_id = 1", [], |row| row.get(0)).unwrap();
    assert_eq!(genres, "Adventure|Animation|Children|Comedy|Fantasy|Western");
    conn.execute(
        "DELETE FROM movie_genres WHERE movie_id = 1 AND genre_id = (SELECT id FROM genres WHERE name = 'Adventure')",
        [],
    )
    .unwrap();
    let genres: String = conn.query_row("SELECT genres FROM movies WHERE movie_id = 1", [], |row| row.get(0)).unwrap();
    assert_eq!(genres, "Animation|Children|Comedy|Fantasy|Western");
}
