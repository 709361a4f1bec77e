use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::ApiTags;

pub struct HealthApi;

/// The server is up.
#[derive(Debug, Object)]
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
    async fn health(&self) -> Json<Health> {
        Json(Health { status: "ok".to_string(), version: env!("CARGO_PKG_VERSION").to_string() })
    }
}
