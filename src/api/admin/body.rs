//! The admin writes' JSON bodies, read field by field so that a 400 lists every field's problem
//! at once (poem-openapi's own reader stops at the first). The spec still shows each body's
//! schema, with its limits.

use poem::{FromRequest, Request, RequestBody};
use poem_openapi::error::{ContentTypeError, ParseRequestPayloadError};
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaMediaType, MetaRequest, MetaSchemaRef, Registry};
use poem_openapi::types::{MaybeUndefined, Type};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};
use serde_json::{Map, Value};

use crate::api::error::InvalidBody;
use crate::model::admin::FieldError;

/// A body type the admin writes read themselves.
pub trait FromBody: Type + Sized + Send {
    /// Reads the fields; type problems go to `reader`, and broken fields take a default.
    fn read(reader: &mut BodyReader) -> Self;
    /// The rules' problems (see `crate::model::admin::rules`).
    fn problems(&self) -> Vec<FieldError>;
}

/// A JSON body of type `T`, read by [`FromBody`].
pub struct AdminJson<T>(pub T);

/// The fields of a JSON object, and the problems found reading them.
pub struct BodyReader {
    object: Map<String, Value>,
    problems: Vec<FieldError>,
}

impl BodyReader {
    fn problem(&mut self, field: &str, message: &str) {
        self.problems.push(FieldError::new(field, message));
    }

    /// The field's value; `None` if absent (a problem if `required`). Null is a problem: the
    /// schema does not admit it, and an optional field is left out instead.
    fn value(&mut self, field: &str, required: bool) -> Option<Value> {
        match self.object.get(field) {
            None if required => {
                self.problem(field, "is required");
                None
            }
            None => None,
            Some(Value::Null) => {
                let message =
                    if required { "is required and must not be null" } else { "must not be null; leave it out" };
                self.problem(field, message);
                None
            }
            Some(value) => Some(value.clone()),
        }
    }

    fn typed<T>(&mut self, field: &str, required: bool, kind: &str, cast: impl Fn(&Value) -> Option<T>) -> Option<T> {
        let value = self.value(field, required)?;
        let cast = cast(&value);
        if cast.is_none() {
            self.problem(field, &format!("must be {kind}"));
        }
        cast
    }

    pub fn whole(&mut self, field: &str) -> i64 {
        self.typed(field, true, "a whole number", Value::as_i64).unwrap_or_default()
    }

    pub fn optional_whole(&mut self, field: &str) -> Option<i64> {
        self.typed(field, false, "a whole number", Value::as_i64)
    }

    /// Absent, null (kept apart from absent), or a whole number.
    pub fn nullable_whole(&mut self, field: &str) -> MaybeUndefined<i64> {
        match self.object.get(field) {
            None => MaybeUndefined::Undefined,
            Some(Value::Null) => MaybeUndefined::Null,
            Some(_) => self.optional_whole(field).map_or(MaybeUndefined::Undefined, MaybeUndefined::Value),
        }
    }

    pub fn number(&mut self, field: &str) -> f64 {
        self.typed(field, true, "a number", Value::as_f64).unwrap_or_default()
    }

    pub fn optional_number(&mut self, field: &str) -> Option<f64> {
        self.typed(field, false, "a number", Value::as_f64)
    }

    pub fn text(&mut self, field: &str) -> String {
        self.optional_text_inner(field, true).unwrap_or_default()
    }

    pub fn optional_text(&mut self, field: &str) -> Option<String> {
        self.optional_text_inner(field, false)
    }

    fn optional_text_inner(&mut self, field: &str, required: bool) -> Option<String> {
        self.typed(field, required, "a string", |value| value.as_str().map(str::to_owned))
    }

    pub fn texts(&mut self, field: &str) -> Vec<String> {
        self.optional_texts_inner(field, true).unwrap_or_default()
    }

    pub fn optional_texts(&mut self, field: &str) -> Option<Vec<String>> {
        self.optional_texts_inner(field, false)
    }

    fn optional_texts_inner(&mut self, field: &str, required: bool) -> Option<Vec<String>> {
        let strings = |value: &Value| {
            value.as_array()?.iter().map(|item| item.as_str().map(str::to_owned)).collect::<Option<Vec<_>>>()
        };
        self.typed(field, required, "a list of strings", strings)
    }
}

/// Reads `data` as a `T`. A field of the wrong type fails it, with the rules' problems of the
/// other fields; otherwise the rules are the write's to check.
pub fn read_body<T: FromBody>(data: &[u8]) -> Result<T, Vec<FieldError>> {
    let value: Value = serde_json::from_slice(data)
        .map_err(|err| vec![FieldError::new("body", format!("is not valid JSON: {err}"))])?;
    let Value::Object(object) = value else {
        return Err(vec![FieldError::new("body", "must be a JSON object")]);
    };
    let mut reader = BodyReader { object, problems: Vec::new() };
    let body = T::read(&mut reader);
    let mut problems = reader.problems;
    if problems.is_empty() {
        // The rules run with the checks against the data, in the write, so that a 400 lists
        // both kinds at once (an empty title and an unknown genre).
        return Ok(body);
    }
    // A field that did not read took a default; its rule problems would only repeat that.
    let unread: Vec<String> = problems.iter().map(|problem| problem.field.clone()).collect();
    let belongs = |field: &str, to: &str| field == to || field.starts_with(&format!("{to}["));
    problems.extend(body.problems().into_iter().filter(|p| !unread.iter().any(|to| belongs(&p.field, to))));
    Err(problems)
}

impl<T: FromBody> Payload for AdminJson<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn check_content_type(content_type: &str) -> bool {
        // As poem-openapi's `Json`: `application/json` or `application/<anything>+json`.
        let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        essence.strip_prefix("application/").is_some_and(|subtype| subtype == "json" || subtype.ends_with("+json"))
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: FromBody> ParsePayload for AdminJson<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let data = <Vec<u8> as FromRequest>::from_request(request, body).await?;
        if data.is_empty() {
            return Err(ParseRequestPayloadError { reason: "a JSON body is required".to_string() }.into());
        }
        read_body(&data)
            .map(AdminJson)
            .map_err(|problems| poem::Error::new(InvalidBody(problems), poem::http::StatusCode::BAD_REQUEST))
    }
}

impl<'a, T: FromBody> ApiExtractor<'a> for AdminJson<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <Self as Payload>::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType { content_type: Self::CONTENT_TYPE, schema: Self::schema_ref() }],
            required: true,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        match request.content_type() {
            Some(content_type) if Self::check_content_type(content_type) => {
                <Self as ParsePayload>::from_request(request, body).await
            }
            Some(content_type) => Err(ContentTypeError::NotSupported { content_type: content_type.to_string() }.into()),
            None => Err(ContentTypeError::ExpectContentType.into()),
        }
    }
}
