//! The dashboard at `/flower/`: counts per task type and state with run times, the queue, the
//! live workers, the task list (filtered, paged by cursor) and the schedules. The part that
//! changes while a task runs (everything but the filters and the schedules) is the "live"
//! fragment the page's script fetches again every 2 s.

use minijinja::Value;
use serde::Serialize;
use uuid::Uuid;

use super::display::{cell_json, run_time, shorten, CELL_CHARS};
use crate::db::jobs::listing::{self, TaskFilter};
use crate::db::jobs::{now_ms, schedules};
use crate::db::DbError;
use crate::jobs::periodic::periodic_task;
use crate::jobs::submit::Jobs;
use crate::jobs::tasks::KINDS;
use crate::model::periodic_tasks::PeriodicTask;
use crate::model::tasks::{TaskInfo, TaskPage, TaskState, TaskStats};
use crate::web::templates::{self, Layout};
use crate::web::Session;

/// Tasks per page of the list.
const PAGE_SIZE: u32 = 50;

/// The task list's filters and position, as the filter form and the "Older" link carry them.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    name: Option<String>,
    state: Option<TaskState>,
    cursor: Option<String>,
    after: Option<(i64, Uuid)>,
}

impl Filters {
    /// Reads the query; an empty field (as an HTML form sends it) means no filter.
    pub fn read(name: Option<String>, state: Option<String>, cursor: Option<String>) -> Result<Self, String> {
        let given = |text: Option<String>| text.map(|text| text.trim().to_string()).filter(|text| !text.is_empty());
        let state = match given(state) {
            Some(text) => Some(TaskState::parse(&text).ok_or_else(|| format!("{text:?} is not a task state"))?),
            None => None,
        };
        let cursor = given(cursor);
        let after = match &cursor {
            Some(text) => Some(listing::parse_cursor(text).ok_or("the cursor is not one this page gave")?),
            None => None,
        };
        Ok(Self { name: given(name), state, cursor, after })
    }

    /// The query string of these filters, at `cursor`.
    fn query(&self, cursor: Option<&str>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(name) = &self.name {
            query.append_pair("name", name);
        }
        if let Some(state) = self.state {
            query.append_pair("state", state.as_str());
        }
        if let Some(cursor) = cursor {
            query.append_pair("cursor", cursor);
        }
        query.finish()
    }
}

/// What the dashboard shows, read in one snapshot.
pub struct Snapshot {
    stats: TaskStats,
    page: TaskPage,
    schedules: Vec<PeriodicTask>,
}

/// Reads the statistics, a page of tasks and (for the whole page) the schedules.
pub async fn load(jobs: &Jobs, filters: &Filters, with_schedules: bool) -> Result<Snapshot, DbError> {
    let now = now_ms();
    let alive_since = now - jobs.lease.as_millis() as i64;
    let filter = TaskFilter {
        name: filters.name.clone(),
        state: filters.state,
        after: filters.after,
        limit: PAGE_SIZE,
        ..TaskFilter::default()
    };
    let (stats, page, rows) = jobs
        .queue
        .db()
        .read("flower.dashboard", move |tx| {
            let stats = listing::stats(tx, now, alive_since)?;
            let page = listing::list(tx, &filter)?;
            let rows = if with_schedules { schedules::list(tx)? } else { Vec::new() };
            Ok::<_, DbError>((stats, page, rows))
        })
        .await?;
    Ok(Snapshot { stats, page, schedules: rows.into_iter().map(periodic_task).collect() })
}

/// One task type's line of counts.
#[derive(Serialize)]
struct TypeLine {
    name: String,
    counts: [i64; 7],
    mean: Option<String>,
    p95: Option<String>,
}

/// One task in the list.
#[derive(Serialize)]
struct TaskLine {
    id: String,
    state: &'static str,
    name: String,
    args: String,
    /// The result, or the error of a task that has none.
    outcome: Option<String>,
    failed: bool,
    received_at: String,
    started_at: Option<String>,
    runtime: Option<String>,
    attempts: i64,
}

fn type_line(stats: &crate::model::tasks::TaskTypeStats) -> TypeLine {
    let counts =
        [stats.pending, stats.running, stats.succeeded, stats.failed, stats.retrying, stats.cancelled, stats.timed_out];
    TypeLine {
        name: stats.name.clone(),
        counts,
        mean: stats.mean_runtime_ms.map(run_time),
        p95: stats.p95_runtime_ms.map(run_time),
    }
}

fn task_line(task: &TaskInfo) -> TaskLine {
    let outcome = match (&task.result, &task.error) {
        (Some(result), _) => Some(cell_json(result)),
        (None, Some(error)) => Some(shorten(error, CELL_CHARS)),
        (None, None) => None,
    };
    TaskLine {
        id: task.id.clone(),
        state: task.state.as_str(),
        name: task.name.clone(),
        args: cell_json(&task.args),
        failed: task.result.is_none() && task.error.is_some(),
        outcome,
        received_at: task.received_at.clone(),
        started_at: task.started_at.clone(),
        runtime: task.runtime_ms.map(|ms| run_time(ms as f64)),
        attempts: task.attempts,
    }
}

fn state_names() -> Vec<&'static str> {
    TaskState::ALL.iter().map(|state| state.as_str()).collect()
}

/// The live part: counts, queue, workers and the task list with its paging links.
pub fn render_live(snapshot: &Snapshot, filters: &Filters) -> anyhow::Result<String> {
    let types: Vec<TypeLine> = snapshot.stats.by_name.iter().map(type_line).collect();
    let totals: Vec<i64> = (0..7).map(|state| types.iter().map(|line| line.counts[state]).sum()).collect();
    let context = minijinja::context! {
        states => state_names(),
        types => types,
        totals => totals,
        queue_length => snapshot.stats.queue_length,
        workers => &snapshot.stats.workers,
        tasks => snapshot.page.tasks.iter().map(task_line).collect::<Vec<_>>(),
        filtered => filters.name.is_some() || filters.state.is_some(),
        older => snapshot.page.next_cursor.as_deref().map(|cursor| filters.query(Some(cursor))),
        newest => filters.cursor.is_some().then(|| filters.query(None)),
    };
    templates::render_fragment("flower_live.html", context)
}

/// The whole dashboard.
pub fn render_page(snapshot: &Snapshot, filters: &Filters, session: &Session) -> anyhow::Result<String> {
    let context = minijinja::context! {
        live => Value::from_safe_string(render_live(snapshot, filters)?),
        live_query => filters.query(filters.cursor.as_deref()),
        name => filters.name.as_deref().unwrap_or_default(),
        state => filters.state.map(TaskState::as_str).unwrap_or_default(),
        states => state_names(),
        kinds => KINDS.iter().map(|kind| kind.name).collect::<Vec<_>>(),
        filtered => filters.name.is_some() || filters.state.is_some(),
        schedules => &snapshot.schedules,
    };
    templates::render("flower.html", context, Layout { title: "Tasks", session: Some(session) })
}
