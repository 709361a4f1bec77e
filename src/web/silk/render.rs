//! Rendering the inspector's pages from their templates (HTML escaping on: a hostile path or
//! query string shows as text).

use serde::Serialize;

use crate::model::inspector::{InspectorSummary, QueryPlan, RequestDetail, RequestFilter, RequestPage, RequestSort};
use crate::web::templates::{self, Layout};
use crate::web::Session;

/// Requests per page of the list.
const PAGE_SIZE: i64 = 50;

/// The list's filters as the page's form sends them (empty fields mean "any").
#[derive(Debug, Clone, Default, Serialize)]
pub struct ListFilters {
    path: String,
    status: String,
    min_ms: String,
    min_queries: String,
    sort: String,
    offset: i64,
}

fn non_empty(value: Option<String>) -> String {
    value.map(|value| value.trim().to_string()).unwrap_or_default()
}

impl ListFilters {
    /// Reads the form's fields; the spec's patterns have already checked their shape.
    pub fn read(
        path: Option<String>,
        status: Option<String>,
        min_ms: Option<String>,
        min_queries: Option<String>,
        sort: Option<String>,
        offset: Option<i64>,
    ) -> Result<Self, String> {
        let filters = Self {
            path: path.unwrap_or_default(),
            status: non_empty(status),
            min_ms: non_empty(min_ms),
            min_queries: non_empty(min_queries),
            sort: non_empty(sort),
            offset: offset.unwrap_or(0),
        };
        if !filters.status.is_empty() && filters.status.parse::<i64>().is_err() {
            return Err("The status must be a number from 100 to 599.".into());
        }
        Ok(filters)
    }

    fn sort(&self) -> RequestSort {
        RequestSort::ALL.into_iter().find(|sort| sort.as_str() == self.sort).unwrap_or_default()
    }

    /// The database's filter.
    pub fn filter(&self) -> RequestFilter {
        RequestFilter {
            path: (!self.path.is_empty()).then(|| self.path.clone()),
            status: self.status.parse().ok(),
            min_ms: self.min_ms.parse().ok(),
            min_queries: self.min_queries.parse().ok(),
            sort: self.sort(),
            limit: PAGE_SIZE,
            offset: self.offset,
        }
    }

    /// The query string of this list at `offset`.
    fn query(&self, offset: i64) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("path", &self.path),
            ("status", &self.status),
            ("min_ms", &self.min_ms),
            ("min_queries", &self.min_queries),
        ] {
            if !value.is_empty() {
                query.append_pair(key, value);
            }
        }
        if !self.sort.is_empty() {
            query.append_pair("sort", &self.sort);
        }
        if offset > 0 {
            query.append_pair("offset", &offset.to_string());
        }
        query.finish()
    }
}

fn round(value: f64) -> String {
    format!("{value:.2}")
}

/// The summary page.
pub fn summary(summary: &InspectorSummary, session: &Session) -> anyhow::Result<String> {
    let context = minijinja::context! {
        summary => summary,
        mean_ms => round(summary.mean_ms),
        mean_queries => round(summary.mean_queries),
    };
    templates::render("silk_summary.html", context, Layout { title: "Requests", session: Some(session) })
}

/// The request list.
pub fn list(page: &RequestPage, filters: &ListFilters, enabled: bool, session: &Session) -> anyhow::Result<String> {
    let next = filters.offset + PAGE_SIZE;
    let context = minijinja::context! {
        enabled => enabled,
        page => page,
        filters => filters,
        sorts => RequestSort::ALL.iter().map(|sort| sort.as_str()).collect::<Vec<_>>(),
        sort => filters.sort().as_str(),
        first => filters.offset + 1,
        last => filters.offset + page.requests.len() as i64,
        newer => (filters.offset > 0).then(|| filters.query((filters.offset - PAGE_SIZE).max(0))),
        older => (next < page.count).then(|| filters.query(next)),
        filtered => !filters.query(0).is_empty(),
    };
    templates::render("silk_list.html", context, Layout { title: "Recorded requests", session: Some(session) })
}

/// One request's page, with the plan of statement `explained` if one was asked for.
pub fn detail(
    detail: &RequestDetail,
    explained: Option<i64>,
    plan: Option<Result<QueryPlan, String>>,
    session: &Session,
) -> anyhow::Result<String> {
    let (plan, plan_error) = match plan {
        Some(Ok(plan)) => (Some(plan), None),
        Some(Err(why)) => (None, Some(why)),
        None => (None, None),
    };
    let context = minijinja::context! {
        detail => detail,
        explained => explained,
        plan => plan,
        plan_error => plan_error,
    };
    let title = format!("{} {}", detail.request.method, detail.request.path);
    templates::render("silk_request.html", context, Layout { title: &title, session: Some(session) })
}
