//! The `schedules` table: periodic tasks, and the atomic claim of a due slot.

use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

/// A stored schedule. Times are milliseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleRow {
    pub id: i64,
    pub name: String,
    pub task: String,
    /// JSON object.
    pub args: String,
    /// JSON: `{"interval": ..}`, `{"crontab": ..}` or `{"clocked": ..}`.
    pub timing: String,
    pub enabled: bool,
    pub one_off: bool,
    pub start_time: Option<i64>,
    pub expires: Option<i64>,
    pub last_run_at: Option<i64>,
    pub total_run_count: i64,
    pub description: String,
    pub next_run_at: Option<i64>,
    pub defined_in_code: bool,
}

const COLUMNS: &str = "id, name, task, args, timing, enabled, one_off, start_time, expires, last_run_at,
     total_run_count, description, next_run_at, defined_in_code";

fn from_row(row: &Row) -> rusqlite::Result<ScheduleRow> {
    Ok(ScheduleRow {
        id: row.get(0)?,
        name: row.get(1)?,
        task: row.get(2)?,
        args: row.get(3)?,
        timing: row.get(4)?,
        enabled: row.get(5)?,
        one_off: row.get(6)?,
        start_time: row.get(7)?,
        expires: row.get(8)?,
        last_run_at: row.get(9)?,
        total_run_count: row.get(10)?,
        description: row.get(11)?,
        next_run_at: row.get(12)?,
        defined_in_code: row.get(13)?,
    })
}

pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<ScheduleRow>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM schedules WHERE id = ?1"))?.query_row([id], from_row).optional()
}

pub fn get_by_name(conn: &Connection, name: &str) -> rusqlite::Result<Option<ScheduleRow>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM schedules WHERE name = ?1"))?
        .query_row([name], from_row)
        .optional()
}

/// Every schedule, by name.
pub fn list(conn: &Connection) -> rusqlite::Result<Vec<ScheduleRow>> {
    let mut statement = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM schedules ORDER BY name"))?;
    let rows = statement.query_map([], from_row)?;
    rows.collect()
}

/// Adds `row` (its id is ignored); returns the new id. A taken name is a constraint error.
pub fn insert(tx: &Transaction, row: &ScheduleRow, now_ms: i64) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "INSERT INTO schedules (name, task, args, timing, enabled, one_off, start_time, expires, description,
                                next_run_at, defined_in_code, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
    )?
    .execute(params![
        row.name,
        row.task,
        row.args,
        row.timing,
        row.enabled,
        row.one_off,
        row.start_time,
        row.expires,
        row.description,
        row.next_run_at,
        row.defined_in_code,
        now_ms
    ])?;
    Ok(tx.last_insert_rowid())
}

/// Replaces schedule `row.id`'s settings (not its run history). `false` when it does not exist.
pub fn update(tx: &Transaction, row: &ScheduleRow, now_ms: i64) -> rusqlite::Result<bool> {
    let changed = tx
        .prepare_cached(
            "UPDATE schedules SET name = ?2, task = ?3, args = ?4, timing = ?5, enabled = ?6, one_off = ?7,
                    start_time = ?8, expires = ?9, description = ?10, next_run_at = ?11, updated_at = ?12
             WHERE id = ?1",
        )?
        .execute(params![
            row.id,
            row.name,
            row.task,
            row.args,
            row.timing,
            row.enabled,
            row.one_off,
            row.start_time,
            row.expires,
            row.description,
            row.next_run_at,
            now_ms
        ])?;
    Ok(changed > 0)
}

pub fn delete(tx: &Transaction, id: i64) -> rusqlite::Result<bool> {
    Ok(tx.prepare_cached("DELETE FROM schedules WHERE id = ?1")?.execute([id])? > 0)
}

/// The enabled schedules due at `now_ms`: (id, the slot's time).
pub fn due(conn: &Connection, now_ms: i64) -> rusqlite::Result<Vec<(i64, i64)>> {
    let mut statement = conn.prepare_cached(
        "SELECT id, next_run_at FROM schedules WHERE enabled AND next_run_at <= ?1 ORDER BY next_run_at",
    )?;
    let rows = statement.query_map([now_ms], |row| Ok((row.get(0)?, row.get(1)?)))?;
    rows.collect()
}

/// Claims slot `slot` of schedule `id`: records the run and moves it to `next` (or disables it
/// when `next` is `None`), but only if the slot is still the schedule's next one. Two schedulers
/// on one file both try; the second finds the slot gone and gets `false`.
pub fn claim_slot(tx: &Transaction, id: i64, slot: i64, next: Option<i64>, now_ms: i64) -> rusqlite::Result<bool> {
    let changed = tx
        .prepare_cached(
            "UPDATE schedules SET last_run_at = ?4, total_run_count = total_run_count + 1, next_run_at = ?3,
                    enabled = enabled AND ?3 IS NOT NULL AND NOT one_off
             WHERE id = ?1 AND enabled AND next_run_at = ?2",
        )?
        .execute(params![id, slot, next, now_ms])?;
    Ok(changed > 0)
}

/// Disables schedule `id` if slot `slot` is still its next (an expired schedule).
pub fn expire(tx: &Transaction, id: i64, slot: i64) -> rusqlite::Result<bool> {
    let changed = tx
        .prepare_cached("UPDATE schedules SET enabled = 0, next_run_at = NULL WHERE id = ?1 AND next_run_at = ?2")?
        .execute(params![id, slot])?;
    Ok(changed > 0)
}
