//! Where a connection is in its request/response exchange, and which deadline applies: told from
//! the bytes read and written, without parsing HTTP beyond finding the end of each head.

use std::io;
use std::time::Duration;

use tokio::time::Instant;

use super::chunked::ChunkedBody;
use super::head::{Framing, HeadReader};

/// How long each part of an exchange may take.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    /// From a request's first byte to the end of its head.
    pub header: Duration,
    /// From the end of a head to the end of its body.
    pub body: Duration,
    /// Without traffic: a new connection, or one between requests.
    pub keep_alive: Duration,
}

/// Where the connection is in its exchange, and until when that part may last.
#[derive(Debug)]
enum Phase {
    /// Waiting for a request: a new connection, or after a response.
    Idle {
        until: Instant,
    },
    Head {
        until: Instant,
        head: HeadReader,
    },
    /// Reading a body, until `end`.
    Body {
        until: Instant,
        end: BodyEnd,
    },
    /// The request is read; the app is answering. No read deadline: a slow query is not the
    /// client's fault.
    Handling,
    /// HTTP/2 frames: only the keep-alive deadline, renewed by any traffic.
    Http2 {
        until: Instant,
    },
    /// A deadline passed; every further read is the end of the stream.
    Expired,
}

/// How the end of a request body is found.
#[derive(Debug)]
enum BodyEnd {
    /// After this many more bytes.
    Length(u64),
    Chunked(ChunkedBody),
    /// Only once the response starts.
    Unknown,
}

impl Phase {
    fn deadline(&self) -> Option<Instant> {
        match self {
            Phase::Idle { until } | Phase::Head { until, .. } | Phase::Body { until, .. } | Phase::Http2 { until } => {
                Some(*until)
            }
            Phase::Handling | Phase::Expired => None,
        }
    }
}

/// One connection's exchange.
#[derive(Debug)]
pub struct Exchange {
    deadlines: Deadlines,
    phase: Phase,
}

impl Exchange {
    /// A new connection: idle until its first request.
    pub fn new(deadlines: Deadlines, now: Instant) -> Self {
        Self { deadlines, phase: Phase::Idle { until: now + deadlines.keep_alive } }
    }

    /// When the current part must be done; `None` while the app is answering.
    pub fn deadline(&self) -> Option<Instant> {
        self.phase.deadline()
    }

    pub fn is_expired(&self) -> bool {
        matches!(self.phase, Phase::Expired)
    }

    /// Moves through the exchange as request bytes arrive.
    pub fn observe_read(&mut self, mut bytes: &[u8], now: Instant) {
        while !bytes.is_empty() {
            self.phase = match std::mem::replace(&mut self.phase, Phase::Expired) {
                Phase::Idle { .. } | Phase::Handling => {
                    Phase::Head { until: now + self.deadlines.header, head: HeadReader::default() }
                }
                Phase::Head { until, mut head } => match head.feed(bytes) {
                    None => {
                        bytes = &[];
                        Phase::Head { until, head }
                    }
                    Some((used, framing)) => {
                        bytes = &bytes[used..];
                        self.after_head(framing, now)
                    }
                },
                Phase::Body { until, end: BodyEnd::Length(remaining) } => {
                    let used = remaining.min(bytes.len() as u64);
                    bytes = &bytes[used as usize..];
                    match remaining - used {
                        0 => Phase::Handling,
                        left => Phase::Body { until, end: BodyEnd::Length(left) },
                    }
                }
                Phase::Body { until, end: BodyEnd::Chunked(mut chunked) } => match chunked.feed(bytes) {
                    Some(used) => {
                        bytes = &bytes[used..];
                        Phase::Handling
                    }
                    None => {
                        bytes = &[];
                        Phase::Body { until, end: BodyEnd::Chunked(chunked) }
                    }
                },
                Phase::Http2 { .. } => {
                    bytes = &[];
                    Phase::Http2 { until: now + self.deadlines.keep_alive }
                }
                unknown_end @ (Phase::Body { end: BodyEnd::Unknown, .. } | Phase::Expired) => {
                    bytes = &[];
                    unknown_end
                }
            };
        }
    }

    fn after_head(&self, framing: Framing, now: Instant) -> Phase {
        let body_until = now + self.deadlines.body;
        match framing {
            Framing::NoBody | Framing::Length(0) => Phase::Handling,
            Framing::Length(length) => Phase::Body { until: body_until, end: BodyEnd::Length(length) },
            Framing::Chunked => Phase::Body { until: body_until, end: BodyEnd::Chunked(ChunkedBody::default()) },
            Framing::Unknown => Phase::Body { until: body_until, end: BodyEnd::Unknown },
            Framing::Http2 => Phase::Http2 { until: now + self.deadlines.keep_alive },
        }
    }

    /// A response is being written: once it is, the connection is idle. Returns whether the
    /// exchange just became idle, so that the reader must re-arm its timer.
    pub fn observe_write(&mut self, written: &[u8]) -> bool {
        // `100 Continue` asks for the body; it does not end the request.
        let interim = written.starts_with(b"HTTP/1.1 1") || written.starts_with(b"HTTP/1.0 1");
        let until = Instant::now() + self.deadlines.keep_alive;
        match &mut self.phase {
            Phase::Handling | Phase::Body { .. } if !interim => {
                self.phase = Phase::Idle { until };
                return true;
            }
            Phase::Idle { until: idle_until } | Phase::Http2 { until: idle_until } => *idle_until = until,
            _ => {}
        }
        false
    }

    /// Ends the exchange: a quiet end of stream when idle, an error mid-request.
    pub fn expire(&mut self) -> io::Result<()> {
        let phase = std::mem::replace(&mut self.phase, Phase::Expired);
        tracing::debug!(?phase, "closing a connection whose deadline passed");
        match phase {
            // Nothing was asked: a quiet end of stream.
            Phase::Idle { .. } | Phase::Http2 { .. } => Ok(()),
            Phase::Head { .. } => Err(io::Error::new(io::ErrorKind::TimedOut, "the request head took too long")),
            _ => Err(io::Error::new(io::ErrorKind::TimedOut, "the request body took too long")),
        }
    }
}
