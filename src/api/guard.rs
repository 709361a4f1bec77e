//! Checks that run before an operation's handler, and so before its body is read:
//! - an operation that declares the admin token gets it checked first, so a request with a bad
//!   token is a 401 or 403 whatever its body holds;
//! - a query parameter that takes one value may be given once: `page_size=5&page_size=500` is a
//!   400, not a silent choice of one of them.

use std::sync::Arc;

use poem::http::header;
use poem::web::Html;
use poem::{Endpoint, IntoResponse, Request, Response};

use super::auth::AdminAuth;
use super::error::AppError;
use super::operations::Operations;

/// The guard's view of the app: the documented operations, and the token to check against.
#[derive(Clone)]
pub struct Guard {
    pub operations: Operations,
    pub auth: AdminAuth,
}

impl Guard {
    /// Runs the checks; `Err` is the response to send instead of calling the handler.
    pub fn check(&self, request: &Request) -> Result<(), AppError> {
        let Some(rules) = self.operations.find(request.method().as_str(), request.uri().path()) else {
            return Ok(()); // not an operation: the router answers 404 or 405
        };
        if rules.secured {
            let authorization = request.headers().get(header::AUTHORIZATION).map(|value| value.as_bytes());
            self.auth.verify_header(authorization)?;
        }
        // Keys are compared decoded: `%70age_size` is `page_size`. One pass over the query.
        let query = request.uri().query().unwrap_or_default();
        let mut given: Vec<(String, usize)> = Vec::new();
        for (key, _) in form_urlencoded::parse(query.as_bytes()) {
            match given.iter_mut().find(|(name, _)| *name == key) {
                Some((_, count)) => *count += 1,
                None => given.push((key.into_owned(), 1)),
            }
        }
        let repeated = given.into_iter().find(|(name, count)| *count > 1 && rules.scalar_query_params.contains(name));
        if let Some((name, count)) = repeated {
            return Err(AppError::BadRequest(
                format!("query parameter '{name}' was given {count} times; it takes one value"),
                Some(name),
            ));
        }
        Ok(())
    }

    /// The guard as an `around` function for a poem endpoint.
    pub async fn around<E: Endpoint>(self: Arc<Self>, endpoint: Arc<E>, request: Request) -> poem::Result<Response> {
        if let Err(err) = self.check(&request) {
            // The HTML pages document their refusals as HTML pages, the API in its JSON shape.
            if crate::web::headers::is_page_path(request.uri().path()) {
                let page = crate::web::templates::message("Bad request", &format!("{err}."), None);
                return Ok(Html(page).with_status(err.status()).into_response());
            }
            return Ok(err.body().with_status(err.status()).into_response());
        }
        endpoint.call(request).await.map(IntoResponse::into_response)
    }
}
