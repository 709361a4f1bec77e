use poem_openapi::{Object, OpenApi};
use serde::Serialize;

use super::json::FastJson;
use super::ApiTags;

pub struct HealthApi;

/// The server is up.
#[derive(Debug, Object, Serialize)]
pub struct Health {
    /// Always `ok` while the server answers.
    pub status: String,
    /// The server's version.
    pub version: String,
}

#[OpenApi(prefix_path = "/api", tag = "ApiTags::Health")]
impl HealthApi {
    /// Health check
    ///
    /// Answers without touching the database, so it is also the ceiling for throughput benchmarks.
    #[oai(path = "/health", method = "get", operation_id = "health")]
    async fn health(&self) -> FastJson<Health> {
        FastJson(Health { status: "ok".to_string(), version: env!("CARGO_PKG_VERSION").to_string() })
    }
}
