//! A cap on the size of one CSV record. The csv crate grows its buffer to hold a whole record, so
//! a field that never ends (a stray quote, a file that is not CSV) would take memory without bound.

use std::io::{self, Read};

/// The longest record accepted. MovieLens rows are well under a kilobyte; the longest tags and
/// titles are a few hundred bytes.
pub const MAX_RECORD_BYTES: u64 = 1 << 20;

/// Refuses to read past a byte offset that the CSV reader moves forward after each record.
pub struct RecordLimit<R> {
    inner: R,
    read: u64,
    limit: u64,
}

#[derive(Debug)]
struct RecordTooLong;

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a record longer than {MAX_RECORD_BYTES} bytes")
    }
}

impl std::error::Error for RecordTooLong {}

impl<R: Read> RecordLimit<R> {
    pub fn new(inner: R) -> Self {
        Self { inner, read: 0, limit: MAX_RECORD_BYTES }
    }

    /// Allows reading up to byte `offset` of the input.
    pub fn allow_until(&mut self, offset: u64) {
        self.limit = offset;
    }
}

/// Whether `err` is this reader's refusal of an over-long record.
pub fn is_limit_error(err: &io::Error) -> bool {
    err.get_ref().is_some_and(|inner| inner.is::<RecordTooLong>())
}

impl<R: Read> Read for RecordLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let allowed = self.limit.saturating_sub(self.read);
        if allowed == 0 && !buf.is_empty() {
            // At the limit: fine if the input ends here, an error if it goes on.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::new(io::ErrorKind::InvalidData, RecordTooLong)),
            };
        }
        let wanted = buf.len().min(usize::try_from(allowed).unwrap_or(usize::MAX));
        let read = self.inner.read(&mut buf[..wanted])?;
        self.read += read as u64;
        Ok(read)
    }
}
