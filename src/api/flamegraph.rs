//! `GET /api/profiling/flamegraph`: the spans of the next N seconds as a flamegraph (the seed's
//! cProfile, for a running server). Admin-only; one capture at a time.

use std::time::{Duration, SystemTime};

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::param::Query;
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::registry::{MetaMediaType, MetaResponses, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, Enum, OpenApi};

use super::auth::{AdminAuth, AdminBearer};
use super::error::{AppError, ErrorBody};
use super::ApiTags;
use crate::profiling::flame::capture::Capture;
use crate::profiling::flame::render;

/// Seconds captured when `seconds` is not given.
const DEFAULT_SECONDS: u32 = 10;

/// The SVG's inline script (inferno's search and zoom) may run; nothing may be loaded.
const SVG_POLICY: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'";

const FOLDED_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

pub struct FlamegraphApi {
    pub auth: AdminAuth,
}

/// How the capture is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum FlameFormat {
    /// An interactive SVG flamegraph drawn by inferno.
    Svg,
    /// Folded stacks as text, `frame;frame;frame nanoseconds` per line, for other tools.
    Folded,
}

/// The statuses of a capture. The 200 is written by [`FlameAnswer`], which adds the folded text.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "flame_bad_request")]
pub enum Flame {
    /// The capture: an SVG flamegraph (`format=svg`), or folded stacks as `text/plain`
    /// (`format=folded`). Frames are spans (`request`, `db:<operation>`, `db_write:<operation>`,
    /// `cache:get`, `serialize`, `job`); widths are self time in nanoseconds while entered. A window
    /// in which no span was entered gives an SVG that says so, or empty text.
    #[oai(status = 200, content_type = "image/svg+xml")]
    Svg(PlainText<String>, #[oai(header = "Content-Security-Policy")] Option<String>),
    /// `seconds` is outside 1 to 60, or `format` is not `svg` or `folded`.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No `Authorization: Bearer` token was sent.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// The token is not the admin token.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// Another capture is running; only one runs at a time.
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The server failed; the body carries the request id that its log names.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
}

fn flame_bad_request(err: poem::Error) -> Flame {
    AppError::from_poem(&err).into()
}

impl From<AppError> for Flame {
    fn from(err: AppError) -> Self {
        match err.status() {
            StatusCode::BAD_REQUEST => Flame::BadRequest(err.body()),
            StatusCode::UNAUTHORIZED => Flame::Unauthorized(err.body()),
            StatusCode::FORBIDDEN => Flame::Forbidden(err.body()),
            StatusCode::CONFLICT => Flame::Conflict(err.body()),
            _ => Flame::Internal(err.body()),
        }
    }
}

/// [`Flame`], or the folded text: one 200 with two media types, which the derive cannot say.
pub enum FlameAnswer {
    Flame(Flame),
    Folded(String),
}

impl From<AppError> for FlameAnswer {
    fn from(err: AppError) -> Self {
        FlameAnswer::Flame(err.into())
    }
}

impl ApiResponse for FlameAnswer {
    const BAD_REQUEST_HANDLER: bool = true;

    fn meta() -> MetaResponses {
        let mut meta = Flame::meta();
        if let Some(ok) = meta.responses.iter_mut().find(|response| response.status == Some(200)) {
            ok.content.push(MetaMediaType { content_type: FOLDED_CONTENT_TYPE, schema: String::schema_ref() });
        }
        meta
    }

    fn register(registry: &mut Registry) {
        Flame::register(registry);
    }

    fn from_parse_request_error(err: poem::Error) -> Self {
        FlameAnswer::Flame(Flame::from_parse_request_error(err))
    }
}

impl IntoResponse for FlameAnswer {
    fn into_response(self) -> Response {
        match self {
            FlameAnswer::Flame(flame) => flame.into_response(),
            FlameAnswer::Folded(text) => Response::builder().content_type(FOLDED_CONTENT_TYPE).body(text),
        }
    }
}

#[OpenApi(prefix_path = "/api/profiling", tag = "ApiTags::ProfilingFlame")]
impl FlamegraphApi {
    /// Capture a flamegraph
    ///
    /// Records the spans entered in the next `seconds` seconds, then answers with their
    /// flamegraph. Spans that began before the window are not charged with time from before it.
    /// Span timing measures time inside entered spans (a future being polled, a unit of work on
    /// its thread), not time spent awaiting. Admin-only; a second capture while one runs gets 409.
    #[oai(path = "/flamegraph", method = "get", operation_id = "profiling_flamegraph")]
    async fn flamegraph(
        &self,
        token: AdminBearer,
        /// Seconds to capture, 1 to 60 (default 10).
        #[oai(validator(minimum(value = "1"), maximum(value = "60")))]
        seconds: Query<Option<u32>>,
        /// `svg` (the default) or `folded`.
        format: Query<Option<FlameFormat>>,
    ) -> FlameAnswer {
        if let Err(err) = self.auth.verify(&token) {
            return err.into();
        }
        let seconds = seconds.0.unwrap_or(DEFAULT_SECONDS);
        let capture = match Capture::start() {
            Ok(capture) => capture,
            Err(busy) => return AppError::Conflict(busy.to_string()).into(),
        };
        let began = SystemTime::now();
        tokio::time::sleep(Duration::from_secs(seconds.into())).await;
        let folded = capture.finish();
        if format.0 == Some(FlameFormat::Folded) {
            return FlameAnswer::Folded(folded);
        }
        let title = format!("movielens: spans over {seconds} s");
        if folded.is_empty() {
            let message =
                format!("No span was entered in the {seconds} s window: no request, task or unit of work ran.");
            return svg(render::message_svg(&title, &message));
        }
        let subtitle = Some(format!("from {} UTC; widths are self time in ns", utc_time(began)));
        let drawn = tokio::task::spawn_blocking(move || render::svg(&folded, &title, subtitle)).await;
        match drawn {
            Ok(Ok(bytes)) => svg(String::from_utf8_lossy(&bytes).into_owned()),
            Ok(Err(err)) => AppError::Internal(err.into()).into(),
            Err(err) => AppError::Internal(err.into()).into(),
        }
    }
}

fn svg(body: String) -> FlameAnswer {
    FlameAnswer::Flame(Flame::Svg(PlainText(body), Some(SVG_POLICY.to_string())))
}

fn utc_time(time: SystemTime) -> String {
    let at: chrono::DateTime<chrono::Utc> = time.into();
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}
