//! The schema and JSON of an error's `details`: a string, or a list of `{field, message}`.

use std::borrow::Cow;

use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use serde_json::Value;

use super::error::ErrorDetails;
use crate::model::admin::FieldError;

impl Type for ErrorDetails {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "ErrorDetails".into()
    }

    // Inline rather than a named schema: a field's description around a reference becomes
    // `allOf`, which client generators refuse for a schema that is not an object.
    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            one_of: vec![String::schema_ref(), <Vec<FieldError>>::schema_ref()],
            ..MetaSchema::ANY
        }))
    }

    fn register(registry: &mut Registry) {
        <Vec<FieldError>>::register(registry);
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ToJSON for ErrorDetails {
    fn to_json(&self) -> Option<Value> {
        match self {
            ErrorDetails::Text(text) => Some(Value::String(text.clone())),
            ErrorDetails::Fields(fields) => fields.to_json(),
        }
    }
}

impl ParseFromJSON for ErrorDetails {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(text)) => Ok(ErrorDetails::Text(text)),
            other => <Vec<FieldError>>::parse_from_json(other).map(ErrorDetails::Fields).map_err(ParseError::propagate),
        }
    }
}
