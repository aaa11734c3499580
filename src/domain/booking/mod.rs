//! Booked sessions: their states, the practitioner's availability as a form, and the
//! cancellation policy. `refund_due` is the one function that decides what a
//! cancellation returns: the preview shows its answer and the cancellation performs it.
//!
//! The cancellation policy and what a cancellation returns are in `cancellation`; the
//! availability settings and date exceptions as forms in `schedule`.

mod cancellation;
mod schedule;

pub use cancellation::{Paid, Policy, RefundDue, Window, refund_due};
pub use schedule::{Availability, AvailabilityForm, ExceptionForm, WEEKDAYS, clock, parse_ranges, ranges_text};

use crate::domain::FieldError;
use crate::domain::availability::MAX_HORIZON_DAYS;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// How long a slot is held for a card checkout.
pub const HOLD: SignedDuration = SignedDuration::from_mins(15);
/// How many free times are offered when the one chosen was just taken.
pub const NEAREST: usize = 5;
/// The longest notes a practitioner keeps on a session.
pub const NOTES_MAX: usize = 5000;

/// Where a booking is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BookingStatus {
    /// Chosen in a draft order: blocks nothing yet.
    Pending,
    /// Kept for a card checkout until `hold_until`.
    Held,
    Confirmed,
    /// A hold that ran out, or an order that ended unpaid.
    Released,
    Cancelled,
    Completed,
    NoShow,
}

impl BookingStatus {
    pub const ALL: [BookingStatus; 7] = [
        BookingStatus::Pending,
        BookingStatus::Held,
        BookingStatus::Confirmed,
        BookingStatus::Released,
        BookingStatus::Cancelled,
        BookingStatus::Completed,
        BookingStatus::NoShow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Pending => "pending",
            BookingStatus::Held => "held",
            BookingStatus::Confirmed => "confirmed",
            BookingStatus::Released => "released",
            BookingStatus::Cancelled => "cancelled",
            BookingStatus::Completed => "completed",
            BookingStatus::NoShow => "no_show",
        }
    }

    pub fn parse(raw: &str) -> Option<BookingStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            BookingStatus::Pending => "Not yet booked",
            BookingStatus::Held => "Held while you pay",
            BookingStatus::Confirmed => "Booked",
            BookingStatus::Released => "Not booked",
            BookingStatus::Cancelled => "Cancelled",
            BookingStatus::Completed => "Completed",
            BookingStatus::NoShow => "Missed",
        }
    }

    /// Whether a booking in this status may move to `next`. The database refuses every
    /// other move (`booking_transition_allowed`, kept equal by a test), and the server
    /// writes a status only through `can_move_to`. No status is a move to itself: a
    /// write that keeps it (a fresh hold, another time for a draft) changes no status.
    pub fn can_move_to(self, next: BookingStatus) -> bool {
        use BookingStatus::*;
        matches!(
            (self, next),
            (Pending, Held | Confirmed | Released)
                | (Held, Confirmed | Released | Pending)
                | (Released, Held | Confirmed | Pending)
                | (Confirmed, Cancelled | Completed | NoShow)
        )
    }
}

/// Who cancels a session: the practitioner (or an admin for them) always refunds in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Side {
    Customer,
    Practitioner,
    Admin,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Customer => "customer",
            Side::Practitioner => "practitioner",
            Side::Admin => "admin",
        }
    }
}

/// How far ahead any session can be: the longest horizon a practitioner may set.
fn reach() -> SignedDuration {
    SignedDuration::from_hours(24 * i64::from(MAX_HORIZON_DAYS))
}

/// A session time someone posted, if it could be booked at all as of `now`: not in the
/// past, and no further ahead than any practitioner takes bookings. Everything after
/// works on times near now, so no date arithmetic can run off the calendar.
pub fn time_in_reach(at: Timestamp, now: Timestamp) -> Result<Timestamp, FieldError> {
    if at <= now {
        return Err(FieldError::new("at", "That time has passed. Choose one of the free times."));
    }
    if now.checked_add(reach()).is_ok_and(|latest| at > latest) {
        return Err(FieldError::new(
            "at",
            format!("Sessions are booked at most {MAX_HORIZON_DAYS} days ahead. Choose one of the free times."),
        ));
    }
    Ok(at)
}

/// The first day of the week the slot picker shows, from `raw` (a date), as of local
/// date `today`: a past week shows from today; a date that is not one, or further than
/// any horizon either way, is refused.
pub fn week_in_reach(raw: &str, today: Date) -> Result<Date, FieldError> {
    let refused = || FieldError::new("week", format!("Choose a week within the next {MAX_HORIZON_DAYS} days."));
    let day: Date = raw.trim().parse().map_err(|_| refused())?;
    let span = jiff::Span::new().days(i64::from(MAX_HORIZON_DAYS));
    let (earliest, latest) =
        (today.checked_sub(span).map_err(|_| refused())?, today.checked_add(span).map_err(|_| refused())?);
    if day < earliest || day > latest {
        return Err(refused());
    }
    Ok(day.max(today))
}

/// The `n` times of `free` nearest to `wanted`, in time order.
pub fn nearest(free: &[Timestamp], wanted: Timestamp, n: usize) -> Vec<Timestamp> {
    let mut by_distance: Vec<Timestamp> = free.to_vec();
    by_distance.sort_by_key(|t| (t.duration_since(wanted).abs(), *t));
    by_distance.truncate(n);
    by_distance.sort();
    by_distance
}

/// Private notes a practitioner keeps on a completed session.
pub fn check_notes(raw: &str) -> Result<String, FieldError> {
    let notes = raw.trim();
    if notes.chars().count() > NOTES_MAX {
        return Err(FieldError::new("notes", format!("Keep the notes under {NOTES_MAX} characters.")));
    }
    Ok(notes.to_owned())
}

#[cfg(test)]
mod tests;
