//! Fetching an official GroupLens zip. The URL's base is configurable, which is also the seam the
//! tests use: they serve a zip of their own over local HTTP and import through this same code.

use std::io;

use tempfile::NamedTempFile;

use super::source::{SourceKind, ZipSource};
use super::ImportError;
use crate::config::Dataset;

pub fn dataset_url(base_url: &str, dataset: Dataset) -> String {
    format!("{}/{}.zip", base_url.trim_end_matches('/'), dataset.name())
}

/// Downloads `dataset` into a temporary file (deleted when dropped) and opens it as a source.
pub fn fetch(base_url: &str, dataset: Dataset, progress: bool) -> Result<(NamedTempFile, ZipSource), ImportError> {
    let url = dataset_url(base_url, dataset);
    let failed =
        |problem: &dyn std::fmt::Display| ImportError::Download { url: url.clone(), problem: problem.to_string() };
    tracing::info!(%url, "downloading");
    let response = ureq::get(&url).call().map_err(|err| failed(&err))?;
    let size = response
        .headers()
        .get("content-length")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok());
    let bar = super::progress::bar(progress, size, "download");
    let mut file = NamedTempFile::new().map_err(|err| failed(&err))?;
    let mut body = bar.wrap_read(response.into_body().into_reader());
    let written = io::copy(&mut body, &mut file).map_err(|err| failed(&err))?;
    bar.finish();
    if size.is_some_and(|expected: u64| expected != written) {
        return Err(failed(&format!("received {written} bytes of {}", size.unwrap_or_default())));
    }
    let source = ZipSource::open(file.path(), SourceKind::Download, format!("{} ({url})", dataset.name()))?;
    Ok((file, source))
}
