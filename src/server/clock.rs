//! The time every rule on the server reads. Production uses the system clock; tests
//! use a manual clock they move forward, so expiry, windows and schedules are tested
//! without waiting for real time to pass.

use jiff::Timestamp;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Clone, Debug)]
pub struct Clock {
    /// For a manual clock, the current instant in nanoseconds since the epoch; `None`
    /// for the system clock.
    manual_ns: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Self {
        Clock { manual_ns: None }
    }

    /// A clock that starts at the system time and stands still until told to move, for
    /// tests: however slowly a test runs, no time passes that it did not ask for.
    pub fn manual() -> Self {
        let start = i64::try_from(Timestamp::now().as_nanosecond()).expect("the present fits in i64 nanoseconds");
        Clock { manual_ns: Some(Arc::new(AtomicI64::new(start))) }
    }

    pub fn now(&self) -> Timestamp {
        match &self.manual_ns {
            None => Timestamp::now(),
            Some(ns) => Timestamp::from_nanosecond(i128::from(ns.load(Ordering::SeqCst)))
                .expect("a manual clock stays within jiff's range"),
        }
    }

    /// Moves a manual clock forward. The system clock cannot be moved.
    pub fn advance(&self, by: std::time::Duration) {
        let ns = self.manual_ns.as_ref().expect("only a manual clock can be moved");
        let by = i64::try_from(by.as_nanos()).expect("advance by less than 292 years");
        ns.fetch_add(by, Ordering::SeqCst);
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
    use jiff::SignedDuration;
    use std::time::Duration;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_the_moves_are_shared() {
        let clock = Clock::manual();
        let copy = clock.clone();
        let before = clock.now();
        assert_eq!(clock.now(), before, "real time passing does not move it");
        copy.advance(Duration::from_secs(3600));
        assert_eq!(clock.now().duration_since(before), SignedDuration::from_secs(3600));
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
