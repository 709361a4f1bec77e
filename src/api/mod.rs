//! The HTTP API: one `#[OpenApi]` struct per tag, combined into one documented service.

mod health;

use poem_openapi::{OpenApiService, Tags};

pub use health::HealthApi;

/// Swagger UI groups operations by these tags; their doc comments are the group descriptions.
#[derive(Tags)]
pub enum ApiTags {
    /// Service health, for load balancers and benchmarks.
    Health,
}

/// Every API struct, in the order Swagger UI lists them; later groups join this tuple.
pub type Apis = HealthApi;

/// The documented API service. `server_url` is the base URL shown in the spec's `servers`.
pub fn service(server_url: Option<&str>) -> OpenApiService<Apis, ()> {
    let service = OpenApiService::new(HealthApi, "MovieLens API", env!("CARGO_PKG_VERSION"))
        .description("Browse the MovieLens data set: movies, genres, ratings, tags and links.");
    match server_url {
        Some(url) => service.server(url),
        None => service,
    }
}

/// The OpenAPI document as pretty JSON, as served at `/openapi.json` and committed in `openapi/`.
pub fn spec_json() -> String {
    service(None).spec()
}
