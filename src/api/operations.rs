//! What the OpenAPI document says of each operation, for the checks that run before a handler
//! (which operations need the admin token, which query parameters take a single value) and for
//! the `Allow` header of a 405.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// One documented operation.
#[derive(Debug, Clone, Default)]
pub struct OperationRules {
    /// The operation declares the admin bearer scheme (`AdminBearer`).
    pub secured: bool,
    /// Query parameters that take one value (not arrays): a repeat is refused.
    pub scalar_query_params: Vec<String>,
}

/// One documented path template (split into segments) and its operations by method.
struct DocumentedPath {
    /// As the spec writes it, e.g. `/api/movies/{id}`: the route label of the metrics.
    text: Arc<str>,
    template: Vec<String>,
    by_method: BTreeMap<String, OperationRules>,
}

/// Every documented operation, by path template and method.
#[derive(Clone, Default)]
pub struct Operations(Arc<Index>);

/// The templates, found by a request's path on every request (the guard, the request context,
/// the metrics): a template without parameters by the path itself, others among those with as
/// many segments.
#[derive(Default)]
struct Index {
    paths: Vec<DocumentedPath>,
    literal: HashMap<String, usize>,
    by_segment_count: Vec<Vec<usize>>,
}

impl Index {
    fn new(paths: Vec<DocumentedPath>) -> Self {
        let mut literal = HashMap::new();
        let mut by_segment_count: Vec<Vec<usize>> = Vec::new();
        for (at, path) in paths.iter().enumerate() {
            if !path.template.iter().any(|part| part.starts_with('{')) {
                literal.insert(format!("/{}", path.template.join("/")), at);
            }
            let count = path.template.len();
            if by_segment_count.len() <= count {
                by_segment_count.resize_with(count + 1, Vec::new);
            }
            by_segment_count[count].push(at);
        }
        Self { paths, literal, by_segment_count }
    }
}

impl Operations {
    pub fn from_spec(spec_json: &str) -> Self {
        let spec: serde_json::Value = serde_json::from_str(spec_json).unwrap_or_default();
        let mut paths = Vec::new();
        for (template, operations) in spec["paths"].as_object().into_iter().flatten() {
            let mut by_method = BTreeMap::new();
            for (method, operation) in operations.as_object().into_iter().flatten() {
                // Only the admin bearer token is checked here; a page's session is its own guard's.
                let secured = operation["security"]
                    .as_array()
                    .is_some_and(|schemes| schemes.iter().any(|scheme| scheme.get("AdminBearer").is_some()));
                let scalar_query_params = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|param| param["in"] == "query" && param["schema"]["type"] != "array")
                    .filter_map(|param| param["name"].as_str().map(str::to_owned))
                    .collect();
                by_method.insert(method.to_uppercase(), OperationRules { secured, scalar_query_params });
            }
            paths.push(DocumentedPath { text: Arc::from(template.as_str()), template: segments(template), by_method });
        }
        Self(Arc::new(Index::new(paths)))
    }

    /// The template `path` matches; as the router does, a literal segment wins over a parameter
    /// (`/api/movies/select-related` is not `/api/movies/{movie_id}`). Runs on every request (the
    /// guard, the metrics), so it compares segments without copying them.
    fn documented(&self, path: &str) -> Option<&DocumentedPath> {
        let index = &*self.0;
        if let Some(&at) = index.literal.get(path) {
            return Some(&index.paths[at]);
        }
        let count = path.split('/').filter(|part| !part.is_empty()).count();
        let candidates = index.by_segment_count.get(count)?.iter().map(|&at| &index.paths[at]);
        let matches = |template: &[String]| {
            let mut actual = path.split('/').filter(|part| !part.is_empty());
            template.iter().all(|part| actual.next().is_some_and(|actual| part.starts_with('{') || part == actual))
                && actual.next().is_none()
        };
        let parameters = |template: &[String]| template.iter().filter(|part| part.starts_with('{')).count();
        candidates.filter(|path| matches(&path.template)).min_by_key(|path| parameters(&path.template))
    }

    /// The operations documented for the template that `path` matches, by method.
    pub fn for_path(&self, path: &str) -> Option<&BTreeMap<String, OperationRules>> {
        self.documented(path).map(|path| &path.by_method)
    }

    /// The documented template that `path` matches, e.g. `/api/movies/{id}` for `/api/movies/7`.
    pub fn template(&self, path: &str) -> Option<Arc<str>> {
        self.documented(path).map(|path| path.text.clone())
    }

    /// The methods `path` accepts, for the `Allow` header of a 405, e.g. `DELETE, GET, HEAD`;
    /// empty for an undocumented path.
    pub fn allowed_methods(&self, path: &str) -> String {
        let Some(by_method) = self.for_path(path) else { return String::new() };
        let mut methods: Vec<&str> = by_method.keys().map(String::as_str).collect();
        if by_method.contains_key("GET") {
            methods.push("HEAD");
        }
        methods.join(", ")
    }

    /// The rules of the operation `method path` (HEAD follows GET's), if it is documented.
    pub fn find(&self, method: &str, path: &str) -> Option<&OperationRules> {
        let method = if method == "HEAD" { "GET" } else { method };
        self.for_path(path)?.get(method)
    }
}

pub fn segments(path: &str) -> Vec<String> {
    path.split('/').filter(|part| !part.is_empty()).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::Operations;

    #[test]
    fn only_the_admin_bearer_scheme_makes_an_operation_need_the_token() {
        let spec = r#"{"paths": {
            "/api/ratings": {"post": {"security": [{"AdminBearer": []}]}},
            "/web/page": {"post": {"security": [{"WebSession": []}]}},
            "/login": {"post": {}}
        }}"#;
        let operations = Operations::from_spec(spec);
        assert!(operations.find("POST", "/api/ratings").unwrap().secured);
        assert!(!operations.find("POST", "/web/page").unwrap().secured, "a session cookie is the page's own guard");
        assert!(!operations.find("POST", "/login").unwrap().secured);
    }

    #[test]
    fn a_literal_segment_wins_over_a_parameter_whatever_the_order_in_the_spec() {
        let spec = r#"{"paths": {
            "/api/movies/{movie_id}": {"get": {}},
            "/api/movies/select-related": {"get": {"parameters": [{"in": "query", "name": "limit", "schema": {}}]}}
        }}"#;
        let operations = Operations::from_spec(spec);
        assert_eq!(operations.template("/api/movies/select-related/").as_deref(), Some("/api/movies/select-related"));
        assert_eq!(operations.find("GET", "/api/movies/select-related").unwrap().scalar_query_params, ["limit"]);
        assert_eq!(operations.template("/api/movies/7").as_deref(), Some("/api/movies/{movie_id}"));
        assert_eq!(operations.template("/api/movies/7/extra"), None);
    }

    #[test]
    fn a_path_finds_its_template_however_its_slashes_are_written() {
        let spec = r#"{"paths": {"/": {"get": {}}, "/api/genres": {"get": {}}, "/api/genres/{name}": {"get": {}}}}"#;
        let operations = Operations::from_spec(spec);
        for path in ["/api/genres", "/api/genres/", "//api//genres"] {
            assert_eq!(operations.template(path).as_deref(), Some("/api/genres"), "{path}");
        }
        assert_eq!(operations.template("/api/genres/Drama/").as_deref(), Some("/api/genres/{name}"));
        assert_eq!(operations.template("/").as_deref(), Some("/"));
        assert_eq!(operations.template("/api"), None);
        assert_eq!(operations.template("/api/genres/Drama/movies/more"), None);
    }
}
