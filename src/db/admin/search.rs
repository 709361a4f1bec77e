//! The admin's substring search (Django's `icontains`) over movie titles and tag texts.
//!
//! Text of three characters or more is looked up in the trigram indexes of
//! `migrations/0013_search_indexes.sql`, which find it at once among millions of rows. Shorter
//! text has no trigram to look up: it is matched by `LIKE` over the movie titles (tens of
//! thousands) and over the distinct tag texts (`tag_names`), never over every tag.
//! Both ignore case (the trigram index folds Unicode case, `LIKE` only ASCII's).

use rusqlite::Transaction;

/// The trigram indexes and the tables they index.
const INDEXES: &[&str] = &["movie_titles", "tag_texts"];

/// A search's text, ready for both ways of matching it.
#[derive(Debug, Clone)]
pub struct TextSearch {
    /// The text as one FTS5 phrase (`"…"`), every character literal.
    pub phrase: String,
    /// The text as a `LIKE` pattern, `%text%`, with LIKE's wildcards taken literally.
    pub like: String,
    /// Whether the trigram indexes can look the text up.
    pub indexed: bool,
}

impl TextSearch {
    /// The search for `text`, or none for blank text.
    pub fn new(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        Some(Self {
            phrase: format!("\"{}\"", text.replace('"', "\"\"")),
            like: format!("%{escaped}%"),
            indexed: text.chars().count() >= 3,
        })
    }

    /// A subquery of the ids of the movies whose title holds the text.
    pub fn titles(&self) -> &'static str {
        match self.indexed {
            true => "SELECT rowid FROM movie_titles WHERE movie_titles MATCH :phrase",
            false => "SELECT movie_id FROM movies WHERE title LIKE :like ESCAPE '\\'",
        }
    }

    /// A subquery of the ids of the tags whose text holds the text.
    pub fn tags(&self) -> &'static str {
        match self.indexed {
            true => "SELECT rowid FROM tag_texts WHERE tag_texts MATCH :phrase",
            false => "SELECT id FROM tags WHERE tag IN (SELECT tag FROM tag_names WHERE tag LIKE :like ESCAPE '\\')",
        }
    }
}

/// Rebuilds the trigram indexes and `tag_names` from their tables, for a bulk load that dropped
/// their triggers.
pub fn rebuild_indexes(tx: &Transaction) -> rusqlite::Result<()> {
    for index in INDEXES {
        tx.execute(&format!("INSERT INTO {index} ({index}) VALUES ('rebuild')"), [])?;
    }
    tx.execute_batch(
        "DELETE FROM tag_names; INSERT INTO tag_names (tag, uses) SELECT tag, count(*) FROM tags GROUP BY tag;",
    )
}

#[cfg(test)]
mod tests {
    use super::TextSearch;

    #[test]
    fn quotes_and_wildcards_are_taken_literally_and_short_text_is_not_indexed() {
        let search = TextSearch::new(r#"  say "hi" 100%_\ "#).unwrap();
        assert_eq!(search.phrase, r#""say ""hi"" 100%_\""#);
        assert_eq!(search.like, r#"%say "hi" 100\%\_\\%"#);
        assert!(search.indexed);
        assert!(!TextSearch::new("zé").unwrap().indexed);
        assert!(TextSearch::new("   ").is_none());
    }
}
