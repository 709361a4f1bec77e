//! What the inspector keeps of a request, and the masking that keeps secrets out of it:
//! `Authorization`, cookies and the configured sensitive keys (in the query string, form and
//! JSON bodies, and header names) never reach the inspector's file.

use std::sync::Arc;
use std::time::Duration;

use crate::db::statements::{Recording, StatementGroup};

/// What replaces a masked value.
pub const MASK: &str = "********";

/// Statements kept with their SQL per request; the count and time cover all of them.
pub const MAX_STORED_STATEMENTS: usize = 200;

/// Bytes kept of a path or query string, of each header value, and headers kept per request: a
/// client that sends a 64 KB URL or a hundred large headers must not grow the file by as much
/// on every request.
pub const MAX_URL_BYTES: usize = 2048;
pub const MAX_HEADER_BYTES: usize = 512;
pub const MAX_HEADERS: usize = 64;

/// One request as the inspector stores it.
#[derive(Debug, Clone, Default)]
pub struct RequestRecord {
    pub request_id: String,
    pub method: String,
    pub path: String,
    /// The query string, masked.
    pub query: String,
    /// The documented path template (`/api/movies/{id}`), or the path for anything else.
    pub route: String,
    pub status: u16,
    /// When the request arrived, in milliseconds since the Unix epoch.
    pub started_at_ms: i64,
    pub duration: Duration,
    /// The body's size, when it was all there as the response left the app.
    pub response_bytes: Option<u64>,
    pub query_count: u64,
    pub query_time: Duration,
    /// The first [`MAX_STORED_STATEMENTS`] statements, as prepared (no values).
    pub statements: Vec<StoredStatement>,
    pub similar: Vec<StatementGroup>,
    pub duplicates: Vec<StatementGroup>,
    pub cache_hits: u64,
    pub cache_misses: u64,
    pub cache_time: Duration,
    /// Request headers, masked, as `(name, value)`.
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<String>,
    pub response_body: Option<String>,
}

/// One statement of a request.
#[derive(Debug, Clone)]
pub struct StoredStatement {
    pub sql: Arc<str>,
    pub elapsed: Duration,
    pub rows_changed: Option<u64>,
}

/// The statements part of a record, from the request's recording. Duplicate groups are named by
/// their SQL as prepared: the values written in could be anything a client sent.
pub fn statements_of(recording: &Recording) -> (Vec<StoredStatement>, Vec<StatementGroup>, Vec<StatementGroup>) {
    let statements = recording
        .statements()
        .iter()
        .take(MAX_STORED_STATEMENTS)
        .map(|statement| StoredStatement {
            sql: statement.sql.clone(),
            elapsed: statement.elapsed,
            rows_changed: statement.rows_changed,
        })
        .collect();
    let duplicates =
        recording.duplicates().into_iter().map(|group| StatementGroup { sql: prepared(&group.sql), ..group });
    (statements, recording.similar(), duplicates.collect())
}

/// A duplicate group's SQL without its values: the recorder labels the group with its values
/// written in, and those could be anything a client sent, so quoted strings and numbers become `?`.
fn prepared(bound: &str) -> String {
    let mut out = String::with_capacity(bound.len());
    let mut chars = bound.chars().peekable();
    let mut previous_is_word = false;
    while let Some(c) = chars.next() {
        if c == '\'' {
            while let Some(next) = chars.next() {
                if next == '\'' && chars.peek() != Some(&'\'') {
                    break;
                }
                if next == '\'' {
                    chars.next();
                }
            }
            out.push('?');
            previous_is_word = false;
        } else if c.is_ascii_digit() && !previous_is_word {
            while chars.peek().is_some_and(|next| next.is_ascii_digit() || *next == '.') {
                chars.next();
            }
            out.push('?');
        } else {
            previous_is_word = c.is_alphanumeric() || c == '_';
            out.push(c);
        }
    }
    out
}

/// What counts as sensitive: `Authorization`, cookies, and the configured keys.
#[derive(Debug, Clone)]
pub struct Masking {
    keys: Vec<String>,
}

impl Masking {
    pub fn new(keys: &[String]) -> Self {
        let keys = keys.iter().map(|key| normalise(key)).filter(|key| !key.is_empty()).collect();
        Self { keys }
    }

    /// Whether a key or header name is sensitive: it contains one of the keys (`access_token`
    /// contains `token`; `X-Api-Key` is `x_api_key`), or it is a credential header.
    pub fn is_sensitive(&self, name: &str) -> bool {
        let name = normalise(name);
        ["authorization", "proxy_authorization", "cookie", "set_cookie"].contains(&name.as_str())
            || self.keys.iter().any(|key| name.contains(key.as_str()))
    }

    /// A query string with the values of sensitive keys masked, cut at [`MAX_URL_BYTES`].
    pub fn query(&self, query: &str) -> String {
        cut(self.form(query), MAX_URL_BYTES)
    }

    /// The headers worth keeping, masked and cut.
    pub fn headers(&self, headers: &poem::http::HeaderMap) -> Vec<(String, String)> {
        headers
            .iter()
            .take(MAX_HEADERS)
            .map(|(name, value)| (name.to_string(), self.header(name.as_str(), value.as_bytes())))
            .collect()
    }

    /// A form body (or query string) with the values of sensitive keys masked.
    fn form(&self, query: &str) -> String {
        if query.is_empty() {
            return String::new();
        }
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let value = if self.is_sensitive(&key) { MASK.into() } else { value };
            out.append_pair(&key, &value);
        }
        out.finish()
    }

    /// A header's value, cut at [`MAX_HEADER_BYTES`], or the mask.
    pub fn header(&self, name: &str, value: &[u8]) -> String {
        match self.is_sensitive(name) {
            true => MASK.to_string(),
            false => cut(String::from_utf8_lossy(value).into_owned(), MAX_HEADER_BYTES),
        }
    }

    /// A body as text, masked by its kind, cut at `limit` bytes.
    pub fn body(&self, content_type: &str, body: &[u8], limit: usize) -> String {
        let masked = if content_type.starts_with("application/json") {
            match serde_json::from_slice::<serde_json::Value>(body) {
                Ok(mut value) => {
                    self.json(&mut value);
                    value.to_string()
                }
                Err(_) => String::from_utf8_lossy(body).into_owned(),
            }
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            self.form(&String::from_utf8_lossy(body))
        } else {
            String::from_utf8_lossy(body).into_owned()
        };
        cut(masked, limit)
    }

    fn json(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map.iter_mut() {
                    if self.is_sensitive(key) {
                        *value = serde_json::Value::String(MASK.to_string());
                    } else {
                        self.json(value);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|item| self.json(item)),
            _ => {}
        }
    }
}

fn normalise(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace('-', "_")
}

/// `text` cut to at most `limit` bytes, on a character boundary.
pub fn cut(mut text: String, limit: usize) -> String {
    if text.len() > limit {
        let mut end = limit;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masking() -> Masking {
        Masking::new(&["password".into(), "token".into(), "api_key".into()])
    }

    #[test]
    fn sensitive_query_keys_form_fields_and_json_keys_are_masked() {
        let masking = masking();
        assert_eq!(
            masking.query("page=2&access_token=abc&Password=x"),
            "page=2&access_token=********&Password=********"
        );
        let json = masking.body("application/json", br#"{"a":1,"nested":[{"token":"s3cret"}]}"#, 1000);
        assert!(!json.contains("s3cret") && json.contains(MASK), "{json}");
        assert_eq!(
            masking.body("application/x-www-form-urlencoded", b"token=abc&next=%2F", 1000),
            "token=********&next=%2F"
        );
        assert_eq!(masking.header("X-Api-Key", b"k"), MASK);
        assert_eq!(masking.header("authorization", b"Bearer k"), MASK);
        assert_eq!(masking.header("accept", b"*/*"), "*/*");
    }

    #[test]
    fn bodies_are_cut_on_a_character_boundary() {
        assert_eq!(masking().body("text/plain", "aé".as_bytes(), 2), "a");
    }

    #[test]
    fn huge_query_strings_and_headers_are_cut() {
        let masking = masking();
        assert_eq!(masking.query(&"q=".repeat(10_000)).len(), MAX_URL_BYTES);
        let mut headers = poem::http::HeaderMap::new();
        for n in 0..100 {
            let name = poem::http::HeaderName::try_from(format!("x-h{n}")).unwrap();
            headers.insert(name, "v".repeat(8000).parse().unwrap());
        }
        let kept = masking.headers(&headers);
        assert_eq!(kept.len(), MAX_HEADERS);
        assert!(kept.iter().all(|(_, value)| value.len() == MAX_HEADER_BYTES));
    }

    #[test]
    fn duplicate_groups_lose_their_values() {
        assert_eq!(
            prepared("SELECT * FROM t WHERE a = 'it''s' AND b = 12 AND c1 = 3.5"),
            "SELECT * FROM t WHERE a = ? AND b = ? AND c1 = ?"
        );
    }
}
