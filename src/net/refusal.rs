//! Requests that hyper refuses before the app sees them (a URL or head too large, bytes it cannot
//! parse) get an empty-bodied response from hyper. This swaps that response for one in the API's
//! error shape, with a request id, so that every error a client sees has the same body.

use std::fmt::Write as _;

/// hyper's own error responses are the only ones without the `x-request-id` the app always sets.
/// Returns the status and the head without its `content-length`.
fn is_hypers_refusal(response: &[u8]) -> Option<(u16, String)> {
    // Every write passes through here: rule out bodies and large heads cheaply first.
    if response.len() > 512 || !response.starts_with(b"HTTP/1.") || !response.ends_with(b"\r\n\r\n") {
        return None;
    }
    let text = std::str::from_utf8(response).ok()?;
    let head = text.strip_suffix("\r\n\r\n")?;
    let status_line = head.lines().next()?;
    let status: u16 = status_line.strip_prefix("HTTP/1.")?.get(2..5)?.parse().ok()?;
    let lower = head.to_ascii_lowercase();
    let refusal = (400..600).contains(&status)
        && lower.contains("\r\ncontent-length: 0")
        && !lower.contains("\r\nx-request-id:")
        && !lower.contains("\r\ncontent-type:");
    let kept = head.split("\r\n").filter(|line| !line.to_ascii_lowercase().starts_with("content-length:"));
    refusal.then(|| (status, kept.collect::<Vec<_>>().join("\r\n")))
}

/// The replacement for `response` if it is one of hyper's refusals.
pub fn in_error_shape(response: &[u8]) -> Option<Vec<u8>> {
    let (status, head) = is_hypers_refusal(response)?;
    let (code, message) = match status {
        414 => ("uri_too_long", "the URL is too long"),
        431 => ("headers_too_large", "the request head is too large: too many or too long headers"),
        400 => ("invalid_request", "the request is not valid HTTP: a byte, header or length could not be parsed"),
        _ => ("invalid_request", "the request could not be read"),
    };
    let request_id = format!("{:016x}", fastrand::u64(..));
    tracing::info!(status, %request_id, "request refused by the HTTP parser");
    let body = serde_json::json!({ "code": code, "message": message, "request_id": request_id }).to_string();
    let mut replacement = String::new();
    let _ = write!(
        replacement,
        "{head}\r\ncontent-type: application/json; charset=utf-8\r\n\
         x-request-id: {request_id}\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    Some(replacement.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hypers_empty_refusals_are_replaced() {
        let hyper = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";
        let replaced = String::from_utf8(in_error_shape(hyper).unwrap()).unwrap();
        assert!(replaced.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"), "{replaced}");
        assert!(replaced.contains("\"code\":\"headers_too_large\""), "{replaced}");
        let app = b"HTTP/1.1 404 Not Found\r\nx-request-id: abc\r\ncontent-length: 0\r\n\r\n";
        assert!(in_error_shape(app).is_none());
        assert!(in_error_shape(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
    }
}
