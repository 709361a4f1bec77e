//! A statement's SQL with its bound values written in, as the debug toolbar shows it.
//!
//! SQLite can do this itself (`sqlite3_expanded_sql`), but it tokenises the statement again on
//! every call, and the query lab records every statement it runs: writing the values in only when
//! a report shows them keeps recording cheap. The output follows SQLite's: integers as they are,
//! text quoted with `'` doubled, blobs as `x'…'` and `NULL`.

use std::fmt::Write;

use rusqlite::types::{ToSqlOutput, Value};
use rusqlite::ToSql;

/// The values of `params`, in order, for writing in later. A value that cannot be read is NULL.
pub fn values_of(params: &[&dyn ToSql]) -> Vec<Value> {
    params
        .iter()
        .map(|param| match param.to_sql() {
            Ok(ToSqlOutput::Borrowed(value)) => value.into(),
            Ok(ToSqlOutput::Owned(value)) => value,
            _ => Value::Null,
        })
        .collect()
}

/// `sql` with each placeholder (`?NNN`, or `?` numbered as SQLite numbers it) replaced by its
/// value; placeholders inside quotes and comments are left alone, and so is one with no value.
pub fn write_in(sql: &str, values: &[Value]) -> String {
    let mut out = String::with_capacity(sql.len() + 8 * values.len());
    let mut rest = sql;
    let mut highest: usize = 0;
    while let Some(at) = rest.find(['?', '\'', '"', '`', '[', '-', '/']) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let skipped = match rest.as_bytes()[0] {
            b'?' => {
                let digits = rest[1..].bytes().take_while(u8::is_ascii_digit).count();
                let number = if digits == 0 { highest + 1 } else { rest[1..=digits].parse().unwrap_or(0) };
                highest = highest.max(number);
                match number.checked_sub(1).and_then(|index| values.get(index)) {
                    Some(value) => write_value(&mut out, value),
                    None => out.push_str(&rest[..=digits]),
                }
                rest = &rest[1 + digits..];
                continue;
            }
            b'\'' => quoted_len(rest, '\''),
            b'"' => quoted_len(rest, '"'),
            b'`' => quoted_len(rest, '`'),
            b'[' => rest.find(']').map_or(rest.len(), |end| end + 1),
            b'-' if rest.starts_with("--") => rest.find('\n').unwrap_or(rest.len()),
            b'/' if rest.starts_with("/*") => rest[2..].find("*/").map_or(rest.len(), |end| end + 4),
            _ => 1,
        };
        out.push_str(&rest[..skipped]);
        rest = &rest[skipped..];
    }
    out.push_str(rest);
    out
}

/// The length of the quoted token at the start of `text`, a doubled quote being part of it.
fn quoted_len(text: &str, quote: char) -> usize {
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((at, c)) = chars.next() {
        if c == quote {
            if chars.peek().is_some_and(|&(_, next)| next == quote) {
                chars.next();
            } else {
                return at + 1;
            }
        }
    }
    text.len()
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("NULL"),
        Value::Integer(integer) => {
            let _ = write!(out, "{integer}");
        }
        Value::Real(real) => write_real(out, *real),
        Value::Text(text) => {
            out.push('\'');
            out.push_str(&text.replace('\'', "''"));
            out.push('\'');
        }
        Value::Blob(blob) => {
            out.push_str("x'");
            for byte in blob {
                let _ = write!(out, "{byte:02x}");
            }
            out.push('\'');
        }
    }
}

/// A real as SQLite's `%!.15g` writes it: 15 significant digits, trailing zeros dropped but one
/// digit kept after the point, and an exponent below 1e-4 or from 1e15 on.
fn write_real(out: &mut String, real: f64) {
    if !real.is_finite() {
        let _ = write!(out, "{real}");
        return;
    }
    // `d.dddddddddddddde±x`: the 15 digits, rounded, and the exponent.
    let scientific = format!("{:.14e}", real.abs());
    let (mantissa, exponent) = scientific.split_once('e').expect("`e` formatting has an exponent");
    let exponent: i32 = exponent.parse().expect("the exponent is a number");
    let digits = mantissa.replace('.', "");
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    if real.is_sign_negative() && real != 0.0 {
        out.push('-');
    }
    if !(-4..15).contains(&exponent) {
        let rest = if digits.len() > 1 { &digits[1..] } else { "0" };
        let sign = if exponent < 0 { '-' } else { '+' };
        let _ = write!(out, "{}.{rest}e{sign}{:02}", &digits[..1], exponent.abs());
    } else if exponent < 0 {
        let _ = write!(out, "0.{}{digits}", "0".repeat((-exponent - 1) as usize));
    } else {
        let whole = exponent as usize + 1;
        if digits.len() > whole {
            let _ = write!(out, "{}.{}", &digits[..whole], &digits[whole..]);
        } else {
            let _ = write!(out, "{digits}{}.0", "0".repeat(whole - digits.len()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    /// What SQLite itself writes for `sql` with `values` bound.
    fn expanded_by_sqlite(sql: &str, values: &[Value]) -> String {
        let conn = Connection::open_in_memory().unwrap();
        let mut statement = conn.prepare(sql).unwrap();
        for (index, value) in values.iter().enumerate() {
            statement.raw_bind_parameter(index + 1, value).unwrap();
        }
        statement.expanded_sql().unwrap()
    }

    #[test]
    fn values_are_written_as_sqlite_writes_them() {
        let cases: &[(&str, Vec<Value>)] = &[
            (
                "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11",
                vec![
                    Value::Integer(-7),
                    Value::Real(4.0),
                    Value::Real(3.25),
                    Value::Real(0.1 + 0.2),
                    Value::Real(-1e20),
                    Value::Real(1.5e-7),
                    Value::Real(0.0001),
                    Value::Real(123456789012345.0),
                    Value::Real(1e15),
                    Value::Text("it's".into()),
                    Value::Null,
                ],
            ),
            ("SELECT ?, ?, ?3, ?", vec![1.into(), 2.into(), 3.into(), 4.into()]),
            ("SELECT ?2, ?1, ?2", vec![1.into(), Value::Blob(vec![0, 171])]),
            ("SELECT '?' AS \"a?\", ? AS [b?], ? AS `c?` -- ?\n, /* ? */ ?", vec![1.into(), 2.into(), 3.into()]),
            ("SELECT 'it''s ?', ?", vec![5.into()]),
            ("SELECT * FROM json_each(?)", vec![Value::Text("[1,2]".into())]),
        ];
        for (sql, values) in cases {
            assert_eq!(write_in(sql, values), expanded_by_sqlite(sql, values), "{sql}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_integer_real_or_text_is_written_as_sqlite_writes_it(
            integer: i64,
            real in proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL | proptest::num::f64::ZERO,
            text in "[a-z' ?\\-]{0,12}",
        ) {
            let values = [Value::Integer(integer), Value::Real(real), Value::Text(text)];
            let sql = "SELECT ?1, ?2, ?3";
            proptest::prop_assert_eq!(write_in(sql, &values), expanded_by_sqlite(sql, &values));
        }
    }

    #[test]
    fn a_placeholder_without_a_value_is_left_as_it_is() {
        assert_eq!(write_in("SELECT ?1, ?2", &[Value::Integer(1)]), "SELECT 1, ?2");
    }
}
