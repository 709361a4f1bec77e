//! Finds where a request head ends in a byte stream, and what follows it, without parsing HTTP
//! fully: hyper does that. This only needs to know which deadline applies next.

/// Head bytes kept for reading the framing headers; a longer head is refused by hyper anyway.
const KEPT_HEAD_BYTES: usize = 16 * 1024;

/// What follows a request head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body (no `Content-Length` or `Transfer-Encoding`).
    NoBody,
    /// A body of this many bytes.
    Length(u64),
    /// A chunked body.
    Chunked,
    /// A body whose end only the HTTP parser knows (a head too long to keep, other codings).
    Unknown,
    /// The HTTP/2 connection preface: frames follow, not HTTP/1 heads.
    Http2,
}

/// Reads a request head as it arrives, byte by byte.
#[derive(Debug, Default)]
pub struct HeadReader {
    kept: Vec<u8>,
    truncated: bool,
    /// The last significant byte was a line feed (carriage returns do not count).
    after_newline: bool,
}

impl HeadReader {
    /// Feeds bytes; once the blank line that ends the head is seen, returns how many of `bytes`
    /// belonged to the head, and the framing of what follows.
    pub fn feed(&mut self, bytes: &[u8]) -> Option<(usize, Framing)> {
        for (index, &byte) in bytes.iter().enumerate() {
            if self.kept.len() < KEPT_HEAD_BYTES {
                self.kept.push(byte);
            } else {
                self.truncated = true;
            }
            match byte {
                // A blank line: `\r\n\r\n`, or a bare `\n\n`, which hyper also accepts.
                b'\n' if self.after_newline => return Some((index + 1, self.framing())),
                b'\n' => self.after_newline = true,
                b'\r' => {}
                _ => self.after_newline = false,
            }
        }
        None
    }

    fn framing(&self) -> Framing {
        if self.truncated {
            return Framing::Unknown;
        }
        let mut lines = self.kept.split(|&byte| byte == b'\n').map(|line| line.strip_suffix(b"\r").unwrap_or(line));
        // Blank lines before the request line are allowed.
        let request_line = lines.by_ref().find(|line| !line.is_empty()).unwrap_or_default();
        if request_line.starts_with(b"PRI * HTTP/2.0") {
            return Framing::Http2;
        }
        let mut framing = Framing::NoBody;
        for line in lines {
            let Some(colon) = line.iter().position(|&byte| byte == b':') else { continue };
            let (name, value) = (&line[..colon], String::from_utf8_lossy(&line[colon + 1..]));
            if name.eq_ignore_ascii_case(b"transfer-encoding") {
                let last_coding = value.rsplit(',').next().unwrap_or_default().trim().to_ascii_lowercase();
                return if last_coding == "chunked" { Framing::Chunked } else { Framing::Unknown };
            }
            if name.eq_ignore_ascii_case(b"content-length") {
                framing = value.trim().parse().map_or(Framing::Unknown, Framing::Length);
            }
        }
        framing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_split_across_reads_ends_at_its_blank_line() {
        let mut head = HeadReader::default();
        assert_eq!(head.feed(b"POST / HTTP/1.1\r\nContent-Length: 3\r"), None);
        assert_eq!(head.feed(b"\n\r\nabc"), Some((3, Framing::Length(3))));
    }

    #[test]
    fn chunked_bare_newline_and_http2_heads_are_told_apart() {
        let chunked = b"POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n";
        assert_eq!(HeadReader::default().feed(chunked), Some((chunked.len(), Framing::Chunked)));
        assert_eq!(HeadReader::default().feed(b"GET / HTTP/1.1\nHost: a\n\n"), Some((24, Framing::NoBody)));
        assert_eq!(HeadReader::default().feed(b"PRI * HTTP/2.0\r\n\r\nSM"), Some((18, Framing::Http2)));
    }
}
