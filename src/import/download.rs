//! Fetching an official GroupLens zip. The URL's base is configurable, which is also the seam the
//! tests use: they serve a zip of their own over local HTTP and import through this same code.
//!
//! A download is bounded: time limits on connecting, on a stalled server and on the whole body, a
//! size limit, and a check against the `.md5` file GroupLens publishes beside each zip. A mirror
//! without `.md5` files is accepted with a warning; a checksum that does not match is refused.

use std::io::{self, Read, Write};
use std::time::Duration;

use clap::Args;
use md5::{Digest, Md5};
use tempfile::NamedTempFile;

use super::cancel::Cancel;
use super::source::{SourceKind, ZipSource};
use super::ImportError;
use crate::config::Dataset;

/// Limits of `import --dataset`'s download.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct DownloadConfig {
    /// Seconds to wait for a connection to the server.
    #[arg(long = "download-connect-timeout", env = "MOVIELENS_DOWNLOAD_CONNECT_TIMEOUT", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub connect_timeout_secs: u64,
    /// Seconds a stalled server gets: to start answering, and to send each next piece of the body.
    #[arg(long = "download-read-timeout", env = "MOVIELENS_DOWNLOAD_READ_TIMEOUT", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub read_timeout_secs: u64,
    /// Seconds the whole body may take (ml-32m is about 240 MB).
    #[arg(long = "download-timeout", env = "MOVIELENS_DOWNLOAD_TIMEOUT", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout_secs: u64,
    /// The largest download accepted, in bytes.
    #[arg(long = "download-max-bytes", env = "MOVIELENS_DOWNLOAD_MAX_BYTES", default_value_t = 2 << 30)]
    pub max_bytes: u64,
}

impl Default for DownloadConfig {
    fn default() -> Self {
        Self { connect_timeout_secs: 30, read_timeout_secs: 60, body_timeout_secs: 3600, max_bytes: 2 << 30 }
    }
}

/// The `.md5` file is a line of text; anything longer is not one.
const MD5_FILE_MAX_BYTES: u64 = 4096;

pub fn dataset_url(base_url: &str, dataset: Dataset) -> String {
    format!("{}/{}.zip", base_url.trim_end_matches('/'), dataset.name())
}

/// Downloads `dataset` into a temporary file (deleted when dropped, or by `cancel`'s signal
/// handler if the command is interrupted) and opens it as a source.
pub fn fetch(
    base_url: &str,
    dataset: Dataset,
    limits: &DownloadConfig,
    progress: bool,
    cancel: &Cancel,
) -> Result<(NamedTempFile, ZipSource), ImportError> {
    let url = dataset_url(base_url, dataset);
    let failed = |problem: String| ImportError::Download { url: url.clone(), problem };
    let agent = agent(limits);
    let expected_md5 = published_md5(&agent, &url, limits)?;
    tracing::info!(%url, "downloading");
    let response = agent.get(&url).call().map_err(|err| failed(describe(&err, limits)))?;
    let size: Option<u64> = response
        .headers()
        .get("content-length")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok());
    if let Some(size) = size.filter(|&size| size > limits.max_bytes) {
        return Err(failed(too_large(size, limits)));
    }
    let mut file = NamedTempFile::new().map_err(|err| failed(err.to_string()))?;
    cancel.remove_on_interrupt(file.path());
    let bar = super::progress::bar(progress, size, "download");
    let mut body = response.into_body().into_reader();
    let (mut buffer, mut hasher, mut written) = (vec![0u8; 1 << 16], Md5::new(), 0u64);
    loop {
        cancel.check()?;
        let read = body.read(&mut buffer).map_err(|err| failed(describe_io(&err, limits)))?;
        if read == 0 {
            break;
        }
        written += read as u64;
        if written > limits.max_bytes {
            return Err(failed(too_large(written, limits)));
        }
        hasher.update(&buffer[..read]);
        file.write_all(&buffer[..read]).map_err(|err| failed(err.to_string()))?;
        bar.inc(read as u64);
    }
    bar.finish();
    if size.is_some_and(|expected: u64| expected != written) {
        return Err(failed(format!("received {written} bytes of {}", size.unwrap_or_default())));
    }
    let actual = hex(&hasher.finalize());
    match expected_md5 {
        Some(expected) if expected != actual => {
            return Err(failed(format!(
                "its MD5 is {actual}, but {url}.md5 says {expected}: refusing a corrupt or altered file"
            )))
        }
        Some(_) => tracing::info!(md5 = %actual, "the download matches its published checksum"),
        None => {}
    }
    let source = ZipSource::open(file.path(), SourceKind::Download, format!("{} ({url})", dataset.name()))?;
    Ok((file, source))
}

fn agent(limits: &DownloadConfig) -> ureq::Agent {
    let secs = Duration::from_secs;
    ureq::Agent::config_builder()
        .timeout_resolve(Some(secs(limits.connect_timeout_secs)))
        .timeout_connect(Some(secs(limits.connect_timeout_secs)))
        .timeout_recv_response(Some(secs(limits.read_timeout_secs)))
        .timeout_per_read(Some(secs(limits.read_timeout_secs)))
        .timeout_recv_body(Some(secs(limits.body_timeout_secs)))
        .build()
        .into()
}

/// The checksum GroupLens publishes at `<url>.md5`, or `None` (with a warning) when the server has
/// no such file. Any other failure to fetch it fails the download: it may hide a broken mirror.
fn published_md5(agent: &ureq::Agent, url: &str, limits: &DownloadConfig) -> Result<Option<String>, ImportError> {
    let md5_url = format!("{url}.md5");
    let failed = |problem: String| ImportError::Download { url: md5_url.clone(), problem };
    let text = match agent.get(&md5_url).call() {
        Ok(mut response) => response
            .body_mut()
            .with_config()
            .limit(MD5_FILE_MAX_BYTES)
            .read_to_string()
            .map_err(|err| failed(describe(&err, limits)))?,
        Err(ureq::Error::StatusCode(404)) => {
            tracing::warn!(%md5_url, "no published checksum: the download cannot be checked against one");
            return Ok(None);
        }
        Err(err) => return Err(failed(describe(&err, limits))),
    };
    // GroupLens writes `MD5 (name.zip) = <hex>`; md5sum writes `<hex>  name.zip`. Take the hex word.
    let checksum = text
        .split(|c: char| c.is_whitespace() || "=()".contains(c))
        .find(|word| word.len() == 32 && word.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| failed(format!("it holds no MD5 checksum: '{}'", text.trim())))?;
    Ok(Some(checksum.to_ascii_lowercase()))
}

fn too_large(bytes: u64, limits: &DownloadConfig) -> String {
    format!("it is larger than {} bytes ({bytes} or more; raise --download-max-bytes)", limits.max_bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A ureq error in words, naming the limit that fired and the flag that sets it.
fn describe(err: &ureq::Error, limits: &DownloadConfig) -> String {
    use ureq::Timeout;
    match err {
        ureq::Error::Timeout(Timeout::Resolve | Timeout::Connect) => {
            format!("no connection within {} s (--download-connect-timeout)", limits.connect_timeout_secs)
        }
        ureq::Error::Timeout(Timeout::RecvResponse | Timeout::PerRead) => {
            format!("the server sent nothing for {} s (--download-read-timeout)", limits.read_timeout_secs)
        }
        ureq::Error::Timeout(Timeout::RecvBody) => {
            format!("the download took longer than {} s (--download-timeout)", limits.body_timeout_secs)
        }
        ureq::Error::BodyExceedsLimit(limit) => format!("the response is larger than {limit} bytes"),
        ureq::Error::Io(err) => err.to_string(),
        other => other.to_string(),
    }
}

fn describe_io(err: &io::Error, limits: &DownloadConfig) -> String {
    match err.get_ref().and_then(|inner| inner.downcast_ref::<ureq::Error>()) {
        Some(inner) => describe(inner, limits),
        None => err.to_string(),
    }
}
