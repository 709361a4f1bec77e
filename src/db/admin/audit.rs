//! The audit log: one entry per admin write, in the write's own transaction, newest first.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection};
use serde::Serialize;

use crate::db::DbError;
use crate::model::admin::{AuditAction, AuditEntry, AuditModel, Change};

/// Entries kept: each new one prunes those this far behind it, so the log stays bounded and a
/// write pays for at most one old row.
pub const KEEP_ENTRIES: i64 = 100_000;

/// Who made a change and what it was.
pub struct Audit<'a> {
    pub token_id: &'a str,
    pub action: AuditAction,
    pub model: AuditModel,
    pub object_id: String,
}

/// Records `change` in the log. Run it in the transaction that made the change.
pub fn record<T: Serialize>(conn: &Connection, audit: &Audit, change: &Change<T>) -> Result<(), DbError> {
    let json = |value: &Option<T>| -> Result<Option<String>, DbError> {
        value
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|err| DbError::Sqlite(rusqlite::Error::ToSqlConversionFailure(Box::new(err))))
    };
    conn.prepare_cached(
        "INSERT INTO audit_log (at, token_id, action, model, object_id, before, after)
         VALUES (unixepoch(), ?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        audit.token_id,
        audit.action.as_str(),
        audit.model.as_str(),
        audit.object_id,
        json(&change.before)?,
        json(&change.after)?
    ])?;
    let newest = conn.last_insert_rowid();
    conn.prepare_cached("DELETE FROM audit_log WHERE id <= ?1")?.execute([newest - KEEP_ENTRIES])?;
    Ok(())
}

/// Up to `limit` entries older than id `before_id` (any id when it is 0), newest first, of one
/// model or of all.
pub fn list(
    conn: &Connection,
    model: Option<AuditModel>,
    before_id: i64,
    limit: u32,
) -> Result<Vec<AuditEntry>, DbError> {
    let mut sql =
        "SELECT id, at, token_id, action, model, object_id, before, after FROM audit_log WHERE id < ?".to_string();
    let mut values = vec![Value::Integer(if before_id == 0 { i64::MAX } else { before_id })];
    if let Some(model) = model {
        sql.push_str(" AND model = ?");
        values.push(Value::Text(model.as_str().to_string()));
    }
    sql.push_str(" ORDER BY id DESC LIMIT ?");
    values.push(Value::Integer(limit.into()));
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map(params_from_iter(&values), |row| {
        let parse = |text: Option<String>| text.and_then(|text| serde_json::from_str(&text).ok());
        Ok(AuditEntry {
            id: row.get(0)?,
            at: row.get(1)?,
            token_id: row.get(2)?,
            action: row.get(3)?,
            model: row.get(4)?,
            object_id: row.get(5)?,
            before: parse(row.get(6)?),
            after: parse(row.get(7)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
