//! Holding and booking a session's time as its order is paid: for good when paid in
//! credits, held for the life of a card checkout, and confirmed when the card payment
//! is in (or, if the time was taken meanwhile, the payment refunded). The exclusion
//! constraint refusing two sessions at once is answered with the nearest free times.

use super::moves::{Move, Moving, move_to};
use super::slots::{check_free, nearest_free};
use super::{Locked, lock_of_order};
use crate::domain::booking::{BookingStatus, HOLD};
use crate::domain::datetime::{self, Style};
use crate::domain::{AppError, Locale, TimeZone};
use crate::server::accounts::zone_of;
use crate::server::availability::{self, Calendar};
use crate::server::clock::to_db;
use crate::server::email::{self, templates};
use crate::server::error::{Failure, Violation, violation};
use crate::server::orders;
use crate::server::state::AppState;
use jiff::{SignedDuration, Timestamp};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

/// The zone a person (a guest customer, say) reads times in.
pub(super) async fn customer_zone(conn: &mut PgConnection, user: Uuid) -> Result<TimeZone, Failure> {
    let zone = sqlx::query_scalar!("SELECT time_zone FROM users WHERE id = $1", user).fetch_one(conn).await?;
    Ok(zone_of(&zone))
}

/// Holds that ran out and are in the way of `[from, to)` stop blocking, in the caller's
/// transaction: whoever books next must not wait for the release job. Returns the
/// bookings released.
pub(super) async fn release_lapsed(
    conn: &mut PgConnection,
    practitioner: Uuid,
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
) -> Result<Vec<Uuid>, Failure> {
    let release = Moving::new(&[BookingStatus::Held], BookingStatus::Released);
    Ok(sqlx::query_scalar!(
        "UPDATE bookings SET status = $5, hold_until = NULL, updated_at = $4
         WHERE practitioner_id = $1 AND status = ANY($6) AND hold_until <= $4 AND blocks && tstzrange($2, $3)
         RETURNING id",
        practitioner,
        to_db(from),
        to_db(to),
        to_db(now),
        release.to,
        &release.from
    )
    .fetch_all(conn)
    .await?)
}

/// Whether `e` is the exclusion constraint refusing two sessions at once.
pub(super) fn is_overlap(e: &sqlx::Error) -> bool {
    violation(e) == Some(Violation::Exclusion("bookings_no_overlap".to_owned()))
}

/// What taking the slot found.
enum Take {
    Taken,
    Lost,
}

/// Holds the booking until `hold_until` (or confirms it, when `None`) with the
/// practitioner's current buffers around it, inside a savepoint: another session in
/// the way (the exclusion constraint) is `Lost` and leaves the caller's transaction
/// usable. A lapsed hold of its own released on the way is moved from `released`.
async fn take(
    conn: &mut PgConnection,
    b: &mut Locked,
    calendar: Option<&Calendar>,
    hold_until: Option<Timestamp>,
    now: Timestamp,
) -> Result<Take, Failure> {
    let (lo, hi) = calendar.map(|c| c.blocks(b.starts_at, b.ends_at)).unwrap_or((b.starts_at, b.ends_at));
    if release_lapsed(conn, b.practitioner_id, lo, hi, now).await?.contains(&b.id) {
        (b.status, b.hold_until) = (BookingStatus::Released, None);
    }
    let mut sp = conn.begin().await?;
    match move_to(&mut sp, b, Move::Take { hold_until, blocks: (lo, hi) }, now).await {
        Ok(()) => {
            sp.commit().await?;
            Ok(Take::Taken)
        }
        Err(Failure::Db(e)) if is_overlap(&e) => {
            sp.rollback().await?;
            Ok(Take::Lost)
        }
        Err(e) => Err(e),
    }
}

async fn slot_taken(conn: &mut PgConnection, b: &Locked, now: Timestamp) -> Result<Failure, Failure> {
    let zone = customer_zone(conn, b.customer_id).await?;
    let nearest = nearest_free(conn, b.practitioner_id, b.duration(), b.starts_at, now, Some(b.id), &zone).await?;
    Ok(AppError::SlotTaken { nearest }.into())
}

/// Books the order's slot for good as it is paid in credits, in the paying transaction.
/// The time must still be free and offered; else nothing is booked or spent.
pub(in crate::server) async fn confirm_for_credits(
    conn: &mut PgConnection,
    order_id: Uuid,
    now: Timestamp,
) -> Result<(), Failure> {
    let Some(mut b) = lock_of_order(conn, order_id).await? else { return Ok(()) };
    if b.status == BookingStatus::Confirmed {
        return Ok(());
    }
    b.payable(now)?;
    let zone = customer_zone(conn, b.customer_id).await?;
    let calendar = check_free(conn, b.practitioner_id, b.duration(), b.starts_at, now, Some(b.id), &zone).await?;
    match take(conn, &mut b, Some(&calendar), None, now).await? {
        Take::Taken => Ok(()),
        Take::Lost => Err(slot_taken(conn, &b, now).await?),
    }
}

/// Holds the order's slot for a card checkout until `now + HOLD` (or the end of the
/// order's payment window, if sooner), in the caller's transaction; a hold still
/// running is kept. An order that can no longer be paid is not held. The database
/// refuses a hold beyond the order, and more live holds per customer (and per
/// practitioner) than a few. Returns when the hold ends (`None` when the order has no
/// booking).
pub(in crate::server) async fn hold_for_card(
    conn: &mut PgConnection,
    order_id: Uuid,
    now: Timestamp,
) -> Result<Option<Timestamp>, Failure> {
    let Some(mut b) = lock_of_order(conn, order_id).await? else { return Ok(None) };
    b.payable(now)?;
    if let (BookingStatus::Held, Some(until)) = (b.status, b.hold_until)
        && until > now
    {
        return Ok(Some(until));
    }
    let zone = customer_zone(conn, b.customer_id).await?;
    let calendar = check_free(conn, b.practitioner_id, b.duration(), b.starts_at, now, Some(b.id), &zone).await?;
    let until = (now + HOLD).min(b.expires_at);
    match take(conn, &mut b, Some(&calendar), Some(until), now).await? {
        Take::Taken => Ok(Some(until)),
        Take::Lost => Err(slot_taken(conn, &b, now).await?),
    }
}

/// What a card payment did to the order's booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardOutcome {
    /// Not a booked session.
    NoBooking,
    Confirmed,
    /// The hold had run out and the time was taken: the payment is being refunded.
    Refunding,
}

/// Called by `orders::fulfil` in the paying transaction once a card payment for a
/// booked session is in: the held slot is confirmed; a slot whose hold ran out is
/// confirmed if it is still free, else the whole payment is refunded and the customer
/// and the admins are told.
pub(in crate::server) async fn on_card_paid(
    conn: &mut PgConnection,
    state: &AppState,
    order: &orders::Row,
    now: Timestamp,
) -> Result<CardOutcome, Failure> {
    let Some(mut b) = lock_of_order(conn, order.id).await? else { return Ok(CardOutcome::NoBooking) };
    match b.status {
        BookingStatus::Confirmed => return Ok(CardOutcome::Confirmed),
        BookingStatus::Held | BookingStatus::Released | BookingStatus::Pending => {}
        other => return Err(Failure::bug(format!("a card payment for a booking that is {}", other.as_str()))),
    }
    // The time is confirmed with the buffers kept around it now, whether or not the
    // practitioner still offers it: the customer chose it and paid.
    let day = SignedDuration::from_hours(24);
    let calendar =
        availability::calendar(conn, b.practitioner_id, b.starts_at - day, b.ends_at + day, now, Some(b.id)).await?;
    if let Take::Taken = take(conn, &mut b, calendar.as_ref(), None, now).await? {
        return Ok(CardOutcome::Confirmed);
    }
    let amount = order.card_price()?;
    let reason = "The time was booked by someone else after the hold on it ran out";
    crate::server::refunds::start_card_refund(conn, order, amount, reason, None, now).await?;
    let customer = crate::server::parties::of_order(conn, b.order_id).await?.customer;
    let when = datetime::show(b.starts_at, &customer.zone, Style::DateTime);
    let url = format!("{}/s/{}/book", state.config.public_url, b.slug);
    let facts = templates::ServiceOrderFacts {
        name: &customer.name,
        number: &b.number,
        service: &b.title,
        paid: amount.format(Locale::default()),
        url,
    };
    if let Some(to) = &customer.email {
        email::enqueue(conn, Some(customer.id), to, &templates::booking_lost(&facts, &when), now).await?;
    }
    let admins = sqlx::query!(
        "SELECT id, name, email AS \"email!\" FROM users WHERE role = 'admin' AND disabled_at IS NULL AND email IS NOT NULL"
    )
    .fetch_all(&mut *conn)
    .await?;
    for admin in admins {
        let mail = templates::booking_lost_admin(
            &admin.name,
            &b.number,
            &amount.format(Locale::default()),
            &state.config.public_url,
        );
        email::enqueue(conn, Some(admin.id), &admin.email, &mail, now).await?;
    }
    tracing::warn!(number = %b.number, "a card payment came after its slot was taken; refunding it");
    Ok(CardOutcome::Refunding)
}
