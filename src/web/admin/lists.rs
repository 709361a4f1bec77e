//! The list page of each model, with the seed's admin options: what it shows, searches and
//! filters, and how its links keep the search while they change the sort or the page.

use serde::Serialize;

use crate::db::admin::lists::{self as admin_lists, ListPage, ListQuery, ModelList};
use crate::web::templates::{self, Layout};
use crate::web::Session;

/// Rows a page shows.
pub const PAGE_SIZE: i64 = 50;

/// Pages beyond this are refused: an offset that deep reads too much of a large table.
pub const MAX_PAGE: i64 = 2000;

/// One model's page.
pub struct Model {
    pub path: &'static str,
    pub title: &'static str,
    pub noun: &'static str,
    pub list: &'static ModelList,
    pub search_hint: &'static str,
    pub genre_filter: bool,
    pub rating_filter: bool,
    /// The column that names a row in its form's URL (a genre's name, any other's id).
    pub key_column: usize,
}

pub const MODELS: &[Model] = &[
    Model {
        path: "movies",
        title: "Movies",
        noun: "movies",
        list: &admin_lists::MOVIES,
        search_hint: "title",
        genre_filter: true,
        rating_filter: false,
        key_column: 0,
    },
    Model {
        path: "ratings",
        title: "Ratings",
        noun: "ratings",
        list: &admin_lists::RATINGS,
        search_hint: "movie title",
        genre_filter: false,
        rating_filter: true,
        key_column: 0,
    },
    Model {
        path: "tags",
        title: "Tags",
        noun: "tags",
        list: &admin_lists::TAGS,
        search_hint: "tag or movie title",
        genre_filter: false,
        rating_filter: false,
        key_column: 0,
    },
    Model {
        path: "links",
        title: "Links",
        noun: "links",
        list: &admin_lists::LINKS,
        search_hint: "movie title, IMDb or TMDB id",
        genre_filter: false,
        rating_filter: false,
        key_column: 0,
    },
    Model {
        path: "genres",
        title: "Genres",
        noun: "genres",
        list: &admin_lists::GENRES,
        search_hint: "name",
        genre_filter: false,
        rating_filter: false,
        key_column: 1,
    },
];

/// The page's parameters, checked.
#[derive(Debug, Clone)]
pub struct ListParams {
    pub q: String,
    pub genre: String,
    pub rating: String,
    /// A sort key of the model, `-` first for descending.
    pub sort: String,
    pub page: i64,
}

impl ListParams {
    /// The query for `model`, or why a parameter is not valid.
    pub fn query(&self, model: &Model) -> Result<ListQuery, String> {
        let (descending, key) = match self.sort.strip_prefix('-') {
            Some(key) => (true, key),
            None => (false, self.sort.as_str()),
        };
        let sort = match key {
            "" => model.list.sorts[0].0,
            key => model.list.sorts.iter().map(|(name, _)| *name).find(|name| *name == key).ok_or_else(|| {
                let known: Vec<&str> = model.list.sorts.iter().map(|(name, _)| *name).collect();
                format!("{key:?} is not a sort of this list; it sorts by {}", known.join(", "))
            })?,
        };
        let rating = match self.rating.as_str() {
            "" => None,
            text => match text.parse::<f64>() {
                Ok(value) if (0.5..=5.0).contains(&value) && (value * 2.0).fract() == 0.0 => Some(value),
                _ => return Err(format!("rating must be a half star from 0.5 to 5.0, found {text:?}")),
            },
        };
        if !(1..=MAX_PAGE).contains(&self.page) {
            return Err(format!("page must be from 1 to {MAX_PAGE}"));
        }
        Ok(ListQuery {
            search: Some(self.q.clone()).filter(|q| !q.trim().is_empty()),
            genre: Some(self.genre.clone()).filter(|genre| model.genre_filter && !genre.is_empty()),
            rating: rating.filter(|_| model.rating_filter),
            sort,
            descending,
            offset: (self.page - 1) * PAGE_SIZE,
            limit: PAGE_SIZE,
        })
    }

    /// The query string of this page with `sort` and `page` changed.
    fn link(&self, sort: &str, page: i64) -> String {
        let mut url = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [("q", &self.q), ("genre", &self.genre), ("rating", &self.rating)] {
            if !value.is_empty() {
                url.append_pair(name, value);
            }
        }
        if !sort.is_empty() {
            url.append_pair("sort", sort);
        }
        if page > 1 {
            url.append_pair("page", &page.to_string());
        }
        url.finish()
    }
}

#[derive(Serialize)]
struct Column {
    name: &'static str,
    /// The link that sorts by this column (the other way when it is the current sort).
    sort: Option<String>,
    current: bool,
}

#[derive(Serialize)]
struct Nav {
    path: &'static str,
    title: &'static str,
}

pub fn nav() -> Vec<impl Serialize> {
    MODELS.iter().map(|model| Nav { path: model.path, title: model.title }).collect()
}

/// Renders `model`'s page of `rows`.
pub fn render(
    model: &Model,
    params: &ListParams,
    query: &ListQuery,
    page: &ListPage,
    genres: Vec<String>,
    session: &Session,
) -> anyhow::Result<String> {
    let columns: Vec<Column> = model
        .list
        .columns
        .iter()
        .map(|name| {
            let key = model.list.sorts.iter().map(|(key, _)| *key).find(|key| key == name);
            let current = key == Some(query.sort);
            let sort = key.map(|key| {
                let flipped = if current && !query.descending { format!("-{key}") } else { key.to_string() };
                params.link(&flipped, 1)
            });
            Column { name, sort, current }
        })
        .collect();
    let ratings: Vec<String> = match model.rating_filter {
        true => (1..=10).map(|half| format!("{:.1}", f64::from(half) / 2.0)).collect(),
        false => Vec::new(),
    };
    let context = minijinja::context! {
        models => nav(),
        path => model.path,
        noun => model.noun,
        search_hint => model.search_hint,
        q => params.q,
        genre => params.genre,
        rating => params.rating,
        sort => params.sort,
        genres => genres,
        ratings => ratings,
        filtered => query.search.is_some() || query.genre.is_some() || query.rating.is_some(),
        columns => columns,
        descending => query.descending,
        rows => page.rows,
        key_column => model.key_column,
        // Built here, percent-encoded: left unescaped so they read plainly.
        hrefs => page.rows.iter().map(|row| minijinja::Value::from_safe_string(edit_href(model, row))).collect::<Vec<_>>(),
        count => page.count,
        page => params.page,
        previous => (params.page > 1).then(|| params.link(&params.sort, params.page - 1)),
        next => (page.has_next && params.page < MAX_PAGE).then(|| params.link(&params.sort, params.page + 1)),
    };
    templates::render("admin/list.html", context, Layout { title: model.title, session: Some(session) })
}

/// The row's form: `/admin/genres/Film%20Noir`, `/admin/movies/1`.
fn edit_href(model: &Model, row: &[String]) -> String {
    let key = row.get(model.key_column).map(String::as_str).unwrap_or_default();
    format!("/admin/{}/{}", model.path, super::model_render::segment(key))
}
