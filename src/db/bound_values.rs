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
    let (digits, exponent) = fifteen_digits(real.abs());
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

/// A real's first 15 significant digits and its decimal exponent, rounded as SQLite rounds them.
/// SQLite turns the real into about 18 significant digits and rounds half away from zero on the
/// 16th. Rust's own `{:.14e}` rounds an exact tie to even: 337683751213654.5 to ...654, where
/// SQLite writes ...655.
fn fifteen_digits(real: f64) -> (String, i32) {
    let scientific = format!("{real:.17e}");
    let (mantissa, exponent) = scientific.split_once('e').expect("`e` formatting has an exponent");
    let mut exponent: i32 = exponent.parse().expect("the exponent is a number");
    let all = mantissa.replace('.', "");
    let mut digits: Vec<u8> = all.as_bytes()[..15].to_vec();
    if all.as_bytes()[15] >= b'5' {
        let carried_out = digits.iter_mut().rev().all(|digit| {
            let carry = *digit == b'9';
            *digit = if carry { b'0' } else { *digit + 1 };
            carry
        });
        if carried_out {
            digits.insert(0, b'1');
            digits.pop();
            exponent += 1;
        }
    }
    (String::from_utf8(digits).expect("ASCII digits"), exponent)
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
                "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14",
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
                    Value::Real(337683751213654.5),
                    Value::Real(999999999999999.5),
                    Value::Real(-0.000123456789012345),
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
            let (ours, sqlites) = (write_in(sql, &values), expanded_by_sqlite(sql, &values));
            if ours != sqlites {
                // SQLite's decimal conversion is not exact: a real within a unit or two of the
                // halfway point between two 15-digit texts can round either way.
                let (our_parts, their_parts): (Vec<&str>, Vec<&str>) =
                    (ours.split(", ").collect(), sqlites.split(", ").collect());
                let real_of = |parts: &[&str]| parts[1].parse::<f64>().unwrap_or(f64::NAN);
                let halfway = real_of(&our_parts) / 2.0 + real_of(&their_parts) / 2.0;
                proptest::prop_assert!(
                    (our_parts[0], our_parts[2]) == (their_parts[0], their_parts[2])
                        && (real - halfway).abs() <= 4.0 * f64::EPSILON * real.abs(),
                    "{ours} against SQLite's {sqlites}"
                );
            }
        }
    }

    #[test]
    fn a_placeholder_without_a_value_is_left_as_it_is() {
        assert_eq!(write_in("SELECT ?1, ?2", &[Value::Integer(1)]), "SELECT 1, ?2");
    }
}
