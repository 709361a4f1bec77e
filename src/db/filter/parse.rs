//! A recursive-descent parser that writes the SQL as it goes.
//!
//! ```text
//! or         = and { OR and }
//! and        = unary { AND unary }
//! unary      = NOT unary | '(' or ')' | comparison
//! comparison = field operator value
//! ```
//!
//! Only `NOT` and `(` recurse without consuming a comparison first, and both count towards
//! [`MAX_DEPTH`], so the recursion is bounded whatever the input.

use rusqlite::types::Value;

use super::lex::{Kind, Op, Token};
use super::{CompiledFilter, FilterError, FIELDS, MAX_DEPTH};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Title,
    Genre,
    Year,
    Tag,
    Ratings,
    AvgRating,
    Id,
    ImdbId,
    TmdbId,
}

impl Field {
    fn parse(name: &str) -> Option<Field> {
        Some(match name.to_ascii_lowercase().as_str() {
            "title" => Field::Title,
            "genre" => Field::Genre,
            "year" => Field::Year,
            "tag" => Field::Tag,
            "ratings" => Field::Ratings,
            "avg_rating" => Field::AvgRating,
            "id" => Field::Id,
            "imdb_id" => Field::ImdbId,
            "tmdb_id" => Field::TmdbId,
            _ => return None,
        })
    }

    /// The field's name as [`FIELDS`] spells it.
    fn name(self) -> &'static str {
        FIELDS[self as usize]
    }

    fn is_text(self) -> bool {
        matches!(self, Field::Title | Field::Genre | Field::Tag)
    }
}

/// What testing a condition costs a row, cheapest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cost {
    /// Compares columns of the movie and its stats.
    Column,
    /// Calls a function of ours (`contains_text`, `has_genre`).
    Function,
    /// Runs a correlated subquery over tags or links.
    Subquery,
}

/// A condition's SQL, fully parenthesised, and its cost.
struct Piece {
    sql: String,
    cost: Cost,
}

const TAG_CONTAINS: &str = "SELECT 1 FROM tags t WHERE t.movie_id = m.movie_id AND contains_text(t.tag, ?)";
const TAG_EQUALS: &str = "SELECT 1 FROM tags t WHERE t.movie_id = m.movie_id AND t.tag = ?";
const LINK: &str = "SELECT 1 FROM links l WHERE l.movie_id = m.movie_id AND";

pub(super) struct Parser {
    tokens: Vec<Token>,
    next: usize,
    params: Vec<Value>,
}

impl Parser {
    pub(super) fn new(tokens: Vec<Token>) -> Self {
        Self { tokens, next: 0, params: Vec::new() }
    }

    pub(super) fn parse(mut self) -> Result<CompiledFilter, FilterError> {
        let sql = self.or(0)?.sql;
        let token = self.peek();
        let message = match &token.kind {
            Kind::End => return Ok(CompiledFilter { sql, params: self.params }),
            Kind::Close => "unmatched ')'".to_string(),
            Kind::Word(_) | Kind::Quoted(_) => {
                format!("expected AND or OR before {} (quote a value that has spaces)", token.describe())
            }
            _ => format!("expected AND or OR before {}", token.describe()),
        };
        Err(FilterError::new(token.start, message))
    }

    fn peek(&self) -> &Token {
        &self.tokens[self.next]
    }

    /// Takes the next token; the end token is never passed.
    fn advance(&mut self) -> Token {
        let token = self.tokens[self.next].clone();
        if token.kind != Kind::End {
            self.next += 1;
        }
        token
    }

    fn or(&mut self, depth: usize) -> Result<Piece, FilterError> {
        self.combined(depth, &Kind::Or, " OR ", Self::and)
    }

    fn and(&mut self, depth: usize) -> Result<Piece, FilterError> {
        self.combined(depth, &Kind::And, " AND ", Self::unary)
    }

    /// `operand { separator operand }`, cheapest operands first. SQLite tests the terms of an AND
    /// or an OR in the order written and stops at the first that decides the row; both give the
    /// same answer in any order, so a failed column comparison saves a function call or a
    /// subquery. Each operand's parameters move with it.
    fn combined(
        &mut self,
        depth: usize,
        separator: &Kind,
        operator: &str,
        operand: fn(&mut Self, usize) -> Result<Piece, FilterError>,
    ) -> Result<Piece, FilterError> {
        let mut parts = Vec::new();
        loop {
            let first_param = self.params.len();
            let piece = operand(self, depth)?;
            parts.push((piece, self.params.split_off(first_param)));
            if self.peek().kind != *separator {
                break;
            }
            self.advance();
        }
        if parts.len() == 1 {
            let (piece, params) = parts.pop().expect("one part");
            self.params.extend(params);
            return Ok(piece);
        }
        parts.sort_by_key(|(piece, _)| piece.cost);
        let cost = parts.iter().map(|(piece, _)| piece.cost).max().unwrap_or(Cost::Column);
        let mut sqls = Vec::with_capacity(parts.len());
        for (piece, params) in parts {
            sqls.push(piece.sql);
            self.params.extend(params);
        }
        Ok(Piece { sql: format!("({})", sqls.join(operator)), cost })
    }

    fn unary(&mut self, depth: usize) -> Result<Piece, FilterError> {
        let token = self.peek().clone();
        match token.kind {
            Kind::Not => {
                self.advance();
                let operand = self.unary(nested(depth, &token)?)?;
                Ok(Piece { sql: format!("(NOT {})", operand.sql), ..operand })
            }
            Kind::Open => {
                self.advance();
                let inner = self.or(nested(depth, &token)?)?;
                let close = self.advance();
                if close.kind != Kind::Close {
                    let message = format!("expected AND, OR or ')' before {}", close.describe());
                    return Err(FilterError::new(close.start, message));
                }
                // Every piece is parenthesised already.
                Ok(inner)
            }
            Kind::Word(name) => {
                self.advance();
                self.comparison(&name, token.start)
            }
            Kind::End => Err(FilterError::new(token.start, "expected an expression")),
            _ => Err(FilterError::new(token.start, format!("expected an expression before {}", token.describe()))),
        }
    }

    fn comparison(&mut self, name: &str, position: usize) -> Result<Piece, FilterError> {
        let field = Field::parse(name).ok_or_else(|| {
            FilterError::new(position, format!("unknown field '{name}'; known fields: {}", FIELDS.join(", ")))
        })?;
        let token = self.advance();
        let Kind::Op(op) = token.kind else {
            let message = format!("expected an operator (:, =, !=, <, <=, >, >=) after '{name}'");
            return Err(FilterError::new(token.start, message));
        };
        if field.is_text() && !matches!(op, Op::Match | Op::Eq | Op::Ne) {
            let message = format!("operator '{}' does not apply to text field '{}'", op.symbol(), field.name());
            return Err(FilterError::new(token.start, message));
        }
        let value = self.advance();
        let (Kind::Word(text) | Kind::Quoted(text)) = value.kind else {
            let keyword = matches!(value.kind, Kind::And | Kind::Or | Kind::Not);
            let hint = if keyword && field.is_text() { " (quote a keyword to search for it)" } else { "" };
            return Err(FilterError::new(value.start, format!("expected a value after '{}'{hint}", op.symbol())));
        };
        let param = if field.is_text() { Value::Text(text) } else { number(field, &text, value.start)? };
        let sql = comparison_sql(field, op, &param);
        self.params.push(param);
        let cost = match (field, op) {
            (Field::Tag | Field::ImdbId | Field::TmdbId, _) => Cost::Subquery,
            (Field::Title, Op::Match) | (Field::Genre, _) => Cost::Function,
            (Field::Title | Field::Year | Field::Ratings | Field::AvgRating | Field::Id, _) => Cost::Column,
        };
        Ok(Piece { sql, cost })
    }
}

/// The depth inside one more `(` or `NOT`, or an error at that token past [`MAX_DEPTH`].
fn nested(depth: usize, token: &Token) -> Result<usize, FilterError> {
    if depth >= MAX_DEPTH {
        let message = format!("the expression nests parentheses and NOT deeper than {MAX_DEPTH} levels");
        return Err(FilterError::new(token.start, message));
    }
    Ok(depth + 1)
}

/// The SQL of one comparison, with one `?` for its value.
fn comparison_sql(field: Field, op: Op, value: &Value) -> String {
    let compare = match op {
        Op::Match | Op::Eq => "=",
        Op::Ne => "<>",
        other => other.symbol(),
    };
    match (field, op) {
        (Field::Title, Op::Match) => "(contains_text(m.title, ?))".to_string(),
        (Field::Title, _) => format!("(m.title {compare} ?)"),
        // A movie's genres are also kept, `|`-joined, in `movies.genres` (migration 0002's
        // triggers): a genre test reads the row itself, with no subquery per movie.
        (Field::Genre, Op::Ne) => "(NOT has_genre(m.genres, ?))".to_string(),
        (Field::Genre, _) => "(has_genre(m.genres, ?))".to_string(),
        (Field::Tag, Op::Match) => format!("(EXISTS ({TAG_CONTAINS}))"),
        (Field::Tag, Op::Ne) => format!("(NOT EXISTS ({TAG_EQUALS}))"),
        (Field::Tag, _) => format!("(EXISTS ({TAG_EQUALS}))"),
        (Field::Year, _) => format!("(m.year {compare} ?)"),
        (Field::Id, _) => format!("(m.movie_id {compare} ?)"),
        // A movie without ratings has no movie_stats row: its count is 0. A comparison that 0
        // fails can skip the coalesce, which lets SQLite walk the movie_stats_rating_count_sum index.
        (Field::Ratings, _) if !holds_for_zero(op, value) => format!("(s.rating_count {compare} ?)"),
        (Field::Ratings, _) => format!("(coalesce(s.rating_count, 0) {compare} ?)"),
        // NULL without ratings (no movie_stats row, or a count back at 0: division by zero is NULL).
        (Field::AvgRating, _) => format!("(s.rating_sum / s.rating_count {compare} ?)"),
        (Field::ImdbId, _) => format!("(EXISTS ({LINK} CAST(l.imdb_id AS INTEGER) {compare} ?))"),
        (Field::TmdbId, _) => format!("(EXISTS ({LINK} l.tmdb_id {compare} ?))"),
    }
}

/// Whether `0 op value` holds: for the rating count, whose absence means 0.
fn holds_for_zero(op: Op, value: &Value) -> bool {
    let Value::Integer(value) = *value else { return true };
    match op {
        Op::Match | Op::Eq => 0 == value,
        Op::Ne => 0 != value,
        Op::Lt => 0 < value,
        Op::Le => 0 <= value,
        Op::Gt => 0 > value,
        Op::Ge => 0 >= value,
    }
}

/// The value of a numeric field: an integer, a finite float for `avg_rating`, and for `imdb_id`
/// digits with an optional `tt` prefix (as in the IMDb's addresses).
fn number(field: Field, text: &str, position: usize) -> Result<Value, FilterError> {
    let name = field.name();
    let error = |message: String| FilterError::new(position, message);
    match field {
        Field::AvgRating => text
            .parse::<f64>()
            .ok()
            .filter(|value| value.is_finite())
            .map(Value::Real)
            .ok_or_else(|| error(format!("expected a number for '{name}'"))),
        Field::ImdbId => {
            let digits = match text.get(..2) {
                Some(prefix) if prefix.eq_ignore_ascii_case("tt") => &text[2..],
                _ => text,
            };
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(error(format!("expected an IMDb id for '{name}': digits, optionally after 'tt'")));
            }
            digits.parse().map(Value::Integer).map_err(|_| error(format!("number out of range for '{name}'")))
        }
        _ => text.parse().map(Value::Integer).map_err(|err: std::num::ParseIntError| {
            use std::num::IntErrorKind::{NegOverflow, PosOverflow};
            error(match err.kind() {
                PosOverflow | NegOverflow => format!("number out of range for '{name}'"),
                _ if text.parse::<f64>().is_ok_and(f64::is_finite) => format!("expected a whole number for '{name}'"),
                _ => format!("expected a number for '{name}'"),
            })
        }),
    }
}
