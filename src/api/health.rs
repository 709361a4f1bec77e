use poem_openapi::{Object, OpenApi};
use serde::Serialize;

use super::json::FastJson;
use super::ApiTags;

pub struct HealthApi {
    /// Whether the database was opened read-only (`serve --read-only`).
    pub read_only: bool,
}

/// Whether the server takes writes: `read-write`, or `read-only` when it was started with
/// `--read-only`.
#[derive(Debug, Clone, Copy, poem_openapi::Enum, Serialize)]
#[oai(rename_all = "kebab-case")]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Reads and writes.
    ReadWrite,
    /// Reads only (`serve --read-only`): writes answer 503.
    ReadOnly,
}

/// The server is up.
#[derive(Debug, Object, Serialize)]
pub struct Health {
    /// Always `ok` while the server answers.
    pub status: String,
    /// The server's version.
    pub version: String,
    // No doc comment here: it would wrap the reference to the `Mode` enum in an `allOf`, which
    // openapi-python-client cannot parse for an enum. `Mode` carries the description.
    pub mode: Mode,
}

#[OpenApi(prefix_path = "/api", tag = "ApiTags::Health")]
impl HealthApi {
    /// Health check
    ///
    /// Answers without touching the database, so it is also the ceiling for throughput benchmarks.
    #[oai(path = "/health", method = "get", operation_id = "health")]
    async fn health(&self) -> FastJson<Health> {
        let mode = if self.read_only { Mode::ReadOnly } else { Mode::ReadWrite };
        FastJson(Health { status: "ok".to_string(), version: env!("CARGO_PKG_VERSION").to_string(), mode })
    }
}
