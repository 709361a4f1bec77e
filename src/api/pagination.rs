//! Page-number pagination (with a total count, as DRF's PageNumberPagination) and keyset
//! pagination (a cursor, as DRF's CursorPagination) for tables too large to count or to skip into.

use poem::Request;
use poem_openapi::types::{ParseFromJSON, ToJSON};
use poem_openapi::Object;
use serde::Serialize;

use super::error::AppError;
use super::host::Origin;

pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 100;

/// One page of a counted list.
#[derive(Debug, Object, Serialize)]
pub struct Page<T: ParseFromJSON + ToJSON> {
    /// How many items match, over all pages.
    #[oai(validator(minimum(value = "0"), maximum(value = "9007199254740991")))]
    pub count: u64,
    /// The URL of the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The URL of the previous page; absent on the first page.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// This page's items.
    pub results: Vec<T>,
}

/// One page of a list read in id order from a cursor.
#[derive(Debug, Object, Serialize)]
pub struct CursorPage<T: ParseFromJSON + ToJSON> {
    /// Pass as `cursor` to read the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// The URL of the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// This page's items.
    pub results: Vec<T>,
}

/// The absolute URL of the current request, with query parameters replaced as needed.
pub struct RequestUrl {
    /// Checked and chosen by [`super::host`]: the public URL, or the request's allowed host.
    origin: String,
    path: String,
    /// The query's parameters, decoded as the API reads them.
    params: Vec<(String, String)>,
}

impl RequestUrl {
    pub fn of(request: &Request) -> Self {
        let origin =
            request.extensions().get::<Origin>().map_or_else(|| "http://localhost".to_string(), |o| o.0.clone());
        let query = request.uri().query().unwrap_or_default();
        Self {
            origin,
            path: request.uri().path().to_string(),
            params: form_urlencoded::parse(query.as_bytes()).into_owned().collect(),
        }
    }

    /// `http://host`, for building other URLs of this server.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// This URL with `key` set to `value` and every other spelling of `key` removed: keys are
    /// compared decoded (`%70age` is `page`), as the API reads them, so a link never keeps an
    /// old page number that the server would read first.
    pub fn with(&self, key: &str, value: &str) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, other) in self.params.iter().filter(|(name, _)| name != key) {
            query.append_pair(name, other);
        }
        query.append_pair(key, value);
        format!("{}{}?{}", self.origin, self.path, query.finish())
    }
}

/// Which rows a page-number request covers.
#[derive(Debug, Clone, Copy)]
pub struct PageWindow {
    pub page: u32,
    pub page_size: u32,
}

impl PageWindow {
    pub fn new(page: Option<u32>, page_size: Option<u32>) -> Self {
        Self { page: page.unwrap_or(1), page_size: page_size.unwrap_or(DEFAULT_PAGE_SIZE) }
    }

    pub fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.page_size)
    }

    /// Builds the page, or a 404 for a page past the end (page 1 of nothing is an empty page).
    pub fn page<T: ParseFromJSON + ToJSON>(
        &self,
        count: u64,
        results: Vec<T>,
        url: &RequestUrl,
    ) -> Result<Page<T>, AppError> {
        let last_page = count.div_ceil(u64::from(self.page_size)).max(1);
        if u64::from(self.page) > last_page {
            return Err(AppError::NotFound(format!("page {} is past the last page, {last_page}", self.page)));
        }
        let next = (u64::from(self.page) < last_page).then(|| url.with("page", &(self.page + 1).to_string()));
        let previous = (self.page > 1).then(|| url.with("page", &(self.page - 1).to_string()));
        Ok(Page { count, next, previous, results })
    }
}

/// Builds a keyset page from up to `page_size + 1` rows read after the cursor: the extra row only
/// says that another page exists.
pub fn cursor_page<T: ParseFromJSON + ToJSON>(
    mut rows: Vec<T>,
    page_size: u32,
    id_of: impl Fn(&T) -> i64,
    url: &RequestUrl,
) -> CursorPage<T> {
    let more = rows.len() > page_size as usize;
    rows.truncate(page_size as usize);
    let next_cursor = if more { rows.last().map(|row| id_of(row).to_string()) } else { None };
    let next = next_cursor.as_ref().map(|cursor| url.with("cursor", cursor));
    CursorPage { next_cursor, next, results: rows }
}

/// Parses a cursor from a previous page (the last id it held); none, or an empty one, starts
/// at the beginning.
pub fn parse_cursor(cursor: Option<&str>) -> Result<i64, AppError> {
    match cursor.filter(|cursor| !cursor.is_empty()) {
        None => Ok(0),
        Some(text) => text.parse::<i64>().ok().filter(|id| *id >= 0).ok_or_else(|| {
            AppError::BadRequest(format!("cursor '{text}' is not one this API issued"), Some("cursor".to_string()))
        }),
    }
}
