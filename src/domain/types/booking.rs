//! Booking's wire types: the availability editor, the slot picker, a booked session's
//! panel, reviews and the calendar feed.

use super::{PractitionerSummary, ServiceView};
use crate::domain::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The availability editor: the settings as a form, the date exceptions to come and the
/// working hours of the next seven days in the practitioner's zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilityView {
    pub form: crate::domain::booking::AvailabilityForm,
    /// Whether they have saved it (until then the form shows a starting point and no one
    /// can book them).
    pub configured: bool,
    pub exceptions: Vec<ExceptionRow>,
    pub week: Vec<DayHours>,
    pub today: jiff::civil::Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionRow {
    pub id: i64,
    pub day: jiff::civil::Date,
    /// `None` for a day off.
    pub hours: Option<crate::domain::availability::Hours>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayHours {
    pub day: jiff::civil::Date,
    pub hours: Vec<crate::domain::availability::Hours>,
}

/// A free time as the slot picker offers it, labelled in the viewer's zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotOffer {
    /// The start as `datetime::machine` writes it (`2026-12-03T10:00:00Z`): a string, so
    /// the browser bundles, which decode `AppError::SlotTaken`, carry no date parser.
    pub at: String,
    /// `14:30`.
    pub label: String,
}

/// One local day of the slot picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotDay {
    pub day: jiff::civil::Date,
    /// `Thu 3 Dec`.
    pub label: String,
    pub slots: Vec<SlotOffer>,
}

/// `/s/<slug>/book`: a week of free times for a scheduled service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotPicker {
    pub service: ServiceView,
    pub practitioner: PractitionerSummary,
    /// The zone the times are shown in, and where it came from.
    pub zone: TimeZone,
    pub zone_from_profile: bool,
    pub practitioner_zone: TimeZone,
    pub days: Vec<SlotDay>,
    /// The first day of the previous and next weeks, when they can be booked.
    pub previous: Option<jiff::civil::Date>,
    pub next: Option<jiff::civil::Date>,
    /// The first free time after this week, when this week has none.
    pub next_free: Option<SlotOffer>,
    pub policy: String,
    /// Whether the practitioner takes bookings at all (they have set their hours).
    pub bookable: bool,
}

/// The time a booking is for, as someone reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingTime {
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// `Thu 3 Dec 2026, 14:30 GMT` in the reader's zone.
    pub label: String,
    pub zone: TimeZone,
}

/// A booked session on its order's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingPanel {
    pub time: BookingTime,
    /// The same time in the other side's zone, when it differs.
    pub other_zone: Option<String>,
    pub status: crate::domain::booking::BookingStatus,
    pub hold_until: Option<Timestamp>,
    pub policy: String,
    /// What cancelling now would return, computed by the function that refunds.
    pub cancel: Option<CancelPreview>,
    pub can_reschedule: bool,
    /// The practitioner may mark it completed or missed once it has started.
    pub can_close: bool,
    /// The practitioner's private notes (only they see them).
    pub notes: Option<String>,
    /// The customer's review, once written.
    pub review: Option<ReviewView>,
    /// The customer may review it: completed, and not reviewed yet.
    pub can_review: bool,
}

/// A customer's review of a session they attended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewView {
    pub rating: i16,
    pub body: String,
    /// The author's first name.
    pub by: String,
    pub at: Timestamp,
}

/// A practitioner's reviews as their profile shows them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReviewSummary {
    pub count: i64,
    /// The average rating times ten, rounded (46 is 4.6); none without reviews.
    pub average_tenths: Option<i64>,
    pub latest: Vec<ReviewView>,
}

impl ReviewSummary {
    /// `4.6`.
    pub fn average_label(&self) -> Option<String> {
        self.average_tenths.map(|t| format!("{}.{}", t / 10, t % 10))
    }
}

/// What a cancellation would do, before the person confirms it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelPreview {
    pub due: crate::domain::booking::RefundDue,
    /// `4 credits` or `£24.99`.
    pub refund: String,
    pub paid: String,
    pub explanation: String,
}

/// A person's private calendar address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedState {
    /// When the working address was made; none when there is none.
    pub made: Option<Timestamp>,
    /// The address itself, right after it was made (it is not kept, so shown once).
    pub fresh: Option<String>,
}
