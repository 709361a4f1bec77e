//! `FastJson`: a JSON response body written straight from the value by serde.
//!
//! poem-openapi's `Json` first turns the value into a `serde_json::Value` tree (a map with an
//! owned key per field) and then serializes that. On list pages that allocation dominated the
//! cost of a request. `FastJson` documents the same schema, from the value's poem-openapi type,
//! and serializes in one pass; the response types derive `serde::Serialize` with the same field
//! names and the same omitted `None`s, which the contract checks (schemathesis) verify.

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use poem_openapi::ApiResponse;
use serde::Serialize;

pub struct FastJson<T>(pub T);

impl<T: Type> Payload for FastJson<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type + Serialize + Send> IntoResponse for FastJson<T> {
    fn into_response(self) -> Response {
        let _span = tracing::debug_span!("serialize").entered();
        // A page of 20 movies is a few KiB: start there rather than growing from empty.
        let mut body = Vec::with_capacity(4096);
        match serde_json::to_writer(&mut body, &self.0) {
            Ok(()) => Response::builder().content_type(Self::CONTENT_TYPE).body(body),
            Err(err) => {
                tracing::error!(error = %err, "serializing a response failed");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

/// As a whole response: 200 with this body (for operations that cannot fail).
impl<T: Type + Serialize + Send> ApiResponse for FastJson<T> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "Success.",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType { content_type: Self::CONTENT_TYPE, schema: Self::schema_ref() }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}
