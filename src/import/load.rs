//! The bulk load itself: one transaction, secondary indexes rebuilt once at the end, and every
//! row checked before it is written.

use std::collections::{HashMap, HashSet};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, Transaction, TransactionBehavior};

use super::records::CsvRows;
use super::source::{DataFile, DatasetSource};
use super::{ImportError, ImportOptions, ImportSummary};

/// Page cache for the load, in KiB (SQLite's negative `cache_size`). Index builds sort within it.
const BULK_CACHE_KIB: i64 = 128 * 1024;
/// Virtual-machine steps between checks for a stop request inside one statement (an index build
/// or ANALYZE can run for seconds); a check is an atomic load.
const CANCEL_CHECK_STEPS: std::ffi::c_int = 10_000;
/// SQLite's default page cache, restored on the pooled connection afterwards.
const DEFAULT_CACHE_KIB: i64 = 2_000;
/// Tables the import fills, children first, so that deleting in this order never orphans a row.
const DATA_TABLES: [&str; 8] =
    ["tags", "ratings", "links", "movie_genres", "movie_rating_histogram", "movie_stats", "movies", "genres"];

pub fn load(
    conn: &mut Connection,
    source: &mut dyn DatasetSource,
    options: ImportOptions,
) -> Result<ImportSummary, ImportError> {
    // Foreign keys are checked here row by row (to name the line); SQLite's own check would only
    // repeat that work. The pragma cannot change inside a transaction, so it wraps it.
    conn.pragma_update(None, "foreign_keys", false)?;
    conn.pragma_update(None, "cache_size", -BULK_CACHE_KIB)?;
    let cancel = options.cancel.clone();
    conn.progress_handler(CANCEL_CHECK_STEPS, Some(move || cancel.is_requested()));
    let result = load_in_transaction(conn, source, &options);
    conn.progress_handler(0, None::<fn() -> bool>);
    conn.pragma_update(None, "cache_size", -DEFAULT_CACHE_KIB)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // A statement cut short by the progress handler fails with SQLITE_INTERRUPT: say why.
    let summary = result.map_err(|err| if options.cancel.is_requested() { ImportError::Interrupted } else { err })?;
    // The load went through the write-ahead log; copy it into the database and shrink the log
    // file now, rather than leave a file as large as the data set beside it.
    let checkpoint_started = Instant::now();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    tracing::debug!(elapsed_ms = checkpoint_started.elapsed().as_millis() as u64, "checkpointed");
    Ok(summary)
}

fn load_in_transaction(
    conn: &mut Connection,
    source: &mut dyn DatasetSource,
    options: &ImportOptions,
) -> Result<ImportSummary, ImportError> {
    let started = Instant::now();
    let started_at = unix_now();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    check_room(&tx, options.replace)?;
    // Building an index once over sorted keys is far faster than updating it row by row, and the
    // rating aggregates are computed while streaming rather than by a trigger per row.
    let schema_objects = take_indexes_and_triggers(&tx)?;
    // Ids are never reused, not even across a replace: the new rows number on from the old.
    let next_ids = NextIds {
        rating: crate::db::ratings::retire_ids(&tx, "ratings")?,
        tag: crate::db::ratings::retire_ids(&tx, "tags")?,
    };
    for table in DATA_TABLES {
        tx.execute(&format!("DELETE FROM {table}"), [])?;
    }
    let mut loader = Loader::new(&tx, next_ids);
    for file in DataFile::LOAD_ORDER {
        let (reader, bar) = super::progress::track(options.progress, &options.bytes, file, source.open(file)?);
        let mut rows = CsvRows::new(file, reader, options.cancel.clone())?;
        match file {
            DataFile::Movies => loader.movies(&mut rows)?,
            DataFile::Links => loader.links(&mut rows)?,
            DataFile::Ratings => loader.ratings(&mut rows)?,
            DataFile::Tags => loader.tags(&mut rows)?,
        }
        bar.finish();
        tracing::debug!(file = file.name(), elapsed_ms = started.elapsed().as_millis() as u64, "loaded");
    }
    loader.write_aggregates()?;
    for sql in &schema_objects {
        tx.execute_batch(sql)?;
    }
    // The search indexes' triggers were dropped with the others: index the new rows at once.
    crate::db::admin::search::rebuild_indexes(&tx)?;
    tracing::debug!(objects = schema_objects.len(), elapsed_ms = started.elapsed().as_millis() as u64, "indexed");
    // The triggers that count data changes were dropped for the load: count it as one.
    tx.execute("UPDATE data_generation SET generation = generation + 1", [])?;
    // Planner statistics for the new data; the limit keeps this quick on tens of millions of rows.
    tx.execute_batch("PRAGMA analysis_limit = 1000; ANALYZE;")?;

    let mut summary = loader.summary;
    summary.source = source.describe();
    tx.execute(
        "INSERT INTO data_imports (source_kind, source, movies, genres, ratings, tags, links, started_at, finished_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            source.kind().as_str(),
            summary.source,
            summary.movies,
            summary.genres,
            summary.ratings,
            summary.tags,
            summary.links,
            started_at,
            unix_now()
        ],
    )?;
    tx.commit()?;
    summary.elapsed = started.elapsed();
    tracing::debug!(elapsed_ms = summary.elapsed.as_millis() as u64, "committed");
    Ok(summary)
}

/// Refuses to load over existing data unless replacing.
fn check_room(tx: &Transaction, replace: bool) -> Result<(), ImportError> {
    let (movies, ratings): (i64, i64) =
        tx.query_row("SELECT (SELECT count(*) FROM movies), (SELECT EXISTS (SELECT 1 FROM ratings))", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
    let holds_data = DATA_TABLES
        .iter()
        .map(|table| tx.query_row(&format!("SELECT EXISTS (SELECT 1 FROM {table})"), [], |row| row.get::<_, bool>(0)))
        .collect::<Result<Vec<_>, _>>()?
        .contains(&true);
    if holds_data && !replace {
        let ratings =
            if ratings == 0 { 0 } else { tx.query_row("SELECT count(*) FROM ratings", [], |row| row.get(0))? };
        return Err(ImportError::NotEmpty { movies, ratings });
    }
    Ok(())
}

/// Drops the indexes (keeping those behind UNIQUE constraints) and triggers of the data tables
/// and returns the SQL that recreates them, exactly as the migrations wrote it.
fn take_indexes_and_triggers(tx: &Transaction) -> Result<Vec<String>, ImportError> {
    let mut statement = tx.prepare(
        "SELECT type, name, sql FROM sqlite_schema
         WHERE type IN ('index', 'trigger') AND sql IS NOT NULL
           AND tbl_name IN ('movies', 'movie_genres', 'ratings', 'tags', 'links', 'movie_stats')
         ORDER BY rowid",
    )?;
    let objects = statement
        .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    for (kind, name, _) in &objects {
        tx.execute_batch(&format!("DROP {} \"{name}\"", kind.to_uppercase()))?;
    }
    Ok(objects.into_iter().map(|(_, _, sql)| sql).collect())
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// The year MovieLens puts at the end of a title: 'Heat (1995)', 'Death Note (2006–2007)'.
pub fn year_from_title(title: &str) -> Option<i64> {
    let inner = title.trim_end().strip_suffix(')')?.rsplit_once('(')?.1;
    let (year, rest) = inner.split_at_checked(4)?;
    let range_end = rest.strip_prefix('-').or_else(|| rest.strip_prefix('–'));
    let is_year_range = range_end.is_some_and(|end| end.is_empty() || end.bytes().all(|b| b.is_ascii_digit()));
    if !(rest.is_empty() || is_year_range) || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    year.parse().ok()
}

/// Row-by-row loading, with what later files are checked against.
struct Loader<'t> {
    tx: &'t Transaction<'t>,
    /// movieId → the movies.csv line that defined it.
    movies: HashMap<i64, u64>,
    genres: HashMap<String, i64>,
    /// A genre name folded to lower case (as the API's lookups fold it) → its spelling and line.
    genre_spellings: HashMap<String, (String, u64)>,
    linked: HashSet<i64>,
    /// movieId → its ratings' count, sum and half-star histogram, gathered while streaming.
    aggregates: HashMap<i64, RatingAggregate>,
    next_ids: NextIds,
    summary: ImportSummary,
}

/// The ids the next rating and tag take.
struct NextIds {
    rating: i64,
    tag: i64,
}

#[derive(Default)]
struct RatingAggregate {
    count: i64,
    sum: f64,
    histogram: [i64; 10],
}

impl<'t> Loader<'t> {
    fn new(tx: &'t Transaction<'t>, next_ids: NextIds) -> Self {
        Self {
            next_ids,
            tx,
            movies: HashMap::new(),
            genres: HashMap::new(),
            genre_spellings: HashMap::new(),
            linked: HashSet::new(),
            aggregates: HashMap::new(),
            summary: ImportSummary::default(),
        }
    }

    fn movies(&mut self, rows: &mut CsvRows) -> Result<(), ImportError> {
        let mut insert_movie =
            self.tx.prepare("INSERT INTO movies (movie_id, title, year, genres) VALUES (?1, ?2, ?3, ?4)")?;
        let mut insert_genre = self.tx.prepare("INSERT INTO genres (name) VALUES (?1)")?;
        let mut insert_pair = self.tx.prepare("INSERT INTO movie_genres (movie_id, genre_id) VALUES (?1, ?2)")?;
        while let Some(row) = rows.next_row()? {
            let movie_id = row.id(0)?;
            let title = row.text(1)?;
            if title.trim().is_empty() {
                return Err(row.error("title is empty"));
            }
            if let Some(first_line) = self.movies.insert(movie_id, row.line()) {
                return Err(row.error(format!("duplicate movieId {movie_id} (first defined on line {first_line})")));
            }
            let mut names: Vec<&str> = row.text(2)?.split('|').collect();
            if names.contains(&"") {
                return Err(row.error("empty genre name (a movie without genres lists '(no genres listed)')"));
            }
            // Alphabetical, each once: the order the `movies.genres` triggers keep.
            names.sort_unstable();
            names.dedup();
            insert_movie.execute(params![movie_id, title, year_from_title(title), names.join("|")])?;
            for name in &names {
                let genre_id = match self.genres.get(*name) {
                    Some(&id) => id,
                    None => {
                        self.check_genre_spelling(name, &row)?;
                        insert_genre.execute([name])?;
                        let id = self.tx.last_insert_rowid();
                        self.genres.insert((*name).to_owned(), id);
                        id
                    }
                };
                insert_pair.execute([movie_id, genre_id])?;
            }
            self.summary.movies += 1;
            self.summary.movie_genres += names.len() as u64;
        }
        self.summary.genres = self.genres.len() as u64;
        Ok(())
    }

    /// Refuses a genre that differs from an earlier one only in case ('Comedy', 'comedy'): the API
    /// looks genres up without regard to ASCII case, so one of the two could never be found.
    fn check_genre_spelling(&mut self, name: &str, row: &super::records::Row) -> Result<(), ImportError> {
        let spelling = (name.to_owned(), row.line());
        if let Some((first, line)) = self.genre_spellings.insert(name.to_ascii_lowercase(), spelling) {
            return Err(row.error(format!(
                "genre '{name}' differs only in case from '{first}' (line {line}); spell each genre one way"
            )));
        }
        Ok(())
    }

    fn known_movie(&self, row: &super::records::Row, index: usize) -> Result<i64, ImportError> {
        let movie_id = row.id(index)?;
        if !self.movies.contains_key(&movie_id) {
            return Err(row.error(format!("movieId {movie_id} is not in movies.csv")));
        }
        Ok(movie_id)
    }

    fn links(&mut self, rows: &mut CsvRows) -> Result<(), ImportError> {
        let mut insert = self.tx.prepare("INSERT INTO links (movie_id, imdb_id, tmdb_id) VALUES (?1, ?2, ?3)")?;
        while let Some(row) = rows.next_row()? {
            let movie_id = self.known_movie(&row, 0)?;
            let imdb_id = row.text(1)?;
            if imdb_id.is_empty() || !imdb_id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(row.error(format!("imdbId must be digits, found '{imdb_id}'")));
            }
            let tmdb_id = if row.text(2)?.is_empty() { None } else { Some(row.id(2)?) };
            if !self.linked.insert(movie_id) {
                return Err(row.error(format!("duplicate links for movieId {movie_id}")));
            }
            insert.execute(params![movie_id, imdb_id, tmdb_id])?;
            self.summary.links += 1;
        }
        Ok(())
    }

    fn ratings(&mut self, rows: &mut CsvRows) -> Result<(), ImportError> {
        let mut insert = self
            .tx
            .prepare("INSERT INTO ratings (id, user_id, movie_id, rating, timestamp) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        while let Some(row) = rows.next_row()? {
            let user_id = row.id(0)?;
            let movie_id = self.known_movie(&row, 1)?;
            let rating = row.rating(2)?;
            insert.execute(params![self.next_ids.rating, user_id, movie_id, rating, row.integer(3)?])?;
            self.next_ids.rating += 1;
            let aggregate = self.aggregates.entry(movie_id).or_default();
            aggregate.count += 1;
            aggregate.sum += rating;
            aggregate.histogram[(rating * 2.0) as usize - 1] += 1;
            self.summary.ratings += 1;
        }
        Ok(())
    }

    /// Writes what the triggers on `movies` and `ratings` would have kept, had they not been dropped
    /// for the load, then takes a new prior for the damped mean and scores every movie with it, and
    /// sums the genres' figures.
    fn write_aggregates(&self) -> Result<(), ImportError> {
        let mut stats =
            self.tx.prepare("INSERT INTO movie_stats (movie_id, rating_count, rating_sum) VALUES (?1, ?2, ?3)")?;
        let mut buckets =
            self.tx.prepare("INSERT INTO movie_rating_histogram (movie_id, rating, count) VALUES (?1, ?2, ?3)")?;
        let (mut total_count, mut total_sum) = (0, 0.0);
        for (movie_id, aggregate) in &self.aggregates {
            stats.execute(params![movie_id, aggregate.count, aggregate.sum])?;
            for (half_stars, count) in (1..).zip(aggregate.histogram).filter(|(_, count)| *count > 0) {
                buckets.execute(params![movie_id, f64::from(half_stars) / 2.0, count])?;
            }
            total_count += aggregate.count;
            total_sum += aggregate.sum;
        }
        self.tx.execute(
            "UPDATE totals SET movie_count = ?1, rating_count = ?2, rating_sum = ?3",
            params![self.summary.movies, total_count, total_sum],
        )?;
        crate::db::scores::refresh_prior(self.tx, true)?;
        crate::db::catalogue::rebuild_genre_stats(self.tx)?;
        Ok(())
    }

    fn tags(&mut self, rows: &mut CsvRows) -> Result<(), ImportError> {
        let mut insert =
            self.tx.prepare("INSERT INTO tags (id, user_id, movie_id, tag, timestamp) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        while let Some(row) = rows.next_row()? {
            let user_id = row.id(0)?;
            let movie_id = self.known_movie(&row, 1)?;
            insert.execute(params![self.next_ids.tag, user_id, movie_id, row.text(2)?, row.integer(3)?])?;
            self.next_ids.tag += 1;
            self.summary.tags += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::year_from_title;

    #[test]
    fn years_are_read_from_the_end_of_titles() {
        assert_eq!(year_from_title("Toy Story (1995)"), Some(1995));
        assert_eq!(year_from_title("From Dusk Till Dawn 2: Texas Blood Money (1999) "), Some(1999));
        assert_eq!(year_from_title("Assembly (Ji jie hao) (2007)"), Some(2007));
        assert_eq!(year_from_title("Death Note: Desu nôto (2006–2007)"), Some(2006));
        assert_eq!(year_from_title("Fawlty Towers (1975-1979)"), Some(1975));
        assert_eq!(year_from_title("Stranger Things (2016-)"), Some(2016));
        assert_eq!(year_from_title("Babylon 5"), None);
        assert_eq!(year_from_title("1984 (novel)"), None);
        assert_eq!(year_from_title("Money (12345)"), None);
    }
}
