//! What an order's pages show of its session: its time, and the panel with its status,
//! its cancellation policy, the refund a cancellation would give now and what each
//! side may do with it; and whether an order is a booked session at all.

use crate::domain::booking::{BookingStatus, Paid, Policy, RefundDue, Side, Window, refund_due};
use crate::domain::datetime::{self, Style};
use crate::domain::orders::{OrderStatus, PaidWith};
use crate::domain::types::{BookingPanel, BookingTime, CancelPreview, OrderRole};
use crate::domain::{Locale, TimeZone};
use crate::server::clock::from_db;
use crate::server::error::Failure;
use crate::server::orders;
use crate::server::state::AppState;
use sqlx::PgConnection;
use uuid::Uuid;

/// What the order's customer paid for the session, as a refund would return it.
pub(in crate::server) fn paid_of(order: &orders::Row, paid_with: Option<PaidWith>) -> Result<Paid, Failure> {
    let price = order.price()?;
    match paid_with {
        Some(PaidWith::Credits) => {
            Ok(Paid::Credits(price.credits.ok_or_else(|| Failure::bug("paid in credits without a credit price"))?))
        }
        Some(PaidWith::Card) => Ok(Paid::Card(order.card_price()?)),
        None => Err(Failure::bug("a paid booking without its payment method")),
    }
}

pub(super) fn preview_of(due: RefundDue, paid: Paid, policy: &Policy) -> CancelPreview {
    let explanation = match due.window {
        Window::Full => "You are cancelling early enough for a full refund.".to_owned(),
        Window::Late => format!(
            "You are cancelling less than {} hours before the start, so {}% comes back.",
            policy.full_refund_hours, due.percent
        ),
        Window::Started => "The session has started, so nothing comes back.".to_owned(),
        Window::ByPractitioner => "A session the practitioner cancels is always refunded in full.".to_owned(),
    };
    CancelPreview { due, refund: due.amount.label(Locale::default()), paid: paid.label(Locale::default()), explanation }
}

pub(super) fn side_of(role: OrderRole) -> Side {
    match role {
        OrderRole::Customer => Side::Customer,
        OrderRole::Practitioner => Side::Practitioner,
        OrderRole::Admin => Side::Admin,
    }
}

/// The booking part of a service order's page, for `role` reading in `zone`.
pub(in crate::server) async fn panel(
    conn: &mut PgConnection,
    state: &AppState,
    order: &orders::Row,
    role: OrderRole,
    zone: &TimeZone,
) -> Result<Option<BookingPanel>, Failure> {
    let Some(b) = sqlx::query!(
        "SELECT b.starts_at, b.ends_at, b.status, b.hold_until, b.notes, b.full_refund_hours, b.late_refund_percent,
                o.paid_with
         FROM bookings b JOIN orders o ON o.id = b.order_id WHERE b.order_id = $1",
        order.id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let now = state.clock.now();
    let (starts_at, ends_at) = (from_db(b.starts_at), from_db(b.ends_at));
    let status = BookingStatus::parse(&b.status).ok_or_else(|| Failure::bug("a booking in an unknown status"))?;
    let policy = Policy { full_refund_hours: b.full_refund_hours, late_refund_percent: b.late_refund_percent };
    let parties = crate::server::parties::of_order(conn, order.id).await?;
    let other = match role {
        OrderRole::Customer => parties.practitioner.zone,
        _ => parties.customer.zone,
    };
    let open = status == BookingStatus::Confirmed && order.status()? == OrderStatus::Paid;
    let review = crate::server::calendar::review_of(conn, order.id).await?;
    let cancel = if open && now < ends_at {
        let paid = paid_of(order, b.paid_with.as_deref().and_then(PaidWith::parse))?;
        Some(preview_of(refund_due(&policy, paid, starts_at, now, side_of(role)), paid, &policy))
    } else {
        None
    };
    Ok(Some(BookingPanel {
        time: BookingTime {
            starts_at,
            ends_at,
            label: datetime::show(starts_at, zone, Style::DateTime),
            zone: zone.clone(),
        },
        other_zone: (other != *zone).then(|| datetime::show(starts_at, &other, Style::DateTime)),
        status,
        hold_until: b.hold_until.map(from_db),
        policy: policy.describe(),
        cancel,
        can_reschedule: open && role != OrderRole::Admin && now < starts_at,
        can_close: open && role == OrderRole::Practitioner && now >= starts_at,
        notes: (role == OrderRole::Practitioner).then_some(b.notes).flatten(),
        can_review: role == OrderRole::Customer && status == BookingStatus::Completed && review.is_none(),
        review,
    }))
}

/// Whether the order is a booked session: its booking, not the practitioner's work on
/// the order, decides when it is done.
pub(in crate::server) async fn is_booked(conn: &mut PgConnection, order_id: Uuid) -> Result<bool, Failure> {
    Ok(sqlx::query_scalar!("SELECT EXISTS (SELECT 1 FROM bookings WHERE order_id = $1) AS \"booked!\"", order_id)
        .fetch_one(conn)
        .await?)
}

/// The time of the order's booking, read in `zone`.
pub(in crate::server) async fn time_of(
    conn: &mut PgConnection,
    order_id: Uuid,
    zone: &TimeZone,
) -> Result<Option<BookingTime>, Failure> {
    let b = sqlx::query!("SELECT starts_at, ends_at FROM bookings WHERE order_id = $1", order_id)
        .fetch_optional(conn)
        .await?;
    Ok(b.map(|b| {
        let starts_at = from_db(b.starts_at);
        BookingTime {
            starts_at,
            ends_at: from_db(b.ends_at),
            label: datetime::show(starts_at, zone, Style::DateTime),
            zone: zone.clone(),
        }
    }))
}
