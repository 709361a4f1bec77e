//! The stored value format, shared by both backends so that instances on one Redis understand
//! each other.
//!
//! An entry is an envelope:
//!
//! | bytes | meaning |
//! |---|---|
//! | 1 | format: `1` JSON (serde_json), `2` an HTTP response |
//! | 8 | the data version the entry was computed under, unsigned big-endian |
//! | rest | the payload |
//!
//! A response payload is: the status (u16 big-endian), the number of headers (u16 big-endian),
//! each header as name length (u16), name (ASCII), value length (u16), value (bytes), and then the
//! body to the end. All lengths are big-endian. Counters (`incr`) are not envelopes: on Redis they
//! are Redis integers, so `INCRBY` works on them.
//!
//! Anything that does not decode (an unknown format byte, a short envelope, another shape of
//! JSON) is read as a miss and overwritten, so a format change needs no migration.

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// Which payload an envelope carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Format {
    Json = 1,
    Response = 2,
}

const HEADER_LEN: usize = 9;

/// Wraps `payload` in an envelope stamped with `data_version`.
pub fn seal(format: Format, data_version: u64, payload: &[u8]) -> Bytes {
    let mut envelope = BytesMut::with_capacity(HEADER_LEN + payload.len());
    envelope.put_u8(format as u8);
    envelope.put_u64(data_version);
    envelope.put_slice(payload);
    envelope.freeze()
}

/// The payload of `envelope` if it has the `format` and was stamped with `data_version`.
pub fn open(envelope: &Bytes, format: Format, data_version: u64) -> Option<Bytes> {
    if envelope.len() < HEADER_LEN || envelope[0] != format as u8 {
        return None;
    }
    let stamp = u64::from_be_bytes(envelope[1..HEADER_LEN].try_into().ok()?);
    (stamp == data_version).then(|| envelope.slice(HEADER_LEN..))
}

/// A whole HTTP response as the per-view cache keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedResponse {
    pub status: u16,
    /// Header names (lower case ASCII) and raw values, in order; a name may repeat.
    pub headers: Vec<(String, Bytes)>,
    pub body: Bytes,
}

impl CachedResponse {
    /// The response payload; `None` if a header name or value is longer than 65,535 bytes.
    pub fn encode(&self) -> Option<Bytes> {
        let head: usize = self.headers.iter().map(|(name, value)| 4 + name.len() + value.len()).sum();
        let mut out = BytesMut::with_capacity(4 + head + self.body.len());
        out.put_u16(self.status);
        out.put_u16(u16::try_from(self.headers.len()).ok()?);
        for (name, value) in &self.headers {
            out.put_u16(u16::try_from(name.len()).ok()?);
            out.put_slice(name.as_bytes());
            out.put_u16(u16::try_from(value.len()).ok()?);
            out.put_slice(value);
        }
        out.put_slice(&self.body);
        Some(out.freeze())
    }

    /// Reads a response payload; the body shares `payload`'s memory (no copy).
    pub fn decode(payload: &Bytes) -> Option<Self> {
        let mut cursor = payload.clone();
        let status = take_u16(&mut cursor)?;
        let count = take_u16(&mut cursor)?;
        let mut headers = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let name_len = usize::from(take_u16(&mut cursor)?);
            let name = String::from_utf8(take(&mut cursor, name_len)?.to_vec()).ok()?;
            let value_len = usize::from(take_u16(&mut cursor)?);
            headers.push((name, take(&mut cursor, value_len)?));
        }
        Some(Self { status, headers, body: cursor })
    }
}

fn take_u16(cursor: &mut Bytes) -> Option<u16> {
    (cursor.remaining() >= 2).then(|| cursor.get_u16())
}

fn take(cursor: &mut Bytes, len: usize) -> Option<Bytes> {
    (cursor.remaining() >= len).then(|| cursor.split_to(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_survives_the_round_trip_and_a_truncated_one_is_refused() {
        let response = CachedResponse {
            status: 200,
            headers: vec![("content-type".into(), Bytes::from_static(b"application/json"))],
            body: Bytes::from_static(b"{\"a\":1}"),
        };
        let payload = response.encode().unwrap();
        assert_eq!(CachedResponse::decode(&payload), Some(response));
        assert_eq!(CachedResponse::decode(&payload.slice(..6)), None);
    }

    #[test]
    fn an_envelope_opens_only_for_its_format_and_data_version() {
        let envelope = seal(Format::Json, 7, b"[1]");
        assert_eq!(open(&envelope, Format::Json, 7).as_deref(), Some(&b"[1]"[..]));
        assert_eq!(open(&envelope, Format::Json, 8), None);
        assert_eq!(open(&envelope, Format::Response, 7), None);
        assert_eq!(open(&Bytes::from_static(b"\x01\x00"), Format::Json, 0), None);
    }
}
