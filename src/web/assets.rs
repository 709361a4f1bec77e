//! The pages' stylesheet and script, embedded in the binary and served under a version made of
//! their content's hash, so a browser may keep them for a year and still never runs a stale one.
//! No page has inline script or style: the Content-Security-Policy allows only these files.

use std::sync::LazyLock;

use poem_openapi::param::Path;
use poem_openapi::payload::PlainText;
use poem_openapi::{ApiResponse, OpenApi};
use ring::digest::{digest, SHA256};

use super::WebTags;

const STYLESHEET: &str = include_str!("static/web.css");
const SCRIPT: &str = include_str!("static/web.js");
const ICON: &str = include_str!("static/icon.svg");

/// The first 12 hex digits of the SHA-256 of the files.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let both = format!("{STYLESHEET}\u{0}{SCRIPT}\u{0}{ICON}");
    digest(&SHA256, both.as_bytes()).as_ref()[..6].iter().map(|byte| format!("{byte:02x}")).collect()
});

/// A year: the URL changes whenever the content does.
const NO_SUCH_VERSION: &str = "no file has this version; reload the page";

const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";

pub fn stylesheet_url() -> String {
    format!("/web/static/{}/web.css", *VERSION)
}

pub fn script_url() -> String {
    format!("/web/static/{}/web.js", *VERSION)
}

/// The pages' icon: without one a browser asks for `/favicon.ico` and logs the 404 as an error.
pub fn icon_url() -> String {
    format!("/web/static/{}/icon.svg", *VERSION)
}

/// Answers for the stylesheet.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "stylesheet_bad_request")]
pub enum Stylesheet {
    /// The stylesheet, cacheable for a year.
    #[oai(status = 200, content_type = "text/css; charset=utf-8")]
    Ok(PlainText<String>, #[oai(header = "Cache-Control")] String),
    /// No file has this version (a page from an older or newer server): reload the page.
    #[oai(status = 404)]
    NotFound(PlainText<String>),
}

fn stylesheet_bad_request(err: poem::Error) -> Stylesheet {
    Stylesheet::NotFound(PlainText(err.to_string()))
}

/// Answers for the script.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "script_bad_request")]
pub enum Script {
    /// The script, cacheable for a year.
    #[oai(status = 200, content_type = "text/javascript; charset=utf-8")]
    Ok(PlainText<String>, #[oai(header = "Cache-Control")] String),
    /// No file has this version (a page from an older or newer server): reload the page.
    #[oai(status = 404)]
    NotFound(PlainText<String>),
}

fn script_bad_request(err: poem::Error) -> Script {
    Script::NotFound(PlainText(err.to_string()))
}

/// Answers for the icon.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "icon_bad_request")]
pub enum Icon {
    /// The icon, cacheable for a year.
    #[oai(status = 200, content_type = "image/svg+xml")]
    Ok(PlainText<String>, #[oai(header = "Cache-Control")] String),
    /// No file has this version (a page from an older or newer server): reload the page.
    #[oai(status = 404)]
    NotFound(PlainText<String>),
}

fn icon_bad_request(err: poem::Error) -> Icon {
    Icon::NotFound(PlainText(err.to_string()))
}

pub struct AssetsApi;

#[OpenApi(tag = "WebTags::WebPages")]
impl AssetsApi {
    /// The pages' stylesheet
    ///
    /// `version` is the content's hash, as the pages link it; any other version is a 404.
    #[oai(path = "/web/static/:version/web.css", method = "get", operation_id = "web_stylesheet")]
    async fn stylesheet(&self, #[oai(validator(max_length = 64))] version: Path<String>) -> Stylesheet {
        match version.0 == *VERSION {
            true => Stylesheet::Ok(PlainText(STYLESHEET.to_string()), CACHE_FOREVER.to_string()),
            false => Stylesheet::NotFound(PlainText(NO_SUCH_VERSION.to_string())),
        }
    }

    /// The pages' script
    ///
    /// `version` is the content's hash, as the pages link it; any other version is a 404.
    #[oai(path = "/web/static/:version/web.js", method = "get", operation_id = "web_script")]
    async fn script(&self, #[oai(validator(max_length = 64))] version: Path<String>) -> Script {
        match version.0 == *VERSION {
            true => Script::Ok(PlainText(SCRIPT.to_string()), CACHE_FOREVER.to_string()),
            false => Script::NotFound(PlainText(NO_SUCH_VERSION.to_string())),
        }
    }

    /// The pages' icon
    ///
    /// `version` is the content's hash, as the pages link it; any other version is a 404.
    #[oai(path = "/web/static/:version/icon.svg", method = "get", operation_id = "web_icon")]
    async fn icon(&self, #[oai(validator(max_length = 64))] version: Path<String>) -> Icon {
        match version.0 == *VERSION {
            true => Icon::Ok(PlainText(ICON.to_string()), CACHE_FOREVER.to_string()),
            false => Icon::NotFound(PlainText(NO_SUCH_VERSION.to_string())),
        }
    }
}
