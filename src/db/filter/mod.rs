//! A small filter language for movies, compiled to a parameterised SQL `WHERE` expression.
//!
//! ```text
//! (genre:Action OR genre:Comedy) AND NOT title:Episode AND year>=1990 AND avg_rating>=4 AND tag:"dark comedy"
//! ```
//!
//! A comparison is `field operator value`:
//! - fields (case-insensitive): see [`FIELDS`]; `ratings` is the movie's rating count.
//! - operators: `:` (contains, case-insensitive, for `title` and `tag`; equals for the others),
//!   `=`, `!=`, `<`, `<=`, `>`, `>=`. Ordering operators apply to numeric fields only.
//!   `title` and `tag` compare `=`/`!=` exactly (case-sensitive), `genre` ignores case.
//! - values: bare words (letters, digits, `_`, `-`, `.`) or double-quoted strings with `\"` and `\\`.
//!   Numeric fields need a number; `imdb_id` takes digits with an optional `tt` prefix.
//! - comparisons combine with `NOT`/`!`, `AND`/`&&`, `OR`/`||` (binding in that order, tightest
//!   first) and parentheses. The keywords are case-insensitive and reserved: to search for the
//!   word "and", quote it.
//!
//! The SQL follows SQL's three-valued logic, on purpose, so that a missing value never matches:
//! a movie without a year matches neither `year=1995`, nor `year!=1995`, nor `NOT year=1995`; a
//! movie without ratings has no average and matches neither `avg_rating>=4` nor `avg_rating<4`
//! (but it has `ratings=0`). Likewise `imdb_id`/`tmdb_id` never match a movie without that link.
//!
//! User text never reaches the SQL: every value is a bound parameter.

mod lex;
mod parse;
#[cfg(test)]
mod tests;

use rusqlite::types::Value;

/// The longest expression accepted, in characters: a filter is typed by a person, and the limit
/// bounds the work and the size of the SQL that one request can cause.
pub const MAX_LENGTH: usize = 1000;

/// The deepest nesting of parentheses and `NOT` accepted: the parser recurses once per level, so
/// the limit keeps any input from exhausting the stack (and SQLite's own expression depth).
pub const MAX_DEPTH: usize = 32;

/// The field names, as error messages list them.
pub const FIELDS: &[&str] = &["title", "genre", "year", "tag", "ratings", "avg_rating", "id", "imdb_id", "tmdb_id"];

/// An expression compiled to SQL over the aliases `m` (movies) and `s` (movie_stats, LEFT JOINed on m.movie_id).
///
/// Use it as `... FROM movies m LEFT JOIN movie_stats s ON s.movie_id = m.movie_id WHERE {sql}`,
/// binding `params` in order; `sql` is parenthesised, so it can be combined with `AND`.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledFilter {
    pub sql: String,
    pub params: Vec<Value>,
}

/// Why an expression was refused, and where: `position` is a 0-based offset in characters (not
/// bytes), so that a client can point at it in what the user typed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct FilterError {
    pub position: usize,
    pub message: String,
}

impl FilterError {
    /// `{message} at {position}`, with a hint after a `;` kept after the position:
    /// `unknown field 'foo' at 0; known fields: ...`.
    fn describe(&self) -> String {
        match self.message.split_once("; ") {
            Some((problem, hint)) => format!("{problem} at {}; {hint}", self.position),
            None => format!("{} at {}", self.message, self.position),
        }
    }

    fn new(position: usize, message: impl Into<String>) -> Self {
        Self { position, message: message.into() }
    }
}

/// Compiles a filter expression to SQL and its parameters, or says what is wrong and where.
pub fn compile(expression: &str) -> Result<CompiledFilter, FilterError> {
    // Counts at most MAX_LENGTH + 1 characters, however long the input.
    if expression.chars().nth(MAX_LENGTH).is_some() {
        return Err(FilterError::new(MAX_LENGTH, format!("the expression is longer than {MAX_LENGTH} characters")));
    }
    let tokens = lex::tokenize(expression)?;
    parse::Parser::new(tokens).parse()
}
