//! The time every rule on the server reads. Production uses the system clock; tests
//! use a manual clock they move forward, so expiry, windows and schedules are tested
//! without waiting for real time to pass.

use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Clone, Debug)]
pub struct Clock {
    /// Nanoseconds added to the system time; always zero unless `manual`.
    offset_ns: Arc<AtomicI64>,
    manual: bool,
}

impl Clock {
    pub fn system() -> Self {
        Clock { offset_ns: Arc::new(AtomicI64::new(0)), manual: false }
    }

    /// A clock that starts at the system time and moves only when told to (on top of
    /// real time passing), for tests.
    pub fn manual() -> Self {
        Clock { offset_ns: Arc::new(AtomicI64::new(0)), manual: true }
    }

    pub fn now(&self) -> Timestamp {
        let offset = SignedDuration::from_nanos(self.offset_ns.load(Ordering::SeqCst));
        Timestamp::now().checked_add(offset).expect("clock offset stays within jiff's range")
    }

    /// Moves a manual clock forward. The system clock cannot be moved.
    pub fn advance(&self, by: std::time::Duration) {
        assert!(self.manual, "only a manual clock can be moved");
        let ns = i64::try_from(by.as_nanos()).expect("advance by less than 292 years");
        self.offset_ns.fetch_add(ns, Ordering::SeqCst);
    }

    /// The current time as the database driver takes it.
    pub fn now_db(&self) -> time::OffsetDateTime {
        to_db(self.now())
    }
}

/// A jiff instant as the database driver takes it (same instant, nanosecond precision).
pub fn to_db(t: Timestamp) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(t.as_nanosecond()).expect("jiff's range fits time's range")
}

/// A database instant as a jiff instant.
pub fn from_db(t: time::OffsetDateTime) -> Timestamp {
    Timestamp::from_nanosecond(t.unix_timestamp_nanos()).expect("postgres timestamps fit jiff's range")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_the_moves_are_shared() {
        let clock = Clock::manual();
        let copy = clock.clone();
        let before = clock.now();
        copy.advance(Duration::from_secs(3600));
        let after = clock.now();
        let moved = after.duration_since(before);
        assert!(moved >= SignedDuration::from_secs(3600) && moved < SignedDuration::from_secs(3660), "{moved:?}");
    }

    #[test]
    #[should_panic(expected = "only a manual clock")]
    fn the_system_clock_cannot_be_moved() {
        Clock::system().advance(Duration::from_secs(1));
    }

    #[test]
    fn instants_cross_the_database_boundary_unchanged() {
        let t: Timestamp = "2026-03-29T00:59:59.123456789Z".parse().unwrap();
        assert_eq!(from_db(to_db(t)), t);
    }
}
