//! Reading the inspector's file: the summary by route, the filtered list, one request's detail.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row};

use crate::model::inspector::{
    RecordedGroup, RecordedHeader, RecordedRequest, RecordedStatement, RequestDetail, RequestFilter, RequestPage,
    RequestSort, RouteFigures,
};

const COLUMNS: &str = "id, request_id, method, path, query, route, status, started_at_ms, duration_us, \
    response_bytes, query_count, query_time_us, cache_hits, cache_misses, cache_time_us";

fn millis(micros: i64) -> f64 {
    micros as f64 / 1e3
}

fn recorded_request(row: &Row) -> rusqlite::Result<RecordedRequest> {
    let started_at_ms: i64 = row.get(7)?;
    Ok(RecordedRequest {
        id: row.get(0)?,
        request_id: row.get(1)?,
        method: row.get(2)?,
        path: row.get(3)?,
        query: row.get(4)?,
        route: row.get(5)?,
        status: row.get(6)?,
        started_at: chrono::DateTime::from_timestamp_millis(started_at_ms)
            .map_or_else(|| started_at_ms.to_string(), |at| at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
        duration_ms: millis(row.get(8)?),
        response_bytes: row.get(9)?,
        queries: row.get(10)?,
        query_time_ms: millis(row.get(11)?),
        cache_hits: row.get(12)?,
        cache_misses: row.get(13)?,
        cache_time_ms: millis(row.get(14)?),
    })
}

/// The requests matching `filter`, in its order, and how many match in all.
pub fn list(conn: &Connection, filter: &RequestFilter) -> rusqlite::Result<RequestPage> {
    let mut conditions: Vec<&str> = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    if let Some(path) = &filter.path {
        conditions.push("instr(path, ?) > 0");
        values.push(Value::Text(path.clone()));
    }
    if let Some(status) = filter.status {
        conditions.push("status = ?");
        values.push(Value::Integer(status));
    }
    if let Some(min_ms) = filter.min_ms {
        conditions.push("duration_us >= ?");
        values.push(Value::Integer((min_ms * 1e3) as i64));
    }
    if let Some(min_queries) = filter.min_queries {
        conditions.push("query_count >= ?");
        values.push(Value::Integer(min_queries));
    }
    let filters = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
    let order = match filter.sort {
        RequestSort::Newest => "id DESC",
        RequestSort::Oldest => "id ASC",
        RequestSort::Slowest => "duration_us DESC, id DESC",
        RequestSort::MostQueries => "query_count DESC, id DESC",
        RequestSort::MostDbTime => "query_time_us DESC, id DESC",
    };
    let count = conn.query_row(
        &format!("SELECT count(*) FROM requests {filters}"),
        rusqlite::params_from_iter(values.iter()),
        |row| row.get(0),
    )?;
    values.push(Value::Integer(filter.limit));
    values.push(Value::Integer(filter.offset));
    let mut statement =
        conn.prepare(&format!("SELECT {COLUMNS} FROM requests {filters} ORDER BY {order} LIMIT ? OFFSET ?"))?;
    let requests =
        statement.query_map(rusqlite::params_from_iter(values.iter()), recorded_request)?.collect::<Result<_, _>>()?;
    Ok(RequestPage { count, offset: filter.offset, requests })
}

/// One request with its statements, groups, headers and bodies.
pub fn detail(conn: &Connection, id: i64) -> rusqlite::Result<Option<RequestDetail>> {
    let sql = format!(
        "SELECT {COLUMNS}, statements, similar, duplicates, request_headers, request_body, response_body
         FROM requests WHERE id = ?1"
    );
    conn.query_row(&sql, [id], |row| {
        let statements: String = row.get(15)?;
        let json = |index: usize| -> rusqlite::Result<String> { row.get(index) };
        Ok(RequestDetail {
            request: recorded_request(row)?,
            statements: parse_statements(&statements),
            similar_queries: serde_json::from_str::<Vec<RecordedGroup>>(&json(16)?).unwrap_or_default(),
            duplicate_queries: serde_json::from_str::<Vec<RecordedGroup>>(&json(17)?).unwrap_or_default(),
            request_headers: serde_json::from_str::<Vec<RecordedHeader>>(&json(18)?).unwrap_or_default(),
            request_body: row.get(19)?,
            response_body: row.get(20)?,
        })
    })
    .optional()
}

fn parse_statements(stored: &str) -> Vec<RecordedStatement> {
    let value: serde_json::Value = serde_json::from_str(stored).unwrap_or_default();
    let sqls = value["sqls"].as_array().cloned().unwrap_or_default();
    let runs = value["runs"].as_array().cloned().unwrap_or_default();
    runs.iter()
        .enumerate()
        .map(|(index, run)| RecordedStatement {
            index: index as i64,
            sql: run[0].as_u64().and_then(|at| sqls.get(at as usize)?.as_str()).unwrap_or_default().to_string(),
            time_ms: millis(run[1].as_i64().unwrap_or_default()),
            rows_changed: run[2].as_i64(),
        })
        .collect()
}

/// The SQL of statement `index` of request `id`.
pub fn statement_sql(conn: &Connection, id: i64, index: i64) -> rusqlite::Result<Option<String>> {
    let stored: Option<String> =
        conn.query_row("SELECT statements FROM requests WHERE id = ?1", [id], |row| row.get(0)).optional()?;
    Ok(stored.and_then(|stored| {
        parse_statements(&stored).into_iter().find(|statement| statement.index == index).map(|statement| statement.sql)
    }))
}

/// How many requests are stored, their mean time (ms) and mean statements.
pub fn totals(conn: &Connection) -> rusqlite::Result<(i64, f64, f64)> {
    conn.query_row(
        "SELECT count(*), coalesce(avg(duration_us), 0) / 1000.0, coalesce(avg(query_count), 0) FROM requests",
        [],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )
}

/// Routes by one of their figures, the top `limit`: `order` is `mean_ms`, `mean_queries` or
/// `total_db_ms`.
pub fn top_routes(conn: &Connection, order: &str, limit: i64) -> rusqlite::Result<Vec<RouteFigures>> {
    let order = match order {
        "mean_queries" => "mean_queries",
        "total_db_ms" => "total_db_ms",
        _ => "mean_ms",
    };
    let sql = format!(
        "SELECT method, route, count(*), avg(duration_us) / 1000.0 AS mean_ms, max(duration_us) / 1000.0,
                avg(query_count) AS mean_queries, sum(query_time_us) / 1000.0 AS total_db_ms
         FROM requests GROUP BY method, route ORDER BY {order} DESC, route LIMIT ?1"
    );
    let mut statement = conn.prepare(&sql)?;
    let routes = statement.query_map([limit], |row| {
        Ok(RouteFigures {
            method: row.get(0)?,
            route: row.get(1)?,
            requests: row.get(2)?,
            mean_ms: row.get(3)?,
            max_ms: row.get(4)?,
            mean_queries: row.get(5)?,
            total_db_ms: row.get(6)?,
        })
    })?;
    routes.collect()
}

/// `EXPLAIN QUERY PLAN` of a recorded statement, on the data's connection `conn`. Its `?`
/// placeholders are bound to NULL: the plan depends on the SQL, rarely on the values. Only one
/// statement is prepared (rusqlite refuses a second), and EXPLAIN never runs it.
pub fn explain(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<crate::model::inspector::PlanStep>> {
    let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let nulls = vec![rusqlite::types::Null; statement.parameter_count()];
    let steps = statement.query_map(rusqlite::params_from_iter(nulls), |row| {
        Ok(crate::model::inspector::PlanStep { id: row.get(0)?, parent: row.get(1)?, detail: row.get(3)? })
    })?;
    steps.collect()
}
