//! A connection that enforces request deadlines, so that slow or silent clients cannot hold a
//! connection (and a file descriptor) open for ever. hyper sees a timed-out read as the end of
//! the connection and closes it.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::{Instant, Sleep};

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
    /// Reading a body of `remaining` bytes (`None`: until the response starts).
    Body {
        until: Instant,
        remaining: Option<u64>,
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

/// A stream that holds a connection permit and enforces [`Deadlines`] on its reads.
pub struct DeadlineStream<S> {
    inner: S,
    deadlines: Deadlines,
    phase: Phase,
    timer: Pin<Box<Sleep>>,
    /// The task waiting to read: hyper last polled the read before it wrote the response, so it
    /// must be woken to arm the keep-alive timer.
    read_waker: Option<Waker>,
    /// hyper's empty-bodied refusal, being written in the error shape instead, and how much of
    /// it is written.
    refusal: Option<(Vec<u8>, usize)>,
    /// Frees a place under the connection cap when the connection is dropped.
    _permit: Option<OwnedSemaphorePermit>,
}

impl<S> DeadlineStream<S> {
    pub fn new(inner: S, deadlines: Deadlines, permit: Option<OwnedSemaphorePermit>) -> Self {
        let until = Instant::now() + deadlines.keep_alive;
        Self {
            inner,
            deadlines,
            phase: Phase::Idle { until },
            timer: Box::pin(tokio::time::sleep_until(until)),
            read_waker: None,
            refusal: None,
            _permit: permit,
        }
    }

    /// Moves through the exchange as request bytes arrive.
    fn observe_read(&mut self, mut bytes: &[u8], now: Instant) {
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
                Phase::Body { until, remaining: Some(remaining) } => {
                    let used = remaining.min(bytes.len() as u64);
                    bytes = &bytes[used as usize..];
                    match remaining - used {
                        0 => Phase::Handling,
                        left => Phase::Body { until, remaining: Some(left) },
                    }
                }
                Phase::Http2 { .. } => {
                    bytes = &[];
                    Phase::Http2 { until: now + self.deadlines.keep_alive }
                }
                unknown_end @ (Phase::Body { remaining: None, .. } | Phase::Expired) => {
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
            Framing::Length(length) => Phase::Body { until: body_until, remaining: Some(length) },
            Framing::Unknown => Phase::Body { until: body_until, remaining: None },
            Framing::Http2 => Phase::Http2 { until: now + self.deadlines.keep_alive },
        }
    }

    /// A response is being written: once it is, the connection is idle.
    fn observe_write(&mut self, written: &[u8]) {
        // `100 Continue` asks for the body; it does not end the request.
        let interim = written.starts_with(b"HTTP/1.1 1") || written.starts_with(b"HTTP/1.0 1");
        let until = Instant::now() + self.deadlines.keep_alive;
        match &mut self.phase {
            Phase::Handling | Phase::Body { .. } if !interim => {
                self.phase = Phase::Idle { until };
                if let Some(reader) = self.read_waker.take() {
                    reader.wake();
                }
            }
            Phase::Idle { until: idle_until } | Phase::Http2 { until: idle_until } => *idle_until = until,
            _ => {}
        }
    }

    /// Writes the replacement refusal; reports hyper's `original_len` bytes written once it is out.
    fn poll_write_refusal(&mut self, cx: &mut Context<'_>, original_len: usize) -> Poll<io::Result<usize>>
    where
        S: AsyncWrite + Unpin,
    {
        let Some((replacement, written)) = &mut self.refusal else { return Poll::Ready(Ok(0)) };
        while *written < replacement.len() {
            match Pin::new(&mut self.inner).poll_write(cx, &replacement[*written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(count)) => *written += count,
                other => return other,
            }
        }
        self.refusal = None;
        Poll::Ready(Ok(original_len))
    }

    fn expire(&mut self) -> io::Result<()> {
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

impl<S: AsyncRead + Unpin> AsyncRead for DeadlineStream<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if matches!(this.phase, Phase::Expired) {
            return Poll::Ready(Ok(()));
        }
        let now = Instant::now();
        if this.phase.deadline().is_some_and(|until| now >= until) {
            return Poll::Ready(this.expire());
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                this.observe_read(&buf.filled()[before..], now);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => {
                if !this.read_waker.as_ref().is_some_and(|waker| waker.will_wake(cx.waker())) {
                    this.read_waker = Some(cx.waker().clone());
                }
                let Some(until) = this.phase.deadline() else { return Poll::Pending };
                if this.timer.deadline() != until {
                    this.timer.as_mut().reset(until);
                }
                match this.timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(this.expire()),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for DeadlineStream<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.refusal.is_none() {
            this.refusal = super::refusal::in_error_shape(buf).map(|replacement| (replacement, 0));
        }
        if this.refusal.is_some() {
            return this.poll_write_refusal(cx, buf.len());
        }
        let written = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(count @ 1..)) = written {
            this.observe_write(&buf[..count]);
        }
        written
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        // A refusal is one small head; hyper hands it over in one slice.
        if let [only] = bufs {
            if this.refusal.is_some() || super::refusal::in_error_shape(only).is_some() {
                return Pin::new(this).poll_write(cx, only);
            }
        }
        let written = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(count @ 1..)) = written {
            let first = bufs.iter().find(|slice| !slice.is_empty()).map_or(&[][..], |slice| &slice[..]);
            this.observe_write(&first[..count.min(first.len())]);
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
