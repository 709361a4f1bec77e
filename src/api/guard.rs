//! Checks that run before an operation's handler, and so before its body is read:
//! - an operation that declares the admin token gets it checked first, so a request with a bad
//!   token is a 401 or 403 whatever its body holds;
//! - a query parameter that takes one value may be given once: `page_size=5&page_size=500` is a
//!   400, not a silent choice of one of them.

use std::sync::Arc;

use poem::http::header;
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
        let query = request.uri().query().unwrap_or_default();
        for name in &rules.scalar_query_params {
            // Keys are compared decoded: `%70age_size` is `page_size`.
            let given = form_urlencoded::parse(query.as_bytes()).filter(|(key, _)| key == name).count();
            if given > 1 {
                return Err(AppError::BadRequest(
                    format!("query parameter '{name}' was given {given} times; it takes one value"),
                    Some(name.clone()),
                ));
            }
        }
        Ok(())
    }

    /// The guard as an `around` function for a poem endpoint.
    pub async fn around<E: Endpoint>(self: Arc<Self>, endpoint: Arc<E>, request: Request) -> poem::Result<Response> {
        if let Err(err) = self.check(&request) {
            return Ok(err.body().with_status(err.status()).into_response());
        }
        endpoint.call(request).await.map(IntoResponse::into_response)
    }
}
