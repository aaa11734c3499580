//! A value read from the database that may be served for a while before it is read
//! again: data that changes rarely but is shown on every visit (the catalog, the home
//! page's figures). Ages are measured on the app's clock. One load runs at a time, so
//! an expiry under load costs one query, not one per request.

use crate::server::clock::Clock;
use jiff::Timestamp;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

pub struct Cached<T> {
    ttl: Duration,
    slot: Arc<Mutex<Option<(Timestamp, T)>>>,
}

impl<T> Clone for Cached<T> {
    fn clone(&self) -> Self {
        Cached { ttl: self.ttl, slot: self.slot.clone() }
    }
}

impl<T: Clone> Cached<T> {
    pub fn new(ttl: Duration) -> Self {
        Cached { ttl, slot: Arc::new(Mutex::new(None)) }
    }

    /// The cached value if it is younger than the time to live, otherwise what `load`
    /// gives (kept only when it succeeds).
    pub async fn get_or_load<E, F>(&self, clock: &Clock, load: impl FnOnce() -> F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
    {
        let mut slot = self.slot.lock().await;
        let now = clock.now();
        if let Some((at, value)) = slot.as_ref()
            && now.duration_since(*at).unsigned_abs() < self.ttl
        {
            return Ok(value.clone());
        }
        let value = load().await?;
        *slot = Some((now, value.clone()));
        Ok(value)
    }

    /// Forgets the value, so the next reader loads it anew (after a change made here;
    /// other instances catch up within the time to live).
    pub async fn invalidate(&self) {
        *self.slot.lock().await = None;
    }
}
