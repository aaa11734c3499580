//! Choosing a session's time: the week of free times the slot picker shows, the check
//! that a chosen time is still free (answered with the nearest free times when it is
//! not), and the pending booking a new draft order starts with.

use crate::domain::booking::{NEAREST, Policy, nearest, time_in_reach, week_in_reach};
use crate::domain::datetime::{self, Style};
use crate::domain::types::{SessionUser, SlotDay, SlotOffer, SlotPicker};
use crate::domain::{AppError, OrderNumber, TimeZone};
use crate::server::availability::{self, Calendar};
use crate::server::checkout::Visitor;
use crate::server::clock::{from_db, to_db};
use crate::server::error::Failure;
use crate::server::services;
use crate::server::state::AppState;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan};
use sqlx::PgConnection;
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
    number: &OrderNumber,
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
    order: Option<&OrderNumber>,
) -> Result<SlotPicker, Failure> {
    let now = state.clock.now();
    let (zone, zone_from_profile) = reader_zone(visitor.user.as_ref(), zone);
    let tz = zone.rules();
    let today = now.to_zoned_datetime(tz.clone()).date();
    let first = week.map(|w| week_in_reach(w, today)).transpose()?.unwrap_or(today);
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
pub(super) async fn nearest_free(
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
pub(super) async fn check_free(
    conn: &mut PgConnection,
    practitioner: Uuid,
    duration: SignedDuration,
    at: Timestamp,
    now: Timestamp,
    except: Option<Uuid>,
    zone: &TimeZone,
) -> Result<Calendar, Failure> {
    let day = SignedDuration::from_hours(24);
    let (Ok(from), Ok(to)) = (at.checked_sub(day), at.checked_add(day)) else {
        return Err(out_of_reach(at).into());
    };
    let calendar = availability::calendar(conn, practitioner, from, to, now, except)
        .await?
        .ok_or_else(|| AppError::invalid("at", "This practitioner is not taking bookings at the moment."))?;
    let horizon = calendar.rules.horizon_days;
    if now.checked_add(SignedDuration::from_hours(24 * i64::from(horizon))).is_ok_and(|latest| at > latest) {
        return Err(AppError::invalid(
            "at",
            format!("This practitioner takes bookings up to {horizon} days ahead. Choose one of the free times."),
        )
        .into());
    }
    if !calendar.free(duration, from, to, now).contains(&at) {
        let nearest = nearest_free(conn, practitioner, duration, at, now, except, zone).await?;
        return Err(AppError::SlotTaken { nearest }.into());
    }
    Ok(calendar)
}

/// A time no calendar arithmetic can reach past.
fn out_of_reach(at: Timestamp) -> crate::domain::FieldError {
    crate::domain::FieldError::new("at", format!("{} is not a time sessions can be booked at.", datetime::machine(at)))
}

/// Parses a posted slot time (`2026-12-03T10:00:00Z`) that could be booked as of `now`:
/// in the past or beyond any practitioner's horizon is refused here, by field.
pub fn parse_at(raw: &str, now: Timestamp) -> Result<Timestamp, AppError> {
    let at = raw
        .trim()
        .parse::<Timestamp>()
        .map_err(|_| AppError::invalid("at", "Choose a time from the list of free times."))?;
    Ok(time_in_reach(at, now)?)
}

/// The slot a new checkout for `slug` starts with, checked free now.
pub(in crate::server) async fn check_new(
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

/// Writes the draft order's booking (pending: it blocks nothing until it is paid for),
/// with the practitioner's cancellation policy as it is now: the one shown beside the
/// time when it was chosen, and the one its cancellation follows.
pub(in crate::server) async fn attach(
    conn: &mut PgConnection,
    order_id: Uuid,
    practitioner: Uuid,
    customer: Uuid,
    at: Timestamp,
    duration: SignedDuration,
    now: Timestamp,
) -> Result<(), Failure> {
    let end = at + duration;
    let policy = policy_of(conn, practitioner).await?;
    sqlx::query!(
        "INSERT INTO bookings (order_id, practitioner_id, customer_id, starts_at, ends_at, blocks, status,
                               full_refund_hours, late_refund_percent, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, tstzrange($4, $5), 'pending', $6, $7, $8, $8) ON CONFLICT (order_id) DO NOTHING",
        order_id,
        practitioner,
        customer,
        to_db(at),
        to_db(end),
        policy.full_refund_hours,
        policy.late_refund_percent,
        to_db(now)
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The practitioner's cancellation policy now, which a new booking copies.
async fn policy_of(conn: &mut PgConnection, practitioner: Uuid) -> Result<Policy, Failure> {
    Ok(sqlx::query!(
        "SELECT full_refund_hours, late_refund_percent FROM availability WHERE practitioner_id = $1",
        practitioner
    )
    .fetch_optional(conn)
    .await?
    .map(|r| Policy { full_refund_hours: r.full_refund_hours, late_refund_percent: r.late_refund_percent })
    .unwrap_or_default())
}
