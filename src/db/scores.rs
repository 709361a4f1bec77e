//! The prior of the damped mean behind the top-rated ranking, kept as a stored snapshot.
//!
//! `score = (C × m + Σ ratings) / (C + n)`. With `m` the live mean of all ratings, every rating
//! write moves `m` and so every movie's score. With `m` a snapshot (`score_prior`), a write
//! rescores only its own movie (triggers of migration 0003), and [`refresh_prior`] takes a new
//! snapshot and rescores every movie now and then. The ranking is always exact for the prior it
//! reports.

use rusqlite::{Connection, OptionalExtension};

/// C: how many ratings' worth of weight the prior carries.
pub const PRIOR_WEIGHT: f64 = 10.0;

/// The snapshot every score is computed against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScorePrior {
    /// m: the mean of all ratings when the snapshot was taken (0 with no ratings).
    pub mean: f64,
    /// How many ratings that mean was taken over.
    pub rating_count: i64,
    /// When it was taken, in seconds since the Unix epoch.
    pub taken_at: i64,
}

/// The current prior.
pub fn prior(conn: &Connection) -> rusqlite::Result<ScorePrior> {
    conn.prepare_cached("SELECT mean, rating_count, taken_at FROM score_prior WHERE id = 1")?
        .query_row([], |row| Ok(ScorePrior { mean: row.get(0)?, rating_count: row.get(1)?, taken_at: row.get(2)? }))
}

/// Takes a new snapshot from the live totals and rescores every movie against it, unless the
/// totals have not moved since the last one (`force` rescores anyway, as after an import). Returns
/// the new prior if it rescored. Run it inside a write transaction.
pub fn refresh_prior(conn: &Connection, force: bool) -> rusqlite::Result<Option<ScorePrior>> {
    let (count, sum): (i64, f64) =
        conn.query_row("SELECT rating_count, rating_sum FROM totals WHERE id = 1", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
    let mean = if count == 0 { 0.0 } else { sum / count as f64 };
    let unchanged = conn
        .query_row("SELECT 1 FROM score_prior WHERE id = 1 AND rating_count = ?1 AND mean = ?2", (count, mean), |_| {
            Ok(())
        })
        .optional()?
        .is_some();
    if unchanged && !force {
        return Ok(None);
    }
    let taken_at: i64 = conn.query_row("SELECT unixepoch()", [], |row| row.get(0))?;
    conn.execute(
        "UPDATE score_prior SET mean = ?1, rating_count = ?2, taken_at = ?3 WHERE id = 1",
        (mean, count, taken_at),
    )?;
    conn.execute("UPDATE movie_stats SET score = (?1 * ?2 + rating_sum) / (?1 + rating_count)", (PRIOR_WEIGHT, mean))?;
    Ok(Some(ScorePrior { mean, rating_count: count, taken_at }))
}
