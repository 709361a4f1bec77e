//! Splits an expression into tokens, each with its position in characters.

use super::FilterError;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    /// `:`, contains for `title` and `tag`, equals for the other fields.
    Match,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    /// The operator as the user writes it.
    pub(super) fn symbol(self) -> &'static str {
        match self {
            Op::Match => ":",
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    /// A bare word: a field name or a value.
    Word(String),
    /// A double-quoted string, unescaped: always a value.
    Quoted(String),
    Op(Op),
    And,
    Or,
    Not,
    Open,
    Close,
    /// After the last token; every token list ends with one.
    End,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub(super) kind: Kind,
    /// Offset of the first character.
    pub(super) start: usize,
    /// The token as written, for error messages.
    pub(super) source: String,
}

impl Token {
    /// The token as an error message names it.
    pub(super) fn describe(&self) -> String {
        match self.kind {
            Kind::End => "the end of the expression".to_string(),
            Kind::Quoted(_) => "a quoted value".to_string(),
            _ => format!("'{}'", self.source),
        }
    }
}

/// Characters of a bare word. Any other non-ASCII letter is one too, so that `title:Amélie` or
/// `title:東京` need no quotes.
fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') || (!c.is_ascii() && c.is_alphabetic())
}

/// Splits `input` into tokens that end with [`Kind::End`], or fails at the first character that
/// cannot start one, or at a bad quoted string.
pub(super) fn tokenize(input: &str) -> Result<Vec<Token>, FilterError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    // Where the end token sits: right after the last token, so that whitespace alone is "at 0".
    let mut end = 0;
    while i < chars.len() {
        let (c, next) = (chars[i], chars.get(i + 1).copied());
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let (kind, len) = match (c, next) {
            ('(', _) => (Kind::Open, 1),
            (')', _) => (Kind::Close, 1),
            (':', _) => (Kind::Op(Op::Match), 1),
            ('=', _) => (Kind::Op(Op::Eq), 1),
            ('!', Some('=')) => (Kind::Op(Op::Ne), 2),
            ('!', _) => (Kind::Not, 1),
            ('<', Some('=')) => (Kind::Op(Op::Le), 2),
            ('<', _) => (Kind::Op(Op::Lt), 1),
            ('>', Some('=')) => (Kind::Op(Op::Ge), 2),
            ('>', _) => (Kind::Op(Op::Gt), 1),
            ('&', Some('&')) => (Kind::And, 2),
            ('|', Some('|')) => (Kind::Or, 2),
            ('&', _) => return Err(FilterError::new(i, "unexpected character '&'; write AND or &&")),
            ('|', _) => return Err(FilterError::new(i, "unexpected character '|'; write OR or ||")),
            ('\'', _) => return Err(FilterError::new(i, r#"unexpected character "'"; quote values with "...""#)),
            ('"', _) => quoted(&chars, i)?,
            (c, _) if is_word_char(c) => {
                let len = chars[i..].iter().take_while(|&&c| is_word_char(c)).count();
                let word: String = chars[i..i + len].iter().collect();
                let kind = match word.to_ascii_uppercase().as_str() {
                    "AND" => Kind::And,
                    "OR" => Kind::Or,
                    "NOT" => Kind::Not,
                    _ => Kind::Word(word),
                };
                (kind, len)
            }
            // Debug formatting quotes the character and escapes control characters.
            (c, _) => return Err(FilterError::new(i, format!("unexpected character {c:?}"))),
        };
        let source = chars[i..i + len].iter().collect();
        tokens.push(Token { kind, start: i, source });
        i += len;
        end = i;
    }
    tokens.push(Token { kind: Kind::End, start: end, source: String::new() });
    Ok(tokens)
}

/// Reads the quoted string that opens at `open`; returns it unescaped, with its length in the input.
fn quoted(chars: &[char], open: usize) -> Result<(Kind, usize), FilterError> {
    let unterminated = || FilterError::new(open, "unterminated quoted value: a '\"' is missing");
    let mut text = String::new();
    let mut i = open + 1;
    loop {
        match chars.get(i) {
            None => return Err(unterminated()),
            Some('"') => return Ok((Kind::Quoted(text), i + 1 - open)),
            Some('\\') => match chars.get(i + 1) {
                Some(&escaped @ ('"' | '\\')) => {
                    text.push(escaped);
                    i += 2;
                }
                None => return Err(unterminated()),
                Some(other) => {
                    let other = other.escape_debug();
                    let message = format!(r#"unknown escape '\{other}': only \" and \\ are allowed"#);
                    return Err(FilterError::new(i, message));
                }
            },
            Some(&c) => {
                text.push(c);
                i += 1;
            }
        }
    }
}
