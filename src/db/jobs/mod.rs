//! The job tables: fang's `fang_tasks` queue and ours beside it (`job_results`, `job_attempts`,
//! `job_workers`, `schedules`). Every change to a task moves both in one transaction.

pub mod fang_rows;
pub mod listing;
pub mod queue;
pub mod schedules;
pub mod workers;

use chrono::{DateTime, SecondsFormat, Utc};
use uuid::Uuid;

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// RFC 3339 in UTC with milliseconds, as the API shows times.
pub fn rfc3339_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// fang keeps whole seconds; a time in the future rounds up so that nothing runs early.
pub fn fang_seconds(ms: i64) -> i64 {
    ms.div_euclid(1000) + i64::from(ms.rem_euclid(1000) != 0)
}

/// A task id as stored: the UUID's 16 bytes.
pub fn id_bytes(id: &Uuid) -> [u8; 16] {
    *id.as_bytes()
}

/// A stored id back to a UUID; a malformed one (written by something else) reads as nil.
pub fn id_from_blob(blob: &[u8]) -> Uuid {
    Uuid::from_slice(blob).unwrap_or_default()
}
