//! The SQL functions every connection gets: case folding beyond ASCII, and a contains test that
//! searches without allocating when both texts are ASCII.

use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rusqlite::Connection;

/// Registers `unicode_lower(text)`, `contains_text(haystack, needle)` and `has_genre(genres, name)`.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    // SQLite's lower() folds ASCII only; title search must also match 'MISÉRABLES' to 'Misérables'.
    conn.create_scalar_function("unicode_lower", 1, flags, |context| {
        Ok(text(context, 0)?.map(|text| text.to_lowercase()))
    })?;
    // 1 if the haystack contains the needle, ignoring case; NULL for a NULL haystack.
    conn.create_scalar_function("contains_text", 2, flags, |context| {
        let (Some(haystack), Some(needle)) = (text(context, 0)?, text(context, 1)?) else { return Ok(None) };
        Ok(Some(contains_ignoring_case(&haystack, &needle)))
    })?;
    // 1 if `movies.genres` (names joined by '|') lists the genre, in any case.
    conn.create_scalar_function("has_genre", 2, flags, |context| {
        let (Some(genres), Some(name)) = (text(context, 0)?, text(context, 1)?) else { return Ok(None) };
        Ok(Some(genres.split('|').any(|genre| same_ignoring_case(genre, &name))))
    })?;
    Ok(())
}

/// A text argument, borrowed from SQLite where it is text already.
fn text<'a>(context: &'a Context, index: usize) -> rusqlite::Result<Option<std::borrow::Cow<'a, str>>> {
    match context.get_raw(index) {
        ValueRef::Text(bytes) => Ok(std::str::from_utf8(bytes).ok().map(std::borrow::Cow::Borrowed)),
        _ => Ok(context.get::<Option<String>>(index)?.map(std::borrow::Cow::Owned)),
    }
}

fn same_ignoring_case(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || (!(a.is_ascii() && b.is_ascii()) && a.to_lowercase() == b.to_lowercase())
}

/// Whether `haystack` contains `needle`, ignoring case (Unicode's lower case, as `unicode_lower`).
pub fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    if haystack.is_ascii() && needle.is_ascii() {
        let (haystack, needle) = (haystack.as_bytes(), needle.as_bytes());
        return needle.is_empty() || haystack.windows(needle.len()).any(|window| window.eq_ignore_ascii_case(needle));
    }
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::contains_ignoring_case;

    #[test]
    fn contains_ignores_case_in_ascii_and_beyond() {
        assert!(contains_ignoring_case("Star Wars: Episode IV", "episode"));
        assert!(contains_ignoring_case("Les Misérables (1995)", "MISÉRABLES"));
        assert!(contains_ignoring_case("anything", ""));
        assert!(!contains_ignoring_case("Fargo", "fargo (1996)"));
        assert!(!contains_ignoring_case("", "x"));
    }
}
