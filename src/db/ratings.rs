//! Queries for ratings and tags: keyset-paginated lists, and rating writes.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Transaction};

use super::DbError;
use crate::model::ratings::{NewRating, Rating, Tag};

/// Which ratings or tags to list; every field narrows the list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub user_id: Option<i64>,
    pub movie_id: Option<i64>,
    /// Tags only: the exact tag text.
    pub tag: Option<String>,
}

impl Filter {
    /// The WHERE clause (over alias `x`) for rows after the cursor id, and its parameters.
    fn where_sql(&self, after_id: i64) -> (String, Vec<Value>) {
        let mut sql = "WHERE x.id > ?".to_string();
        let mut values = vec![Value::Integer(after_id)];
        if let Some(user_id) = self.user_id {
            sql.push_str(" AND x.user_id = ?");
            values.push(Value::Integer(user_id));
        }
        if let Some(movie_id) = self.movie_id {
            sql.push_str(" AND x.movie_id = ?");
            values.push(Value::Integer(movie_id));
        }
        if let Some(tag) = &self.tag {
            sql.push_str(" AND x.tag = ?");
            values.push(Value::Text(tag.clone()));
        }
        (sql, values)
    }
}

/// Up to `limit` ratings after id `after_id`, in id order, with their movies' titles.
pub fn list_ratings(conn: &Connection, filter: &Filter, after_id: i64, limit: u32) -> Result<Vec<Rating>, DbError> {
    list_after(conn, "ratings", "rating", filter, after_id, limit, rating_row)
}

/// A rating from `(id, user_id, movie_id, movie title, rating, timestamp)`.
fn rating_row(row: &rusqlite::Row) -> rusqlite::Result<Rating> {
    Ok(Rating {
        id: row.get(0)?,
        user_id: row.get(1)?,
        movie_id: row.get(2)?,
        movie_title: row.get(3)?,
        rating: row.get(4)?,
        timestamp: row.get(5)?,
    })
}

/// Up to `limit` tags after id `after_id`, in id order, with their movies' titles.
pub fn list_tags(conn: &Connection, filter: &Filter, after_id: i64, limit: u32) -> Result<Vec<Tag>, DbError> {
    list_after(conn, "tags", "tag", filter, after_id, limit, |row| {
        Ok(Tag {
            id: row.get(0)?,
            user_id: row.get(1)?,
            movie_id: row.get(2)?,
            movie_title: row.get(3)?,
            tag: row.get(4)?,
            timestamp: row.get(5)?,
        })
    })
}

/// The keyset query both lists share: `table` is ratings or tags, `value` the column they differ in.
/// Rows are `(id, user_id, movie_id, movie title, value, timestamp)`.
fn list_after<T>(
    conn: &Connection,
    table: &str,
    value: &str,
    filter: &Filter,
    after_id: i64,
    limit: u32,
    read_row: impl FnMut(&rusqlite::Row) -> rusqlite::Result<T>,
) -> Result<Vec<T>, DbError> {
    let (where_sql, mut values) = filter.where_sql(after_id);
    values.push(Value::Integer(limit.into()));
    let sql = format!(
        "SELECT x.id, x.user_id, x.movie_id, m.title, x.{value}, x.timestamp
         FROM {table} x JOIN movies m ON m.movie_id = x.movie_id {where_sql} ORDER BY x.id LIMIT ?"
    );
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map(params_from_iter(&values), read_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether a user id appears in ratings or tags (MovieLens has no users table).
pub fn user_exists(conn: &Connection, user_id: i64) -> Result<bool, DbError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM ratings WHERE user_id = ?1) OR EXISTS (SELECT 1 FROM tags WHERE user_id = ?1)",
        )?
        .query_row([user_id], |row| row.get(0))?)
}

/// One rating by id, with its movie's title.
pub fn rating(conn: &Connection, rating_id: i64) -> Result<Option<Rating>, DbError> {
    Ok(conn
        .prepare_cached(
            "SELECT r.id, r.user_id, r.movie_id, m.title, r.rating, r.timestamp
             FROM ratings r JOIN movies m ON m.movie_id = r.movie_id WHERE r.id = ?1",
        )?
        .query_row([rating_id], rating_row)
        .optional()?)
}

/// The id for a new row of `table` (ratings or tags): above every id it has ever held, deleted
/// ones included (`id_high_water`), so that an id never names two different rows.
pub fn next_id(conn: &Connection, table: &str) -> rusqlite::Result<i64> {
    let sql = format!(
        "SELECT max(coalesce((SELECT max(id) FROM {table}), 0),
                    coalesce((SELECT last_id FROM id_high_water WHERE table_name = ?1), 0)) + 1"
    );
    conn.prepare_cached(&sql)?.query_row([table], |row| row.get(0))
}

/// Records every id `table` holds now as handed out, for a bulk delete that bypasses the
/// triggers (an import's replace), and returns the id its next row must take.
pub fn retire_ids(conn: &Connection, table: &str) -> rusqlite::Result<i64> {
    let next = next_id(conn, table)?;
    conn.execute("UPDATE id_high_water SET last_id = ?2 WHERE table_name = ?1", params![table, next - 1])?;
    Ok(next)
}

/// Records a rating; the aggregates follow through the triggers on `ratings`. Run it in a write
/// transaction.
pub fn create_rating(tx: &Transaction, new: &NewRating, timestamp: i64) -> Result<Rating, DbError> {
    let title: Option<String> = tx
        .prepare_cached("SELECT title FROM movies WHERE movie_id = ?1")?
        .query_row([new.movie_id], |row| row.get(0))
        .optional()?;
    let Some(movie_title) = title else {
        return Err(DbError::NotFound(format!("no movie has id {}", new.movie_id)));
    };
    let id = next_id(tx, "ratings")?;
    tx.prepare_cached("INSERT INTO ratings (id, user_id, movie_id, rating, timestamp) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![id, new.user_id, new.movie_id, new.rating, timestamp])?;
    Ok(Rating { id, user_id: new.user_id, movie_id: new.movie_id, movie_title, rating: new.rating, timestamp })
}

/// Deletes a rating; false if there was none with that id.
pub fn delete_rating(tx: &Transaction, rating_id: i64) -> Result<bool, DbError> {
    Ok(tx.prepare_cached("DELETE FROM ratings WHERE id = ?1")?.execute([rating_id])? == 1)
}
