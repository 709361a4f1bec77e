//! Follows a chunked request body to its end (hex sizes, data, trailers, a blank line), so that
//! the body deadline stops once the body is in, not when the response starts.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// A chunk-size line: hex digits, then maybe `;extensions`.
    Size {
        value: u64,
        digits: u32,
        in_extension: bool,
    },
    Data(u64),
    /// The line end after a chunk's data.
    DataEnd,
    /// Trailer lines after the last chunk; a blank one ends the body.
    Trailers {
        line_empty: bool,
    },
    /// Not valid chunking: hyper refuses it; the end is no longer known.
    Malformed,
}

#[derive(Debug)]
pub struct ChunkedBody(State);

impl Default for ChunkedBody {
    fn default() -> Self {
        Self(State::Size { value: 0, digits: 0, in_extension: false })
    }
}

impl ChunkedBody {
    /// Feeds body bytes; once the body ends, returns how many of `bytes` belonged to it.
    pub fn feed(&mut self, bytes: &[u8]) -> Option<usize> {
        let mut index = 0;
        while index < bytes.len() {
            if let State::Data(left) = &mut self.0 {
                let used = (*left).min((bytes.len() - index) as u64);
                *left -= used;
                index += used as usize;
                if *left == 0 {
                    self.0 = State::DataEnd;
                }
                continue;
            }
            let byte = bytes[index];
            index += 1;
            self.0 = match (self.0, byte) {
                (State::Size { digits: 0, .. }, b'\n') => State::Malformed,
                (State::Size { value: 0, .. }, b'\n') => State::Trailers { line_empty: true },
                (State::Size { value, .. }, b'\n') => State::Data(value),
                (size @ State::Size { .. }, b'\r' | b' ' | b'\t') => size,
                (State::Size { value, digits, in_extension: false }, b';') => {
                    State::Size { value, digits, in_extension: true }
                }
                (size @ State::Size { in_extension: true, .. }, _) => size,
                (State::Size { value, digits, in_extension: false }, digit) => {
                    match (char::from(digit).to_digit(16), value.checked_mul(16)) {
                        (Some(digit), Some(shifted)) if digits < 16 => {
                            State::Size { value: shifted + u64::from(digit), digits: digits + 1, in_extension: false }
                        }
                        _ => State::Malformed,
                    }
                }
                (State::DataEnd, b'\r') => State::DataEnd,
                (State::DataEnd, b'\n') => State::Size { value: 0, digits: 0, in_extension: false },
                (State::DataEnd, _) => State::Malformed,
                (State::Trailers { line_empty: true }, b'\n') => return Some(index),
                (State::Trailers { .. }, b'\n') => State::Trailers { line_empty: true },
                (trailers @ State::Trailers { .. }, b'\r') => trailers,
                (State::Trailers { .. }, _) => State::Trailers { line_empty: false },
                (State::Malformed | State::Data(_), _) => State::Malformed,
            };
            if self.0 == State::Malformed {
                return None;
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunked_body_ends_after_its_last_chunk_and_trailers_however_it_is_split() {
        let body = b"4;name=x\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Trailer: 1\r\n\r\nGET /next";
        let end = body.len() - b"GET /next".len();
        assert_eq!(ChunkedBody::default().feed(body), Some(end));
        let mut split = ChunkedBody::default();
        for (index, byte) in body.iter().enumerate().take(end - 1) {
            assert_eq!(split.feed(std::slice::from_ref(byte)), None, "ended early at {index}");
        }
        assert_eq!(split.feed(&body[end - 1..]), Some(1));
        assert_eq!(ChunkedBody::default().feed(b"zz\r\nabc\r\n0\r\n\r\n"), None);
    }
}
