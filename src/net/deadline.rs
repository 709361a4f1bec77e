//! A connection that enforces request deadlines, so that slow or silent clients cannot hold a
//! connection (and a file descriptor) open for ever. hyper sees a timed-out read as the end of
//! the connection and closes it.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::{Instant, Sleep};

use super::exchange::{Deadlines, Exchange};

/// A stream that holds a connection permit and enforces [`Deadlines`] on its reads.
pub struct DeadlineStream<S> {
    inner: S,
    exchange: Exchange,
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
        let exchange = Exchange::new(deadlines, Instant::now());
        let first_deadline = exchange.deadline().unwrap_or_else(Instant::now);
        Self {
            inner,
            exchange,
            timer: Box::pin(tokio::time::sleep_until(first_deadline)),
            read_waker: None,
            refusal: None,
            _permit: permit,
        }
    }

    fn observe_write(&mut self, written: &[u8]) {
        if self.exchange.observe_write(written) {
            if let Some(reader) = self.read_waker.take() {
                reader.wake();
            }
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
}

impl<S: AsyncRead + Unpin> AsyncRead for DeadlineStream<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.exchange.is_expired() {
            return Poll::Ready(Ok(()));
        }
        let now = Instant::now();
        if this.exchange.deadline().is_some_and(|until| now >= until) {
            return Poll::Ready(this.exchange.expire());
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                this.exchange.observe_read(&buf.filled()[before..], now);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => {
                if !this.read_waker.as_ref().is_some_and(|waker| waker.will_wake(cx.waker())) {
                    this.read_waker = Some(cx.waker().clone());
                }
                let Some(until) = this.exchange.deadline() else { return Poll::Pending };
                if this.timer.deadline() != until {
                    this.timer.as_mut().reset(until);
                }
                match this.timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(this.exchange.expire()),
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
