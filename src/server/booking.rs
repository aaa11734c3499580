//! Booked sessions. A scheduled service's order carries one booking: `pending` while
//! the order is a draft, `held` for the life of a card checkout, `confirmed` once paid.
//! The `bookings_no_overlap` exclusion constraint is what makes two held or confirmed
//! sessions of one practitioner impossible; losing that race is answered with the
//! nearest free times. Cancellation refunds what `domain::booking::refund_due` says,
//! the same function the preview shows.

use crate::domain::booking::{
    BookingStatus, HOLD, NEAREST, Paid, RefundDue, Side, Window, check_notes, nearest, refund_due,
};
use crate::domain::datetime::{self, Style};
use crate::domain::orders::{OrderStatus, PaidWith};
use crate::domain::types::{
    BookingPanel, BookingTime, CancelPreview, OrderRole, SessionUser, SlotDay, SlotOffer, SlotPicker,
};
use crate::domain::{AppError, Locale, TimeZone};
use crate::server::accounts::zone_of;
use crate::server::availability::{self, Calendar};
use crate::server::checkout::Visitor;
use crate::server::clock::{from_db, to_db};
use crate::server::email::{self, templates};
use crate::server::error::{Failure, Violation, violation};
use crate::server::jobs::{Job, JobError};
use crate::server::ledger::{self, Kind, Movement};
use crate::server::orders;
use crate::server::services;
use crate::server::state::AppState;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

/// The days the slot picker shows at once.
const WEEK: i64 = 7;

/// `14:30` in `zone`.
fn clock_label(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned_datetime(zone.rules()).strftime("%H:%M").to_string()
}

fn offer(at: Timestamp, zone: &TimeZone) -> SlotOffer {
    SlotOffer { at: datetime::machine(at), label: datetime::show(at, zone, Style::DateTime) }
}

/// The zone a visitor reads times in: their profile's when signed in, else the one
/// they chose (or their browser reported), else UTC.
fn reader_zone(user: Option<&SessionUser>, asked: Option<&str>) -> (TimeZone, bool) {
    if let Some(zone) = asked.and_then(|z| TimeZone::parse(z).ok()) {
        return (zone, false);
    }
    match user {
        Some(u) => (u.time_zone.clone(), true),
        None => (TimeZone::utc(), false),
    }
}

/// A scheduled service on sale, its owner, and its session length.
async fn scheduled(
    conn: &mut PgConnection,
    slug: &str,
) -> Result<(crate::domain::types::ServiceView, Uuid, crate::domain::types::PractitionerSummary, SignedDuration), Failure>
{
    let (service, owner, practitioner) = services::on_sale(conn, slug.trim()).await?;
    let minutes = service.duration_minutes.filter(|_| service.delivery.is_scheduled()).ok_or_else(|| {
        AppError::invalid("service", "This service is not a session at a set time; order it instead.")
    })?;
    Ok((service, owner, practitioner, SignedDuration::from_mins(i64::from(minutes))))
}

/// The session of the visitor's order `number` (its id and start), if it has one; not
/// found when the order is not theirs.
async fn own_booking(
    conn: &mut PgConnection,
    visitor: &Visitor,
    number: &str,
) -> Result<Option<(Uuid, Timestamp)>, Failure> {
    let access = crate::server::checkout::access(conn, visitor, number).await?;
    let row =
        sqlx::query!("SELECT id, starts_at FROM bookings WHERE order_id = $1", access.id).fetch_optional(conn).await?;
    Ok(row.map(|r| (r.id, from_db(r.starts_at))))
}

/// `/s/<slug>/book`: the free times of the week from `week` (a date in the reader's
/// zone; today when absent), labelled in the reader's zone. With `order` (one of the
/// visitor's, whose time is being chosen or moved), that order's own session does not
/// count as busy: the times overlapping it are free to move to (its current start is
/// not offered, as there is nothing to move).
pub async fn picker(
    state: &AppState,
    visitor: &Visitor,
    slug: &str,
    week: Option<&str>,
    zone: Option<&str>,
    order: Option<&str>,
) -> Result<SlotPicker, Failure> {
    let now = state.clock.now();
    let (zone, zone_from_profile) = reader_zone(visitor.user.as_ref(), zone);
    let tz = zone.rules();
    let today = now.to_zoned_datetime(tz.clone()).date();
    let first = week.and_then(|w| w.trim().parse::<Date>().ok()).filter(|d| *d >= today).unwrap_or(today);
    let mut conn = state.pool.acquire().await?;
    let (service, owner, practitioner, duration) = scheduled(&mut conn, slug).await?;
    let own = match order {
        Some(number) => own_booking(&mut conn, visitor, number).await?,
        None => None,
    };
    let start_of =
        |d: Date| d.to_zoned_datetime(tz.clone()).map(|z| z.timestamp()).map_err(|e| Failure::bug(e.to_string()));
    let from = start_of(first)?;
    let to = start_of(first.checked_add(WEEK.days()).map_err(|e| Failure::bug(e.to_string()))?)?;
    let (except, current) = (own.map(|(id, _)| id), own.map(|(_, at)| at));
    let calendar = availability::calendar(&mut conn, owner, from, to, now, except).await?;
    drop(conn);
    let Some(calendar) = calendar else {
        return Ok(SlotPicker {
            service,
            practitioner,
            zone,
            zone_from_profile,
            practitioner_zone: TimeZone::utc(),
            days: Vec::new(),
            previous: None,
            next: None,
            next_free: None,
            policy: String::new(),
            bookable: false,
        });
    };
    // Its current start is where the session already is, so it is not offered.
    let open = |c: &Calendar, from: Timestamp, to: Timestamp| -> Vec<Timestamp> {
        c.free(duration, from, to, now).into_iter().filter(|at| Some(*at) != current).collect()
    };
    let free = open(&calendar, from, to);
    let mut days: Vec<SlotDay> = (0..WEEK)
        .filter_map(|i| first.checked_add(i.days()).ok())
        .map(|day| SlotDay { day, label: day.strftime("%a %-d %b").to_string(), slots: Vec::new() })
        .collect();
    for at in free.iter().copied() {
        let day = at.to_zoned_datetime(tz.clone()).date();
        if let Some(d) = days.iter_mut().find(|d| d.day == day) {
            d.slots.push(SlotOffer { at: datetime::machine(at), label: clock_label(at, &zone) });
        }
    }
    let horizon_end = now + SignedDuration::from_hours(24 * i64::from(calendar.rules.horizon_days));
    let next_free = if free.is_empty() && to < horizon_end {
        let mut conn = state.pool.acquire().await?;
        let later = availability::calendar(&mut conn, owner, to, horizon_end, now, except).await?;
        later.and_then(|c| open(&c, to, horizon_end).first().map(|at| offer(*at, &zone)))
    } else {
        None
    };
    Ok(SlotPicker {
        service,
        practitioner,
        zone,
        zone_from_profile,
        practitioner_zone: calendar.zone.clone(),
        days,
        previous: (first > today).then(|| first.checked_sub(WEEK.days()).ok().map(|d| d.max(today))).flatten(),
        next: (to < horizon_end).then(|| first.checked_add(WEEK.days()).ok()).flatten(),
        next_free,
        policy: calendar.policy.describe(),
        bookable: true,
    })
}

/// The nearest free times to `wanted` for this practitioner, in `zone`, as of `now`.
async fn nearest_free(
    conn: &mut PgConnection,
    practitioner: Uuid,
    duration: SignedDuration,
    wanted: Timestamp,
    now: Timestamp,
    except: Option<Uuid>,
    zone: &TimeZone,
) -> Result<Vec<SlotOffer>, Failure> {
    let (from, to) = (wanted - SignedDuration::from_hours(24 * 3), wanted + SignedDuration::from_hours(24 * 7));
    let Some(calendar) = availability::calendar(conn, practitioner, from, to, now, except).await? else {
        return Ok(Vec::new());
    };
    let free = calendar.free(duration, from, to, now);
    Ok(nearest(&free, wanted, NEAREST).into_iter().map(|at| offer(at, zone)).collect())
}

/// Refuses `at` unless it is one of the practitioner's free starts now (leaving out the
/// booking `except` that is being moved), answering with the nearest free times.
#[allow(clippy::too_many_arguments)]
async fn check_free(
    conn: &mut PgConnection,
    practitioner: Uuid,
    duration: SignedDuration,
    at: Timestamp,
    now: Timestamp,
    except: Option<Uuid>,
    zone: &TimeZone,
) -> Result<Calendar, Failure> {
    let day = SignedDuration::from_hours(24);
    let calendar = availability::calendar(conn, practitioner, at - day, at + day, now, except)
        .await?
        .ok_or_else(|| AppError::invalid("at", "This practitioner is not taking bookings at the moment."))?;
    if !calendar.free(duration, at - day, at + day, now).contains(&at) {
        let nearest = nearest_free(conn, practitioner, duration, at, now, except, zone).await?;
        return Err(AppError::SlotTaken { nearest }.into());
    }
    Ok(calendar)
}

/// Parses a posted slot time (`2026-12-03T10:00:00Z`).
pub fn parse_at(raw: &str) -> Result<Timestamp, AppError> {
    raw.trim().parse::<Timestamp>().map_err(|_| AppError::invalid("at", "Choose a time from the list of free times."))
}

/// The slot a new checkout for `slug` starts with, checked free now.
pub(super) async fn check_new(
    conn: &mut PgConnection,
    slug: &str,
    at: Timestamp,
    now: Timestamp,
    zone: &TimeZone,
) -> Result<SignedDuration, Failure> {
    let (_, owner, _, duration) = scheduled(conn, slug).await?;
    check_free(conn, owner, duration, at, now, None, zone).await?;
    Ok(duration)
}

/// Writes the draft order's booking (pending: it blocks nothing until it is paid for).
pub(super) async fn attach(
    conn: &mut PgConnection,
    order_id: Uuid,
    practitioner: Uuid,
    customer: Uuid,
    at: Timestamp,
    duration: SignedDuration,
    now: Timestamp,
) -> Result<(), Failure> {
    let end = at + duration;
    sqlx::query!(
        "INSERT INTO bookings (order_id, practitioner_id, customer_id, starts_at, ends_at, blocks, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, tstzrange($4, $5), 'pending', $6, $6) ON CONFLICT (order_id) DO NOTHING",
        order_id,
        practitioner,
        customer,
        to_db(at),
        to_db(end),
        to_db(now)
    )
    .execute(conn)
    .await?;
    Ok(())
}

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
    paid_with: Option<PaidWith>,
    title: String,
    slug: String,
}

impl Locked {
    fn duration(&self) -> SignedDuration {
        self.ends_at.duration_since(self.starts_at)
    }
}

async fn lock_of_order(conn: &mut PgConnection, order_id: Uuid) -> Result<Option<Locked>, Failure> {
    let r = sqlx::query!(
        "SELECT b.id, b.order_id, o.number, b.practitioner_id, b.customer_id, b.starts_at, b.ends_at, b.status,
                b.hold_until, o.status AS order_status, o.paid_with, o.item_name, s.slug
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
            paid_with: r.paid_with.as_deref().and_then(PaidWith::parse),
            title: r.item_name,
            slug: r.slug,
        })
    })
    .transpose()
}

/// The zone a person (a guest customer, say) reads times in.
pub(super) async fn customer_zone(conn: &mut PgConnection, user: Uuid) -> Result<TimeZone, Failure> {
    let zone = sqlx::query_scalar!("SELECT time_zone FROM users WHERE id = $1", user).fetch_one(conn).await?;
    Ok(zone_of(&zone))
}

/// Holds that ran out and are in the way of `[from, to)` stop blocking, in the caller's
/// transaction: whoever books next must not wait for the release job.
async fn release_lapsed(
    conn: &mut PgConnection,
    practitioner: Uuid,
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
) -> Result<(), Failure> {
    sqlx::query!(
        "UPDATE bookings SET status = 'released', hold_until = NULL, updated_at = $4
         WHERE practitioner_id = $1 AND status = 'held' AND hold_until <= $4 AND blocks && tstzrange($2, $3)",
        practitioner,
        to_db(from),
        to_db(to),
        to_db(now)
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether `e` is the exclusion constraint refusing two sessions at once.
fn is_overlap(e: &sqlx::Error) -> bool {
    violation(e) == Some(Violation::Exclusion("bookings_no_overlap".to_owned()))
}

/// What taking the slot found.
enum Take {
    Taken,
    Lost,
}

/// Moves the booking to `status` (held until `hold_until`, or confirmed) with the
/// practitioner's current buffers around it, inside a savepoint: another session in
/// the way (the exclusion constraint) is `Lost` and leaves the caller's transaction
/// usable.
async fn take(
    conn: &mut PgConnection,
    b: &Locked,
    calendar: Option<&Calendar>,
    status: BookingStatus,
    hold_until: Option<Timestamp>,
    now: Timestamp,
) -> Result<Take, Failure> {
    let (lo, hi) = calendar.map(|c| c.blocks(b.starts_at, b.ends_at)).unwrap_or((b.starts_at, b.ends_at));
    release_lapsed(conn, b.practitioner_id, lo, hi, now).await?;
    let mut sp = conn.begin().await?;
    let done = sqlx::query!(
        "UPDATE bookings SET status = $2, hold_until = $3, blocks = tstzrange($4, $5), updated_at = $6,
                             reminded_at = CASE WHEN $2 = 'confirmed' AND starts_at <= $6::timestamptz + interval '24 hours'
                                                THEN COALESCE(reminded_at, $6) ELSE reminded_at END
         WHERE id = $1",
        b.id,
        status.as_str(),
        hold_until.map(to_db),
        to_db(lo),
        to_db(hi),
        to_db(now)
    )
    .execute(&mut *sp)
    .await;
    match done {
        Ok(_) => {
            sp.commit().await?;
            Ok(Take::Taken)
        }
        Err(e) if is_overlap(&e) => {
            sp.rollback().await?;
            Ok(Take::Lost)
        }
        Err(e) => Err(e.into()),
    }
}

async fn slot_taken(conn: &mut PgConnection, b: &Locked, now: Timestamp) -> Result<Failure, Failure> {
    let zone = customer_zone(conn, b.customer_id).await?;
    let nearest = nearest_free(conn, b.practitioner_id, b.duration(), b.starts_at, now, Some(b.id), &zone).await?;
    Ok(AppError::SlotTaken { nearest }.into())
}

/// Books the order's slot for good as it is paid in credits, in the paying transaction.
/// The time must still be free and offered; else nothing is booked or spent.
pub(super) async fn confirm_for_credits(
    conn: &mut PgConnection,
    order_id: Uuid,
    now: Timestamp,
) -> Result<(), Failure> {
    let Some(b) = lock_of_order(conn, order_id).await? else { return Ok(()) };
    if b.status == BookingStatus::Confirmed {
        return Ok(());
    }
    let zone = customer_zone(conn, b.customer_id).await?;
    let calendar = check_free(conn, b.practitioner_id, b.duration(), b.starts_at, now, Some(b.id), &zone).await?;
    match take(conn, &b, Some(&calendar), BookingStatus::Confirmed, None, now).await? {
        Take::Taken => Ok(()),
        Take::Lost => Err(slot_taken(conn, &b, now).await?),
    }
}

/// Holds the order's slot for a card checkout until `now + HOLD`, in the caller's
/// transaction; a hold still running is kept. Returns when the hold ends (`None` when
/// the order has no booking).
pub(super) async fn hold_for_card(
    conn: &mut PgConnection,
    order_id: Uuid,
    now: Timestamp,
) -> Result<Option<Timestamp>, Failure> {
    let Some(b) = lock_of_order(conn, order_id).await? else { return Ok(None) };
    if let (BookingStatus::Held, Some(until)) = (b.status, b.hold_until)
        && until > now
    {
        return Ok(Some(until));
    }
    let zone = customer_zone(conn, b.customer_id).await?;
    let calendar = check_free(conn, b.practitioner_id, b.duration(), b.starts_at, now, Some(b.id), &zone).await?;
    let until = now + HOLD;
    match take(conn, &b, Some(&calendar), BookingStatus::Held, Some(until), now).await? {
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
pub(super) async fn on_card_paid(
    conn: &mut PgConnection,
    state: &AppState,
    order: &orders::Row,
    now: Timestamp,
) -> Result<CardOutcome, Failure> {
    let Some(b) = lock_of_order(conn, order.id).await? else { return Ok(CardOutcome::NoBooking) };
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
    if let Take::Taken = take(conn, &b, calendar.as_ref(), BookingStatus::Confirmed, None, now).await? {
        return Ok(CardOutcome::Confirmed);
    }
    let amount = order.card_price()?;
    let reason = "The time was booked by someone else after the hold on it ran out";
    crate::server::refunds::start_card_refund(conn, order, amount, reason, None, now).await?;
    let customer = sqlx::query!("SELECT name, email, time_zone FROM users WHERE id = $1", b.customer_id)
        .fetch_one(&mut *conn)
        .await?;
    let when = datetime::show(b.starts_at, &zone_of(&customer.time_zone), Style::DateTime);
    let url = format!("{}/s/{}/book", state.config.public_url, b.slug);
    let facts = templates::ServiceOrderFacts {
        name: &customer.name,
        number: &b.number,
        service: &b.title,
        paid: amount.format(Locale::default()),
        url,
    };
    if let Some(to) = &customer.email {
        email::enqueue(conn, Some(b.customer_id), to, &templates::booking_lost(&facts, &when), now).await?;
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

/// The order ended unpaid (expired or cancelled): its booking stops blocking.
pub(super) async fn release_for_order(conn: &mut PgConnection, order_id: Uuid, now: Timestamp) -> Result<(), Failure> {
    sqlx::query!(
        "UPDATE bookings SET status = 'released', hold_until = NULL, updated_at = $2
         WHERE order_id = $1 AND status IN ('pending', 'held')",
        order_id,
        to_db(now)
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The hold of order `number` stops blocking: its card payment failed, or (`lapsed`
/// only) its checkout expired after the hold ran out. A retry holds the time again.
pub(super) async fn release_hold(
    conn: &mut PgConnection,
    number: &str,
    lapsed: bool,
    now: Timestamp,
) -> Result<(), Failure> {
    sqlx::query!(
        "UPDATE bookings SET status = 'released', hold_until = NULL, updated_at = $3
         WHERE order_id = (SELECT id FROM orders WHERE number = $1) AND status = 'held' AND (NOT $2 OR hold_until <= $3)",
        number,
        lapsed,
        to_db(now)
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Releases every hold that ran out and closes its checkout at the provider, so the
/// time is free again and a late payment becomes unlikely. Returns how many.
pub async fn release_due(state: &AppState) -> Result<usize, Failure> {
    let now = state.clock.now();
    let released = sqlx::query!(
        "UPDATE bookings SET status = 'released', hold_until = NULL, updated_at = $1
         WHERE status = 'held' AND hold_until <= $1 RETURNING order_id",
        to_db(now)
    )
    .fetch_all(&state.pool)
    .await?;
    for r in &released {
        let sessions = sqlx::query_scalar!("SELECT id FROM checkout_sessions WHERE order_id = $1", r.order_id)
            .fetch_all(&state.pool)
            .await?;
        for session in sessions {
            state.config.payments.close(state, &session).await?;
        }
    }
    Ok(released.len())
}

/// Releases lapsed holds; runs every minute.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct ReleaseHolds;

impl Job for ReleaseHolds {
    const NAME: &'static str = "release_holds";

    async fn run(self, state: &AppState) -> Result<(), JobError> {
        let n = release_due(state).await.map_err(|e| JobError::Transient(crate::server::error::chain(&e)))?;
        if n > 0 {
            tracing::info!(released = n, "lapsed holds released");
        }
        Ok(())
    }
}

/// What the order's customer paid for the session, as a refund would return it.
fn paid_of(order: &orders::Row, paid_with: Option<PaidWith>) -> Result<Paid, Failure> {
    let price = order.price()?;
    match paid_with {
        Some(PaidWith::Credits) => {
            Ok(Paid::Credits(price.credits.ok_or_else(|| Failure::bug("paid in credits without a credit price"))?))
        }
        Some(PaidWith::Card) => Ok(Paid::Card(order.card_price()?)),
        None => Err(Failure::bug("a paid booking without its payment method")),
    }
}

fn preview_of(due: RefundDue, paid: Paid, policy: &crate::domain::booking::Policy) -> CancelPreview {
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

async fn policy_of(conn: &mut PgConnection, practitioner: Uuid) -> Result<crate::domain::booking::Policy, Failure> {
    Ok(sqlx::query!(
        "SELECT full_refund_hours, late_refund_percent FROM availability WHERE practitioner_id = $1",
        practitioner
    )
    .fetch_optional(conn)
    .await?
    .map(|r| crate::domain::booking::Policy {
        full_refund_hours: r.full_refund_hours,
        late_refund_percent: r.late_refund_percent,
    })
    .unwrap_or_default())
}

fn side_of(role: OrderRole) -> Side {
    match role {
        OrderRole::Customer => Side::Customer,
        OrderRole::Practitioner => Side::Practitioner,
        OrderRole::Admin => Side::Admin,
    }
}

/// The booking part of a service order's page, for `role` reading in `zone`.
pub(super) async fn panel(
    conn: &mut PgConnection,
    state: &AppState,
    order: &orders::Row,
    role: OrderRole,
    zone: &TimeZone,
) -> Result<Option<BookingPanel>, Failure> {
    let Some(b) = sqlx::query!(
        "SELECT b.starts_at, b.ends_at, b.status, b.hold_until, b.notes, b.practitioner_id, b.customer_id, o.paid_with,
                (SELECT time_zone FROM availability a WHERE a.practitioner_id = b.practitioner_id) AS practitioner_zone,
                (SELECT time_zone FROM users u WHERE u.id = b.customer_id) AS \"customer_zone!\"
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
    let policy = policy_of(conn, b.practitioner_id).await?;
    let other = match role {
        OrderRole::Customer => zone_of(b.practitioner_zone.as_deref().unwrap_or("UTC")),
        _ => zone_of(&b.customer_zone),
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

/// A booked order as one of its sides may change it, locked for the caller's
/// transaction; anyone else is told it does not exist.
async fn lock_for(
    conn: &mut PgConnection,
    visitor: &Visitor,
    number: &str,
) -> Result<(crate::server::checkout::Access, Locked, orders::Row), Failure> {
    let access = crate::server::checkout::access(conn, visitor, number).await?;
    let b = lock_of_order(conn, access.id).await?.ok_or(AppError::NotFound)?;
    let row = orders::find_in(conn, &access.number).await?.ok_or(AppError::NotFound)?;
    Ok((access, b, row))
}

fn not_open(b: &Locked) -> Failure {
    let why = match b.status {
        BookingStatus::Cancelled => "This session was already cancelled.",
        BookingStatus::Completed | BookingStatus::NoShow => "This session is over.",
        _ => "This session is not booked yet.",
    };
    AppError::invalid("booking", why).into()
}

/// Cancels the session. The customer gets back what the policy says at this moment;
/// the practitioner (or an admin) cancelling refunds in full. `expected` is the refund
/// the person saw in the preview: if the moment has moved it into another window,
/// nothing happens and they are told what it would now be.
#[tracing::instrument(skip_all, fields(%number))]
pub async fn cancel(state: &AppState, visitor: &Visitor, number: &str, expected: &str) -> Result<String, Failure> {
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let (access, b, row) = lock_for(&mut tx, visitor, number).await?;
    if b.status == BookingStatus::Cancelled {
        return Ok(access.number);
    }
    if b.status != BookingStatus::Confirmed || b.order_status != OrderStatus::Paid {
        return Err(not_open(&b));
    }
    if now >= b.ends_at {
        return Err(AppError::invalid("booking", "This session is over, so it can no longer be cancelled.").into());
    }
    let side = side_of(access.role);
    let policy = policy_of(&mut tx, b.practitioner_id).await?;
    let paid = paid_of(&row, b.paid_with)?;
    let due = refund_due(&policy, paid, b.starts_at, now, side);
    let preview = preview_of(due, paid, &policy);
    if expected.trim() != preview.refund {
        return Err(AppError::invalid(
            "refund",
            format!(
                "What comes back changed since you looked: it is now {}. Check it and confirm again.",
                preview.refund
            ),
        )
        .into());
    }
    let actor = access.actor(visitor);
    sqlx::query!(
        "UPDATE bookings SET status = 'cancelled', cancelled_by = $2, sequence = sequence + 1, updated_at = $3 WHERE id = $1",
        b.id,
        side.as_str(),
        to_db(now)
    )
    .execute(&mut *tx)
    .await?;
    let who = match side {
        Side::Customer => "the customer",
        Side::Practitioner => "the practitioner",
        Side::Admin => "an admin",
    };
    let note = format!("Session cancelled by {who}; {} of {} comes back", preview.refund, preview.paid);
    match due.amount {
        a if a.is_zero() => {
            orders::transition(&mut tx, &row, OrderStatus::Cancelled, Some(actor), &note, now).await?;
        }
        Paid::Credits(credits) => {
            let reference = format!("order:{}", b.number);
            let (spent, key) = (format!("{reference}:spend"), format!("{reference}:cancel"));
            let m = Movement {
                kind: Kind::Refund,
                key: &key,
                actor: Some(actor),
                reference: Some(&reference),
                reason: Some(&note),
                at: now,
            };
            ledger::return_spent(&mut tx, b.customer_id, &spent, credits, &m).await?;
            let to = if due.percent == 100 { OrderStatus::Refunded } else { OrderStatus::PartiallyRefunded };
            orders::transition(&mut tx, &row, to, Some(actor), &note, now).await?;
        }
        Paid::Card(money) => {
            orders::record(&mut tx, row.id, Some(OrderStatus::Paid), OrderStatus::Paid, Some(actor), &note, now)
                .await?;
            crate::server::refunds::start_card_refund(&mut tx, &row, money, &note, Some(actor), now).await?;
        }
    }
    notify(&mut tx, state, &b, Notice::Cancelled { by: side, refund: &preview.refund }, now).await?;
    tx.commit().await?;
    crate::server::refunds::finish_pending_of(state, row.id).await;
    tracing::info!(by = side.as_str(), refund = %preview.refund, "session cancelled");
    Ok(access.number)
}

/// Moves the session to another free time (its customer or its practitioner, before it
/// starts); the order and what was paid stay as they are.
#[tracing::instrument(skip_all, fields(%number))]
pub async fn reschedule(state: &AppState, visitor: &Visitor, number: &str, at: Timestamp) -> Result<String, Failure> {
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let (access, b, row) = lock_for(&mut tx, visitor, number).await?;
    if b.status != BookingStatus::Confirmed || b.order_status != OrderStatus::Paid {
        return Err(not_open(&b));
    }
    if access.role == OrderRole::Admin {
        return Err(AppError::NotFound.into());
    }
    if now >= b.starts_at {
        return Err(AppError::invalid("at", "This session has started, so it can no longer be moved.").into());
    }
    if at == b.starts_at {
        return Ok(access.number);
    }
    let zone = crate::server::checkout::reader_zone(&mut tx, visitor, b.customer_id).await?;
    let calendar = check_free(&mut tx, b.practitioner_id, b.duration(), at, now, Some(b.id), &zone).await?;
    let end = at + b.duration();
    let (lo, hi) = calendar.blocks(at, end);
    release_lapsed(&mut tx, b.practitioner_id, lo, hi, now).await?;
    let mut sp = tx.begin().await?;
    let moved = sqlx::query!(
        "UPDATE bookings SET starts_at = $2, ends_at = $3, blocks = tstzrange($4, $5), sequence = sequence + 1,
                             reminded_at = CASE WHEN $2::timestamptz <= $6::timestamptz + interval '24 hours' THEN $6::timestamptz END,
                             updated_at = $6
         WHERE id = $1",
        b.id,
        to_db(at),
        to_db(end),
        to_db(lo),
        to_db(hi),
        to_db(now)
    )
    .execute(&mut *sp)
    .await;
    match moved {
        Ok(_) => sp.commit().await?,
        Err(e) if is_overlap(&e) => {
            sp.rollback().await?;
            let nearest = nearest_free(&mut tx, b.practitioner_id, b.duration(), at, now, Some(b.id), &zone).await?;
            return Err(AppError::SlotTaken { nearest }.into());
        }
        Err(e) => return Err(e.into()),
    }
    let actor = access.actor(visitor);
    let note = format!("Session moved from {} to {}", datetime::machine(b.starts_at), datetime::machine(at));
    orders::record(&mut tx, row.id, Some(OrderStatus::Paid), OrderStatus::Paid, Some(actor), &note, now).await?;
    let moved = Locked { starts_at: at, ends_at: end, ..b };
    notify(&mut tx, state, &moved, Notice::Moved { by: side_of(access.role) }, now).await?;
    tx.commit().await?;
    Ok(access.number)
}

/// After the start, the practitioner closes the session: completed (with private
/// notes) or missed by the customer.
pub async fn close(
    state: &AppState,
    user: &SessionUser,
    number: &str,
    attended: bool,
    notes: &str,
) -> Result<String, Failure> {
    let notes = check_notes(notes)?;
    let now = state.clock.now();
    let visitor = Visitor { user: Some(user.clone()), guest_orders: Vec::new() };
    let mut tx = state.pool.begin().await?;
    let (access, b, row) = lock_for(&mut tx, &visitor, number).await?;
    if access.role != OrderRole::Practitioner {
        return Err(AppError::NotFound.into());
    }
    if b.status != BookingStatus::Confirmed || b.order_status != OrderStatus::Paid {
        return Err(not_open(&b));
    }
    if now < b.starts_at {
        return Err(AppError::invalid("booking", "A session can be closed once it has started.").into());
    }
    let status = if attended { BookingStatus::Completed } else { BookingStatus::NoShow };
    sqlx::query!(
        "UPDATE bookings SET status = $2, notes = NULLIF($3, ''), updated_at = $4 WHERE id = $1",
        b.id,
        status.as_str(),
        notes,
        to_db(now)
    )
    .execute(&mut *tx)
    .await?;
    let note = if attended { "Session completed" } else { "The customer did not attend" };
    orders::transition(&mut tx, &row, OrderStatus::Completed, Some(user.id), note, now).await?;
    tx.commit().await?;
    Ok(access.number)
}

/// Which email a change sends.
enum Notice<'a> {
    Cancelled { by: Side, refund: &'a str },
    Moved { by: Side },
}

/// Tells both sides, each in their own zone.
async fn notify(
    conn: &mut PgConnection,
    state: &AppState,
    b: &Locked,
    notice: Notice<'_>,
    now: Timestamp,
) -> Result<(), Failure> {
    let people = sqlx::query!(
        "SELECT u.id, u.name, u.email, u.time_zone FROM users u WHERE u.id = $1 OR u.id = $2",
        b.customer_id,
        b.practitioner_id
    )
    .fetch_all(&mut *conn)
    .await?;
    let url = format!("{}/orders/{}", state.config.public_url, b.number);
    for p in people {
        let Some(to) = p.email.as_deref() else { continue };
        let when = datetime::show(b.starts_at, &zone_of(&p.time_zone), Style::DateTime);
        let facts = templates::ServiceOrderFacts {
            name: &p.name,
            number: &b.number,
            service: &b.title,
            paid: String::new(),
            url: url.clone(),
        };
        let mail = match &notice {
            Notice::Cancelled { by, refund } => templates::booking_cancelled(&facts, &when, by.as_str(), refund),
            Notice::Moved { by } => templates::booking_moved(&facts, &when, by.as_str()),
        };
        let mail = crate::server::calendar::with_session_file(conn, state, b.order_id, p.id, mail).await?;
        email::enqueue(conn, Some(p.id), to, &mail, now).await?;
    }
    Ok(())
}

/// The time of the order's booking, read in `zone`.
pub(super) async fn time_of(
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

/// Changes the time of a draft order's session (the one chosen was taken, or the
/// customer changed their mind); it must be free now.
pub async fn choose_time(state: &AppState, visitor: &Visitor, number: &str, at: Timestamp) -> Result<String, Failure> {
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let (access, b, _) = lock_for(&mut tx, visitor, number).await?;
    if access.role != OrderRole::Customer {
        return Err(AppError::NotFound.into());
    }
    if !matches!(b.order_status, OrderStatus::Draft | OrderStatus::PendingPayment | OrderStatus::PaymentFailed) {
        return Err(
            AppError::invalid("at", "This order is no longer at checkout; move the session from its page.").into()
        );
    }
    if b.status == BookingStatus::Held && b.hold_until.is_some_and(|u| u > now) {
        return Err(AppError::invalid(
            "at",
            "This time is held for the card payment you started; finish or cancel that payment first.",
        )
        .into());
    }
    let zone = customer_zone(&mut tx, b.customer_id).await?;
    check_free(&mut tx, b.practitioner_id, b.duration(), at, now, Some(b.id), &zone).await?;
    sqlx::query!(
        "UPDATE bookings SET starts_at = $2, ends_at = $3, blocks = tstzrange($2, $3), status = 'pending',
                             hold_until = NULL, updated_at = $4
         WHERE id = $1",
        b.id,
        to_db(at),
        to_db(at + b.duration()),
        to_db(now)
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(access.number)
}
