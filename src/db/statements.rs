//! The statement recorder: every SQL statement the app runs, with its SQL, its time and the rows
//! it changed, recorded below the handlers so that none can forget to count.
//!
//! Two SQLite hooks are installed on every connection:
//! - the profile hook, as each statement finishes, with its SQL as prepared and its time;
//! - the update hook, for each row a statement inserts, updates or deletes.
//!
//! Statements inside triggers get no profile call of their own: they are part of the statement
//! that fired them, not extra ones. `PRAGMA`s and the transactions `Db` wraps around work
//! ([`housekeeping`]) are not recorded.
//!
//! Recordings are per thread: [`record`] collects what its closure ran on the calling thread.
//! `Db` records every unit of work and adds it to the request being served ([`in_request`]), so a
//! request's recording is the sum of its units, whichever threads they ran on.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::hooks::Action;
use rusqlite::types::Value;
use rusqlite::Connection;

use super::bound_values;

/// Statements kept with their text per recording; beyond this only the count and time grow, so a
/// request that runs a million statements does not hold a million strings.
pub const MAX_KEPT_STATEMENTS: usize = 1_000;

/// Prepared texts remembered per thread; more are forgotten and found again.
const MAX_KEPT_TEXTS: usize = 4_096;

/// One statement as SQLite ran it.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The SQL as prepared, with `?` placeholders: statements with the same text are *similar*.
    pub sql: Arc<str>,
    /// Its bound values, where the code that ran it reported them (see [`note_run`]):
    /// statements with the same SQL and values are *duplicates*.
    pub values: Option<Vec<Value>>,
    /// Time inside SQLite, from the profile hook (a resolution of one millisecond), or as the
    /// code that ran it measured it (see [`note_run`]).
    pub elapsed: Duration,
    /// Whether `elapsed` was measured by the code that ran the statement, to the microsecond.
    pub measured: bool,
    /// Rows an INSERT, UPDATE or DELETE changed in its own table (rows its triggers changed
    /// elsewhere are not included), from SQLite's update hook. `None` for other statements:
    /// SQLite's hooks do not say how many rows a SELECT returned.
    pub rows_changed: Option<u64>,
}

impl Statement {
    /// The SQL with its values written in, where they were reported.
    pub fn bound_sql(&self) -> Option<String> {
        self.values.as_ref().map(|values| bound_values::write_in(&self.sql, values))
    }
}

/// Statements that share a key: the same SQL (similar) or the same SQL and values (duplicate).
#[derive(Debug, Clone, PartialEq)]
pub struct StatementGroup {
    /// The SQL they share: as prepared for similar groups, with values for duplicate groups.
    pub sql: String,
    pub count: usize,
    pub elapsed: Duration,
}

/// What a unit of work, or a whole request, ran.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recording {
    count: u64,
    elapsed: Duration,
    /// Shared, so that a unit of work's recording can go to its request and to its caller at the
    /// cost of counting references, not copying texts.
    statements: Vec<Arc<Statement>>,
    /// Nothing was recorded: the recorder is off (`--statement-recorder false`).
    off: bool,
}

impl Recording {
    /// The empty recording of work run with the recorder off.
    pub fn off() -> Self {
        Self { off: true, ..Self::default() }
    }

    /// Whether the recorder was off, so that the count says nothing.
    pub fn is_off(&self) -> bool {
        self.off
    }

    /// How many statements ran, kept or not.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Their total time inside SQLite.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The statements in the order they finished: the first [`MAX_KEPT_STATEMENTS`] of them.
    pub fn statements(&self) -> &[Arc<Statement>] {
        &self.statements
    }

    /// Groups of two or more statements with the same SQL text, largest first: an N+1 shows
    /// here as a group of N.
    pub fn similar(&self) -> Vec<StatementGroup> {
        groups(&self.statements, |statement| Some((&statement.sql, &[][..])), |statement| statement.sql.to_string())
    }

    /// Groups of two or more statements with the same SQL and the same values, largest first:
    /// work done twice. Only statements whose values were reported take part.
    pub fn duplicates(&self) -> Vec<StatementGroup> {
        groups(
            &self.statements,
            |statement| Some((&statement.sql, statement.values.as_deref()?)),
            |statement| statement.bound_sql().unwrap_or_default(),
        )
    }

    /// Adds `other`'s statements after this recording's.
    pub fn append(&mut self, other: Recording) {
        self.off |= other.off;
        self.count += other.count;
        self.elapsed += other.elapsed;
        let room = MAX_KEPT_STATEMENTS.saturating_sub(self.statements.len());
        self.statements.extend(other.statements.into_iter().take(room));
    }

    /// Forgets the first `count` statements: what ran before a point of interest.
    pub fn drop_first(&mut self, count: usize) {
        let dropped: Vec<Arc<Statement>> = self.statements.drain(..count.min(self.statements.len())).collect();
        self.count = self.count.saturating_sub(count as u64);
        self.elapsed = self.elapsed.saturating_sub(dropped.iter().map(|statement| statement.elapsed).sum());
    }

    fn push(&mut self, statement: Statement) {
        self.count += 1;
        self.elapsed += statement.elapsed;
        if self.statements.len() < MAX_KEPT_STATEMENTS {
            self.statements.push(Arc::new(statement));
        }
    }
}

/// Groups statements by `key` (SQL and values), largest first; `label` names a group by its first
/// statement. Values are compared as they are, without writing them into the SQL.
fn groups<'a>(
    statements: &'a [Arc<Statement>],
    key: impl Fn(&'a Statement) -> Option<(&'a Arc<str>, &'a [Value])>,
    label: impl Fn(&Statement) -> String,
) -> Vec<StatementGroup> {
    // Per SQL text, its groups so far: each one's values and its place in `order`.
    let mut by_sql: HashMap<&str, Vec<(&[Value], usize)>> = HashMap::new();
    let mut order: Vec<(&Statement, StatementGroup)> = Vec::new();
    for statement in statements {
        let Some((sql, values)) = key(statement) else { continue };
        let seen = by_sql.entry(sql).or_default();
        let slot = match seen.iter().find(|(other, _)| *other == values) {
            Some(&(_, slot)) => slot,
            None => {
                order.push((statement, StatementGroup { sql: String::new(), count: 0, elapsed: Duration::ZERO }));
                seen.push((values, order.len() - 1));
                order.len() - 1
            }
        };
        order[slot].1.count += 1;
        order[slot].1.elapsed += statement.elapsed;
    }
    order.retain(|(_, group)| group.count > 1);
    // Stable: equal groups keep the order their first statement ran in.
    order.sort_by_key(|(_, group)| std::cmp::Reverse(group.count));
    order.into_iter().map(|(first, group)| StatementGroup { sql: label(first), ..group }).collect()
}

#[derive(Default)]
struct ThreadState {
    /// The recording in progress, if [`record`] is running on this thread.
    recording: Option<Recording>,
    housekeeping: u32,
    /// Rows changed per table since the last statement finished: the update hook fires before
    /// the profile hook of the statement that changed them.
    changed: Vec<(String, u64)>,
    /// Prepared SQL texts, shared by every statement that ran them, by where SQLite keeps the
    /// text: hashing an address is cheaper than hashing the text, and a hit is checked by content.
    texts: HashMap<(usize, usize), Arc<str>>,
}

thread_local! {
    static STATE: RefCell<ThreadState> = RefCell::new(ThreadState::default());
}

/// Installs the recorder's hooks on a connection.
pub fn record_on(conn: &mut Connection) {
    conn.profile(Some(on_finish));
    conn.update_hook(Some(on_row_changed));
}

/// Removes the hooks for the duration of `work`: for bulk loads of millions of rows, whose
/// statements no one inspects one by one.
pub fn unrecorded<T>(conn: &mut Connection, work: impl FnOnce(&mut Connection) -> T) -> T {
    conn.profile(None);
    conn.update_hook(None::<fn(Action, &str, &str, i64)>);
    let result = work(conn);
    record_on(conn);
    result
}

fn on_finish(sql: &str, elapsed: Duration) {
    STATE.with(|state| {
        let mut state = state.borrow_mut();
        let changed = std::mem::take(&mut state.changed);
        if state.housekeeping > 0 || starts_with_word(sql, "PRAGMA") {
            return;
        }
        tracing::trace!(target: "movielens::sql", elapsed_us = elapsed.as_micros() as u64, sql);
        if state.recording.is_none() {
            return;
        }
        let key = (sql.as_ptr() as usize, sql.len());
        let text = match state.texts.get(&key) {
            Some(text) if &**text == sql => text.clone(),
            _ => {
                let text: Arc<str> = Arc::from(sql);
                if state.texts.len() >= MAX_KEPT_TEXTS {
                    // Statements prepared and dropped each time leave addresses that never return.
                    state.texts.clear();
                }
                state.texts.insert(key, text.clone());
                text
            }
        };
        let rows_changed = written_table(sql).map(|target| {
            changed.iter().filter(|(table, _)| table.eq_ignore_ascii_case(&target)).map(|(_, rows)| rows).sum()
        });
        let statement = Statement { sql: text, values: None, elapsed, measured: false, rows_changed };
        if let Some(recording) = state.recording.as_mut() {
            recording.push(statement);
        }
    });
}

fn on_row_changed(_action: Action, _database: &str, table: &str, _rowid: i64) {
    STATE.with(|state| {
        let mut state = state.borrow_mut();
        match state.changed.iter_mut().find(|(changed, _)| changed == table) {
            Some((_, rows)) => *rows += 1,
            None => state.changed.push((table.to_string(), 1)),
        }
    });
}

/// Whether a recording is in progress on this thread: when none is, there is nothing to note.
pub fn is_recording() -> bool {
    STATE.with(|state| state.borrow().recording.is_some())
}

/// Completes the latest record of the statement `sql` with what the code that ran it measured:
/// the values it bound and the time from its first step to its last row.
///
/// SQLite tells a connection either each statement's time (the profile hook) or its values (the
/// legacy trace hook), never both, and its profile times have a resolution of one millisecond:
/// most statements here take microseconds. Code that shows its statements, as the query lab does,
/// times them itself and reports here. Only statements with values can be found to be duplicates.
pub fn note_run(sql: &str, values: Option<Vec<Value>>, elapsed: Duration, reprepared: bool) {
    STATE.with(|state| {
        let mut state = state.borrow_mut();
        let Some(recording) = state.recording.as_mut() else { return };
        let mut runs = recording.statements.iter().enumerate().rev().filter(|(_, statement)| &*statement.sql == sql);
        let Some((latest, _)) = runs.next() else { return };
        // A statement SQLite had to prepare again (the schema changed under it) reports its
        // failed first attempt too: that is one statement, not two.
        let attempt = runs.next().filter(|(_, statement)| reprepared && !statement.measured).map(|(index, _)| index);
        let statement = Arc::make_mut(&mut recording.statements[latest]);
        if statement.measured {
            return;
        }
        recording.elapsed = recording.elapsed.saturating_sub(statement.elapsed) + elapsed;
        statement.elapsed = elapsed;
        statement.values = values;
        statement.measured = true;
        if let Some(attempt) = attempt {
            let attempt = recording.statements.remove(attempt);
            recording.count -= 1;
            recording.elapsed = recording.elapsed.saturating_sub(attempt.elapsed);
        }
    });
}

fn starts_with_word(sql: &str, word: &str) -> bool {
    let sql = sql.trim_start();
    sql.len() >= word.len() && sql.is_char_boundary(word.len()) && sql[..word.len()].eq_ignore_ascii_case(word)
}

/// The table an INSERT, REPLACE, UPDATE or DELETE writes to.
fn written_table(sql: &str) -> Option<String> {
    let mut words = sql.split_whitespace();
    let first = words.next()?;
    let is = |keyword: &str| first.eq_ignore_ascii_case(keyword);
    let name = if is("INSERT") || is("REPLACE") {
        words.find(|word| word.eq_ignore_ascii_case("INTO")).and_then(|_| words.next())
    } else if is("DELETE") {
        words.find(|word| word.eq_ignore_ascii_case("FROM")).and_then(|_| words.next())
    } else if is("UPDATE") {
        words.find(|word| !word.eq_ignore_ascii_case("OR") && !is_conflict_clause(word))
    } else {
        None
    }?;
    let name = name.split(['(', ' ']).next()?.trim_matches(['"', '`', '[', ']']);
    Some(name.rsplit('.').next()?.to_string())
}

fn is_conflict_clause(word: &str) -> bool {
    ["ROLLBACK", "ABORT", "REPLACE", "FAIL", "IGNORE"].iter().any(|clause| word.eq_ignore_ascii_case(clause))
}

/// Runs `work` and returns what it ran on this thread. Recordings nest: an outer one also gets
/// the inner one's statements.
pub fn record<T>(work: impl FnOnce() -> T) -> (T, Recording) {
    let outer = STATE.with(|state| state.borrow_mut().recording.replace(Recording::default()));
    let result = work();
    let recording = STATE.with(|state| {
        let mut state = state.borrow_mut();
        let recording = state.recording.take().unwrap_or_default();
        if let Some(mut outer) = outer {
            outer.append(recording.clone());
            state.recording = Some(outer);
        }
        recording
    });
    (result, recording)
}

/// Runs `work` without recording its statements: the transactions `Db` opens and closes around a
/// unit of work are its own doing, not the caller's.
pub fn housekeeping<T>(work: impl FnOnce() -> T) -> T {
    /// Ends the housekeeping even if `work` panics.
    struct Ends;
    impl Drop for Ends {
        fn drop(&mut self) {
            STATE.with(|state| state.borrow_mut().housekeeping -= 1);
        }
    }
    STATE.with(|state| state.borrow_mut().housekeeping += 1);
    let _ends = Ends;
    work()
}

/// Drops what a panic left behind on this thread: statements that never finished, and a recording
/// that never ended.
pub fn forget_thread_state() {
    STATE.with(|state| {
        let mut state = state.borrow_mut();
        state.changed.clear();
        state.recording = None;
        state.housekeeping = 0;
    });
}

tokio::task_local! {
    static REQUEST: RefCell<Recording>;
}

/// Runs a request's future and returns, with its output, everything its units of work ran.
pub async fn in_request<F: Future>(request: F) -> (F::Output, Recording) {
    REQUEST
        .scope(RefCell::new(Recording::default()), async {
            let output = request.await;
            (output, REQUEST.with(|recording| recording.take()))
        })
        .await
}

/// Adds a unit of work's statements to the request being served; outside a request, nothing.
pub fn add_to_request(recording: Recording) {
    let _ = REQUEST.try_with(|request| request.borrow_mut().append(recording));
}

/// What the request being served has run so far; empty outside a request.
pub fn request_so_far() -> Recording {
    REQUEST.try_with(|request| request.borrow().clone()).unwrap_or_default()
}
