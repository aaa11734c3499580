//! Every write of a booking's status keeps to `BookingStatus::can_move_to`. One locked
//! booking moves through `move_to`, which refuses a move the state machine does not
//! allow before the database sees it; a write that moves many bookings at once writes
//! a `Moving`, which selects only the statuses that may make its move. The trigger
//! behind `booking_transition_allowed` refuses the same moves, so a slip is caught
//! twice; `tests/tidy.rs` fails on a status written anywhere else.

use super::Locked;
use crate::domain::booking::{BookingStatus, Side};
use crate::server::clock::to_db;
use crate::server::error::Failure;
use jiff::Timestamp;
use sqlx::PgConnection;

/// A move of one booking, with what changes in the same statement as its status: the
/// table ties a hold to its end and a cancellation to its side, row by row.
pub(super) enum Move<'a> {
    /// Held for a card checkout until `hold_until`, or confirmed for good when `None`,
    /// blocking `blocks` (the session with the practitioner's buffers around it).
    Take {
        hold_until: Option<Timestamp>,
        blocks: (Timestamp, Timestamp),
    },
    Cancel {
        by: Side,
    },
    /// Closed after its start: attended (with the practitioner's private notes) or
    /// missed.
    Close {
        attended: bool,
        notes: &'a str,
    },
    /// A draft order's session at another time, blocking nothing until it is held.
    Choose {
        starts_at: Timestamp,
        ends_at: Timestamp,
    },
}

impl Move<'_> {
    /// The status the move writes, the one `move_to` checks it may reach.
    pub(super) fn to(&self) -> BookingStatus {
        match self {
            Move::Take { hold_until: Some(_), .. } => BookingStatus::Held,
            Move::Take { hold_until: None, .. } => BookingStatus::Confirmed,
            Move::Cancel { .. } => BookingStatus::Cancelled,
            Move::Close { attended: true, .. } => BookingStatus::Completed,
            Move::Close { attended: false, .. } => BookingStatus::NoShow,
            Move::Choose { .. } => BookingStatus::Pending,
        }
    }
}

/// Writes `change` to the locked booking `b`, in the caller's transaction. A move
/// `BookingStatus::can_move_to` does not allow is a bug and writes nothing; keeping the
/// status is no move. The database's own refusals (another session in the way) come
/// back as `Failure::Db`.
pub(super) async fn move_to(
    conn: &mut PgConnection,
    b: &Locked,
    change: Move<'_>,
    now: Timestamp,
) -> Result<(), Failure> {
    let (from, to) = (b.status, change.to());
    if from != to && !from.can_move_to(to) {
        return Err(Failure::bug(format!(
            "the booking of order {} cannot move from {} to {}",
            b.number,
            from.as_str(),
            to.as_str()
        )));
    }
    match change {
        Move::Take { hold_until, blocks: (lo, hi) } => {
            sqlx::query!(
                "UPDATE bookings SET status = $2, hold_until = $3, blocks = tstzrange($4, $5), updated_at = $6,
                             reminded_at = CASE WHEN $2 = 'confirmed' AND starts_at <= $6::timestamptz + interval '24 hours'
                                                THEN COALESCE(reminded_at, $6) ELSE reminded_at END
         WHERE id = $1",
                b.id,
                to.as_str(),
                hold_until.map(to_db),
                to_db(lo),
                to_db(hi),
                to_db(now)
            )
            .execute(conn)
            .await?;
        }
        Move::Cancel { by } => {
            sqlx::query!(
                "UPDATE bookings SET status = $2, cancelled_by = $3, sequence = sequence + 1, updated_at = $4
         WHERE id = $1",
                b.id,
                to.as_str(),
                by.as_str(),
                to_db(now)
            )
            .execute(conn)
            .await?;
        }
        Move::Close { notes, .. } => {
            sqlx::query!(
                "UPDATE bookings SET status = $2, notes = NULLIF($3, ''), updated_at = $4 WHERE id = $1",
                b.id,
                to.as_str(),
                notes,
                to_db(now)
            )
            .execute(conn)
            .await?;
        }
        Move::Choose { starts_at, ends_at } => {
            sqlx::query!(
                "UPDATE bookings SET starts_at = $2, ends_at = $3, blocks = tstzrange($2, $3), status = $5,
                             hold_until = NULL, updated_at = $4
         WHERE id = $1",
                b.id,
                to_db(starts_at),
                to_db(ends_at),
                to_db(now),
                to.as_str()
            )
            .execute(conn)
            .await?;
        }
    }
    Ok(())
}

/// A move that many bookings make at once, as the database spells it: to `to`, from
/// those of the statuses asked for that `BookingStatus::can_move_to` lets make it. The
/// write sets `status` to `to` and selects its rows by `status = ANY(from)`, so it can
/// make no move the rule forbids, whatever the rule becomes.
pub(super) struct Moving {
    pub(super) to: &'static str,
    pub(super) from: Vec<String>,
}

impl Moving {
    pub(super) fn new(from: &[BookingStatus], to: BookingStatus) -> Moving {
        let from = from.iter().filter(|s| s.can_move_to(to)).map(|s| s.as_str().to_owned()).collect();
        Moving { to: to.as_str(), from }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_of_many_bookings_selects_only_the_statuses_that_may_make_its_move() {
        use BookingStatus::*;
        let release = Moving::new(&[Pending, Held], Released);
        assert_eq!(release.to, "released");
        assert_eq!(release.from, ["pending", "held"]);
        assert_eq!(Moving::new(&[Held, Confirmed, Cancelled], Released).from, ["held"]);
        assert!(Moving::new(&[Released], Released).from.is_empty(), "keeping a status is no move to select for");
    }

    #[test]
    fn each_move_names_the_status_it_writes() {
        let at: Timestamp = "2026-12-10T10:00:00Z".parse().unwrap();
        let blocks = (at, at);
        assert_eq!(Move::Take { hold_until: Some(at), blocks }.to(), BookingStatus::Held);
        assert_eq!(Move::Take { hold_until: None, blocks }.to(), BookingStatus::Confirmed);
        assert_eq!(Move::Cancel { by: Side::Admin }.to(), BookingStatus::Cancelled);
        assert_eq!(Move::Close { attended: true, notes: "" }.to(), BookingStatus::Completed);
        assert_eq!(Move::Close { attended: false, notes: "" }.to(), BookingStatus::NoShow);
        assert_eq!(Move::Choose { starts_at: at, ends_at: at }.to(), BookingStatus::Pending);
    }
}
