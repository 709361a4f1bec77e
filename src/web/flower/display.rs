//! How task data reads on the pages: JSON compact or pretty, long text cut short, run times.

use serde_json::Value;

/// Longest args or result shown in a table cell, in characters.
pub const CELL_CHARS: usize = 80;

/// `text`, cut to `max` characters with an ellipsis when longer (never inside a character).
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// JSON on one line, cut to fit a table cell.
pub fn cell_json(value: &Value) -> String {
    shorten(&value.to_string(), CELL_CHARS)
}

/// JSON indented for reading.
pub fn pretty_json(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// A run time: `850 ms`, `3.21 s`, `4 min 05 s`.
pub fn run_time(ms: f64) -> String {
    match ms {
        ms if ms < 1_000.0 => format!("{ms:.0} ms"),
        ms if ms < 60_000.0 => format!("{:.2} s", ms / 1_000.0),
        ms => {
            let secs = (ms / 1_000.0).round() as i64;
            format!("{} min {:02} s", secs / 60, secs % 60)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_at_a_character_boundary() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("abcd", 3), "abc…");
        assert_eq!(shorten("ééééé", 2), "éé…");
    }

    #[test]
    fn run_times_read_in_the_unit_that_fits() {
        assert_eq!(run_time(850.0), "850 ms");
        assert_eq!(run_time(3_210.0), "3.21 s");
        assert_eq!(run_time(245_000.0), "4 min 05 s");
    }
}
