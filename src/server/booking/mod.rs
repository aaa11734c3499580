//! Booked sessions. A scheduled service's order carries one booking: `pending` while
//! the order is a draft, `held` for the life of a card checkout, `confirmed` once paid.
//! The `bookings_no_overlap` exclusion constraint is what makes two held or confirmed
//! sessions of one practitioner impossible; losing that race is answered with the
//! nearest free times. Cancellation refunds what `domain::booking::refund_due` says,
//! the same function the preview shows.
//!
//! Choosing a time is in `slots`, holding and booking it as the order is paid in
//! `hold`, releasing times that will not be paid in `release`, what an order's pages
//! show of its session in `panel`, cancelling, moving and closing a session in
//! `change`, and the emails those changes send in `notify`. Every write of a booking's
//! status keeps to `BookingStatus::can_move_to` through `moves`.

mod change;
mod hold;
mod moves;
mod notify;
mod panel;
mod release;
mod slots;

pub use change::{cancel, choose_time, close, reschedule};
pub use hold::CardOutcome;
pub(super) use hold::{confirm_for_credits, hold_for_card, on_card_paid};
pub(super) use panel::{is_booked, paid_of, panel, time_of};
pub use release::{ReleaseHolds, release_due};
pub(super) use release::{release_for_order, release_hold};
pub(super) use slots::{attach, check_new};
pub use slots::{parse_at, picker};

use crate::domain::AppError;
use crate::domain::booking::{BookingStatus, Policy};
use crate::domain::orders::{OrderStatus, PaidWith};
use crate::server::clock::from_db;
use crate::server::error::Failure;
use jiff::{SignedDuration, Timestamp};
use sqlx::PgConnection;
use uuid::Uuid;

/// Why the time of an order is not held or booked: the order can no longer be paid.
pub(crate) const NOT_PAYABLE: &str = "This order can no longer be paid. Start again from the service's page.";

/// A booking as the code that changes it sees it, locked.
struct Locked {
    id: Uuid,
    order_id: Uuid,
    number: String,
    practitioner_id: Uuid,
    customer_id: Uuid,
    starts_at: Timestamp,
    ends_at: Timestamp,
    status: BookingStatus,
    hold_until: Option<Timestamp>,
    order_status: OrderStatus,
    /// When the order's payment window closes: no hold lasts beyond it.
    expires_at: Timestamp,
    paid_with: Option<PaidWith>,
    /// The cancellation policy agreed when the time was chosen.
    policy: Policy,
    title: String,
    slug: String,
}

impl Locked {
    fn duration(&self) -> SignedDuration {
        self.ends_at.duration_since(self.starts_at)
    }

    /// Refuses to hold or book the time of an order that can no longer be paid.
    fn payable(&self, now: Timestamp) -> Result<(), Failure> {
        if self.order_status.payable(self.expires_at, now) {
            return Ok(());
        }
        Err(AppError::invalid("order", NOT_PAYABLE).into())
    }
}

async fn lock_of_order(conn: &mut PgConnection, order_id: Uuid) -> Result<Option<Locked>, Failure> {
    let r = sqlx::query!(
        "SELECT b.id, b.order_id, o.number, b.practitioner_id, b.customer_id, b.starts_at, b.ends_at, b.status,
                b.hold_until, o.status AS order_status, o.expires_at, o.paid_with, b.full_refund_hours,
                b.late_refund_percent, o.item_name, s.slug
         FROM bookings b JOIN orders o ON o.id = b.order_id JOIN services s ON s.id = o.service_id
         WHERE b.order_id = $1 FOR UPDATE OF b",
        order_id
    )
    .fetch_optional(conn)
    .await?;
    r.map(|r| {
        Ok(Locked {
            id: r.id,
            order_id: r.order_id,
            number: r.number,
            practitioner_id: r.practitioner_id,
            customer_id: r.customer_id,
            starts_at: from_db(r.starts_at),
            ends_at: from_db(r.ends_at),
            status: BookingStatus::parse(&r.status).ok_or_else(|| Failure::bug("a booking in an unknown status"))?,
            hold_until: r.hold_until.map(from_db),
            order_status: OrderStatus::parse(&r.order_status).ok_or_else(|| Failure::bug("an unknown order status"))?,
            expires_at: from_db(r.expires_at),
            paid_with: r.paid_with.as_deref().and_then(PaidWith::parse),
            policy: Policy { full_refund_hours: r.full_refund_hours, late_refund_percent: r.late_refund_percent },
            title: r.item_name,
            slug: r.slug,
        })
    })
    .transpose()
}
