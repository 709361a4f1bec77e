//! An acceptor that admits at most a fixed number of open connections, backs off when `accept`
//! fails, and gives every connection its deadlines.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::sync::Semaphore;

use super::{DeadlineStream, Deadlines};

/// The longest pause between failed accepts.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Wraps another acceptor (poem's `TcpAcceptor` in the server).
///
/// At the cap, it stops accepting: new clients wait in the kernel's listen queue, not refused,
/// and are accepted as soon as a connection closes. poem's own accept loop retries failed accepts
/// at once, which spins on `EMFILE`; this one never returns an error, it waits and retries.
pub struct GatedAcceptor<A> {
    inner: A,
    permits: Arc<Semaphore>,
    deadlines: Deadlines,
    consecutive_failures: u32,
}

impl<A> GatedAcceptor<A> {
    pub fn new(inner: A, max_connections: usize, deadlines: Deadlines) -> Self {
        Self { inner, permits: Arc::new(Semaphore::new(max_connections)), deadlines, consecutive_failures: 0 }
    }
}

impl<A: Acceptor> Acceptor for GatedAcceptor<A> {
    type Io = DeadlineStream<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        let permit = Arc::clone(&self.permits).acquire_owned().await.map_err(io::Error::other)?;
        loop {
            match self.inner.accept().await {
                Ok((io, local, remote, scheme)) => {
                    if self.consecutive_failures > 0 {
                        tracing::info!(failures = self.consecutive_failures, "accepting connections again");
                        self.consecutive_failures = 0;
                    }
                    return Ok((DeadlineStream::new(io, self.deadlines, Some(permit)), local, remote, scheme));
                }
                Err(err) => {
                    self.consecutive_failures += 1;
                    // Once per burst: a full file table would otherwise log thousands of lines.
                    if self.consecutive_failures == 1 {
                        tracing::warn!(error = %err, "accepting a connection failed; retrying with backoff");
                    }
                    tokio::time::sleep(backoff(self.consecutive_failures)).await;
                }
            }
        }
    }
}

/// 10 ms after the first failure, doubling up to [`MAX_BACKOFF`].
fn backoff(consecutive_failures: u32) -> Duration {
    let doublings = consecutive_failures.saturating_sub(1).min(10);
    (Duration::from_millis(10) * 2u32.pow(doublings)).min(MAX_BACKOFF)
}
