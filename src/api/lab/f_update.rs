//! The F-expression lesson: the same increments made by concurrent workers, first as
//! read-modify-write in the application, then as one `UPDATE ... SET value = value + 1`.

use std::sync::Arc;
use std::time::Instant;

use futures_util::future::try_join_all;
use poem_openapi::param::Query;
use poem_openapi::OpenApi;

use super::report::LabReport;
use crate::api::auth::{AdminAuth, AdminBearer};
use crate::api::error::AppError;
use crate::api::write_responses::Done;
use crate::api::ApiTags;
use crate::db::lab::counters;
use crate::db::{statements, Db};
use crate::model::lab::{FUpdateRace, RaceOutcome};

pub struct FExpressionLabApi {
    pub db: Db,
    pub auth: AdminAuth,
}

#[OpenApi]
impl FExpressionLabApi {
    /// F expressions
    ///
    /// Runs `concurrency` workers that make `increments` increments of one counter in all, first
    /// as read-modify-write in the application, then as `SET value = value + 1`, and reports the
    /// expected and final values of each. The counters live in a table of the lab's own
    /// (`lab_counters`), never in MovieLens data, and are removed afterwards. Requires the admin
    /// token, as every write does.
    #[oai(
        path = "/api/movies/f-update",
        method = "post",
        operation_id = "lab_f_update",
        tag = "ApiTags::LabFExpressions"
    )]
    async fn f_update(
        &self,
        token: AdminBearer,
        /// Workers running at once, 1 to 32.
        #[oai(validator(minimum(value = "1"), maximum(value = "32")))]
        concurrency: Query<Option<u32>>,
        /// Increments in all, 1 to 10,000, shared among the workers.
        #[oai(validator(minimum(value = "1"), maximum(value = "10000")))]
        increments: Query<Option<u32>>,
    ) -> Done<LabReport<FUpdateRace>> {
        if let Err(err) = self.auth.verify(&token) {
            return err.into();
        }
        let (concurrency, increments) = (concurrency.0.unwrap_or(8), increments.0.unwrap_or(1_000));
        let started = Instant::now();
        let before = statements::request_so_far();
        race(&self.db, concurrency, increments)
            .await
            .map(|race| {
                let recording =
                    if self.db.records_statements() { recording_since(&before) } else { statements::Recording::off() };
                LabReport::new("F('value') + 1", F_EXPRESSIONS, &recording, started.elapsed(), race)
            })
            .into()
    }
}

/// The request's statements after `before`.
fn recording_since(before: &statements::Recording) -> statements::Recording {
    let mut all = statements::request_so_far();
    all.drop_first(before.count() as usize);
    all
}

async fn race(db: &Db, concurrency: u32, increments: u32) -> Result<FUpdateRace, AppError> {
    let run = format!("{:016x}", fastrand::u64(..));
    let names = [format!("{run}:read-modify-write"), format!("{run}:f-expression")];
    let created = names.clone();
    db.write("lab.counters_create", move |tx| created.iter().try_for_each(|name| counters::create(tx, name))).await?;
    let outcome = async {
        let read_modify_write =
            technique(db, &names[0], READ_MODIFY_WRITE_SQL, concurrency, increments, read_modify_write_once).await?;
        let f_expression =
            technique(db, &names[1], F_EXPRESSION_SQL, concurrency, increments, f_expression_once).await?;
        Ok::<_, AppError>((read_modify_write, f_expression))
    }
    .await;
    let removed = names.clone();
    db.write("lab.counters_remove", move |tx| {
        counters::remove(tx, &removed.iter().map(String::as_str).collect::<Vec<_>>())
    })
    .await?;
    let (read_modify_write, f_expression) = outcome?;
    Ok(FUpdateRace { concurrency, increments, read_modify_write, f_expression })
}

/// The statements each increment runs, as `db::lab::counters` writes them.
const READ_MODIFY_WRITE_SQL: &[&str] =
    &["SELECT value FROM lab_counters WHERE name = ?1", "UPDATE lab_counters SET value = ?2 WHERE name = ?1"];
const F_EXPRESSION_SQL: &[&str] = &["UPDATE lab_counters SET value = value + 1 WHERE name = ?1"];

/// Runs `increments` calls of `once` over `concurrency` workers, then reads the counter.
async fn technique<F, Fut>(
    db: &Db,
    name: &str,
    sql: &[&str],
    concurrency: u32,
    increments: u32,
    once: F,
) -> Result<RaceOutcome, AppError>
where
    F: Fn(Db, Arc<str>) -> Fut,
    Fut: std::future::Future<Output = Result<(), AppError>>,
{
    let name: Arc<str> = Arc::from(name);
    let before = statements::request_so_far().count();
    // Workers are futures of this request, not spawned tasks: their statements count for it.
    let workers = (0..concurrency).map(|worker| {
        let share = increments / concurrency + u32::from(worker < increments % concurrency);
        let (db, name, once) = (db.clone(), name.clone(), &once);
        async move {
            for _ in 0..share {
                once(db.clone(), name.clone()).await?;
            }
            Ok::<_, AppError>(())
        }
    });
    try_join_all(workers).await?;
    let statements = statements::request_so_far().count() - before;
    let read = name.clone();
    let final_value = db.read("lab.counter_value", move |tx| counters::value(tx, &read)).await?.unwrap_or(0);
    let expected = i64::from(increments);
    Ok(RaceOutcome {
        sql: sql.iter().map(|statement| statement.to_string()).collect(),
        expected,
        final_value,
        lost_updates: expected - final_value,
        statements: statements as i64,
    })
}

async fn read_modify_write_once(db: Db, name: Arc<str>) -> Result<(), AppError> {
    let read = name.clone();
    let value = db.read("lab.counter_read", move |tx| counters::value(tx, &read)).await?.unwrap_or(0);
    // Between that read and this write, other workers may have stored their increments.
    db.write("lab.counter_store", move |tx| counters::store(tx, &name, value + 1)).await?;
    Ok(())
}

async fn f_expression_once(db: Db, name: Arc<str>) -> Result<(), AppError> {
    db.write("lab.counter_increment", move |tx| counters::increment(tx, &name)).await?;
    Ok(())
}

const F_EXPRESSIONS: &str = "Read-modify-write reads the value, adds one in the application and writes the sum \
    back. Two workers that read the same value both write the same sum, and one increment is lost: \
    `lost_updates` counts them. `SET value = value + 1` (Django's F('value') + 1) has SQLite compute the sum \
    under the write lock, in one statement: no update can be lost, and it takes half the statements. \
    The queries list shows the first thousand statements of the run.";
