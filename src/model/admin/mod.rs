//! The admin writes: what each model's create and update take ([`inputs`]), the one set of rules
//! they are checked against, reporting every field's problem at once ([`rules`]), what a write
//! answers, and the audit log's entries.

pub mod inputs;
pub mod rules;

use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};

pub use inputs::*;

/// One field's problem in a body that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize, Deserialize)]
pub struct FieldError {
    /// The field, as named in the body (`genres[2]` for an item of a list; `body` for the whole).
    pub field: String,
    /// What is wrong with it, for people.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// A movie as the admin writes answer it.
#[derive(Debug, Clone, PartialEq, Object, Serialize)]
#[oai(rename = "AdminMovie")]
pub struct Movie {
    /// MovieLens `movieId`.
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub id: i64,
    /// The title, year included as MovieLens writes it: `Heat (1995)`.
    pub title: String,
    /// The year read from the end of the title; absent without one.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(validator(minimum(value = "0"), maximum(value = "9999")))]
    pub year: Option<i64>,
    /// Genre names, alphabetical.
    pub genres: Vec<String>,
}

/// A genre as the admin writes answer it.
#[derive(Debug, Clone, PartialEq, Object, Serialize)]
#[oai(rename = "AdminGenre")]
pub struct Genre {
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub id: i64,
    pub name: String,
    /// Movies with this genre.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub movie_count: i64,
}

/// A write's effect: the record before it (absent for a create) and after it (absent for a
/// delete), which the audit log keeps.
#[derive(Debug, Clone)]
pub struct Change<T> {
    pub before: Option<T>,
    pub after: Option<T>,
}

impl<T> Change<T> {
    pub fn created(after: T) -> Self {
        Self { before: None, after: Some(after) }
    }
}

/// What an audit log entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum AuditAction {
    Create,
    Update,
    Delete,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Create => "create",
            AuditAction::Update => "update",
            AuditAction::Delete => "delete",
        }
    }
}

/// The models the admin writes change, as the audit log names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum AuditModel {
    Movie,
    Genre,
    Rating,
    Tag,
    Link,
}

impl AuditModel {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditModel::Movie => "movie",
            AuditModel::Genre => "genre",
            AuditModel::Rating => "rating",
            AuditModel::Tag => "tag",
            AuditModel::Link => "link",
        }
    }
}

/// One entry of the audit log: who changed what, when, and the values before and after.
#[derive(Debug, Clone, Object, Serialize)]
pub struct AuditEntry {
    #[oai(validator(minimum(value = "1"), maximum(value = "9007199254740991")))]
    pub id: i64,
    /// When, in seconds since the Unix epoch, UTC.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub at: i64,
    /// Which admin token made the change: `admin-` and the start of the token's SHA-256.
    pub token_id: String,
    /// `create`, `update` or `delete`.
    pub action: String,
    /// `movie`, `genre`, `rating`, `tag` or `link`.
    pub model: String,
    /// The changed record's id (the movie id for links).
    pub object_id: String,
    /// The record before the change; absent for a create.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<serde_json::Value>,
    /// The record after the change; absent for a delete.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<serde_json::Value>,
}
