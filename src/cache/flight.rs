//! Single-flight loading: concurrent misses on one key (under one data version) wait for a
//! single computation instead of each running their own.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use tokio::sync::watch;

/// A flight is keyed by the full cache key and the data version its miss saw: a miss under a
/// newer version never takes a value computed from a read that began before the write.
type FlightKey = (String, u64);

#[derive(Default)]
pub struct Flights {
    running: Mutex<HashMap<FlightKey, watch::Receiver<Option<Bytes>>>>,
}

/// Either this caller computes the value, or it waits for the caller that does.
pub enum Role<'a> {
    Leader(Lead<'a>),
    Waiter(watch::Receiver<Option<Bytes>>),
}

/// The right, and the duty, to compute a key's value. Dropping it without [`Lead::publish`]
/// (the loader failed, or the request was cancelled) releases the waiters, which then try again.
pub struct Lead<'a> {
    flights: &'a Flights,
    key: FlightKey,
    sender: watch::Sender<Option<Bytes>>,
}

impl Flights {
    pub fn join(&self, key: &str, data_version: u64) -> Role<'_> {
        let key = (key.to_string(), data_version);
        let mut running = self.running.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(receiver) = running.get(&key) {
            return Role::Waiter(receiver.clone());
        }
        let (sender, receiver) = watch::channel(None);
        running.insert(key.clone(), receiver);
        Role::Leader(Lead { flights: self, key, sender })
    }
}

impl Lead<'_> {
    /// Hands the encoded value to every waiter, and to callers that join until the lead is dropped.
    pub fn publish(&self, payload: Bytes) {
        self.sender.send_replace(Some(payload));
    }
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        self.flights.running.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&self.key);
    }
}

/// The leader's value, or `None` if it gave up without one.
pub async fn wait(mut receiver: watch::Receiver<Option<Bytes>>) -> Option<Bytes> {
    let outcome = receiver.wait_for(Option::is_some).await.ok()?;
    outcome.clone()
}
